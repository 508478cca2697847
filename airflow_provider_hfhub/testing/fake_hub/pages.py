"""The pages the Airflow UI's links open: ``/jobs/{ns}/{id}`` and ``/spaces/{ns}/{name}``.

On the Hub these are its web pages (the official client builds the Job URL as
``{endpoint}/jobs/{owner}/{id}``, docs/hub-api.md#jobs-endpoints); here a small HTML page with the
stage, the flavor and the last log lines, so a link in a DAG run on the fake Hub leads somewhere.
Public, like the Hub's pages of public repos: no token needed (browsers send none).
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from .state import LogBuffer
from .store import Store

LAST_LINES = 20


def routes(store: Store) -> list[Route]:
    """Return the page routes bound to ``store``."""

    async def job_page(request: Request) -> Response:
        ns, job_id = request.path_params["ns"], request.path_params["job_id"]
        job = store.jobs.get(job_id)
        if job is None or job.namespace != ns:
            return _page(f"Job {ns}/{job_id}", [("Status", "not found")], None, status=404)
        rows = [
            ("Stage", job.stage),
            ("Message", job.message or ""),
            ("Flavor", str(job.spec.get("flavor", "cpu-basic"))),
            ("Image", str(job.spec.get("dockerImage") or job.spec.get("spaceId") or "")),
        ]
        return _page(f"Job {ns}/{job.id}", rows, job.log)

    async def space_page(request: Request) -> Response:
        repo_id = f"{request.path_params['ns']}/{request.path_params['name']}"
        space = store.spaces.get(repo_id)
        if space is None:
            return _page(f"Space {repo_id}", [("Status", "not found")], None, status=404)
        rows = [
            ("Stage", space.reported_stage()),
            ("Hardware", f"{space.hardware or '-'} (requested {space.requested_hardware or '-'})"),
            ("Error", space.error_message or ""),
        ]
        return _page(f"Space {repo_id}", rows, space.run_log if space.run_log.entries else space.build_log)

    return [
        Route("/jobs/{ns}/{job_id}", job_page, methods=["GET"]),
        Route("/spaces/{ns}/{name}", space_page, methods=["GET"]),
    ]


def _page(title: str, rows: list[tuple[str, str]], log: LogBuffer | None, status: int = 200) -> Response:
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    lines = "\n".join(escape(line) for line in (log.lines()[-LAST_LINES:] if log else []))
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)} (fake Hub)</title></head>"
        f"<body><h1>{escape(title)}</h1><p>Served by the fake Hub.</p><table>{cells}</table>"
        f"<h2>Last log lines</h2><pre>{lines}</pre></body></html>"
    )
    return HTMLResponse(body, status_code=status)
