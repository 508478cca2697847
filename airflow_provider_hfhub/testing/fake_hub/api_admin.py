"""Admin routes under ``/_fake/``: reset, config, scenarios, Spaces, faults, request log, reports.

No auth, not logged, never faulted. Bodies use snake_case (they are ours, not the Hub's).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .faults import Fault
from .http import HttpError, error, json_object
from .jobs import JobScenario
from .spaces import space_from_admin
from .store import Store


def _build(cls: type, body: dict[str, Any]) -> Any:
    known = {f.name for f in fields(cls)}
    unknown = set(body) - known
    if unknown:
        raise HttpError(400, f"unknown {cls.__name__} fields: {sorted(unknown)}")
    try:
        return cls(**body)
    except (TypeError, ValueError) as exc:
        raise HttpError(400, str(exc)) from exc


def routes(store: Store) -> list[Route]:
    """Return the admin routes bound to ``store``."""
    s = store

    async def reset(request: Request) -> Response:
        s.reset()
        return JSONResponse({"ok": True})

    async def config(request: Request) -> Response:
        if request.method == "POST":
            try:
                s.settings.update(await json_object(request))
            except ValueError as exc:
                return error(400, str(exc))
        return JSONResponse(s.settings.to_json())

    async def scenarios(request: Request) -> Response:
        if request.method == "POST":  # answer with the one scenario: registering many stays linear
            sc = _build(JobScenario, await json_object(request))
            s.scenarios[sc.name] = sc
            return JSONResponse({sc.name: vars(sc)})
        return JSONResponse({n: vars(sc) for n, sc in s.scenarios.items()})

    async def default_scenario(request: Request) -> Response:
        name = (await json_object(request)).get("name")
        if name is not None and name not in s.scenarios:
            return error(400, f"unknown fake scenario {name!r}")
        s.default_scenario = name
        return JSONResponse({"name": name})

    async def add_space(request: Request) -> Response:
        body = await json_object(request)
        try:
            space = space_from_admin(body)
        except (KeyError, TypeError, ValueError) as exc:
            return error(400, f"bad space: {exc}")
        old = s.spaces.get(space.repo_id)
        if old is not None:
            old.stop(old.stage, keep_hardware=True)
        s.spaces[space.repo_id] = space
        if space.stage == "BUILDING":
            space.restart(reason="admin")
        return JSONResponse(space.report())

    def space_of(request: Request) -> Any:
        repo_id = f"{request.path_params['ns']}/{request.path_params['name']}"
        if repo_id not in s.spaces:
            raise HttpError(404, f"no fake Space {repo_id}")
        return s.spaces[repo_id]

    async def space_state(request: Request) -> Response:
        return JSONResponse(space_of(request).report())

    async def space_stage(request: Request) -> Response:
        space = space_of(request)
        body = await json_object(request)
        stage = str(body.get("stage", ""))
        if not stage:
            return error(400, "stage is required")
        if stage == "BUILDING":
            space.restart(reason="admin")
        else:
            space.stop(stage, keep_hardware=stage in ("RUNNING", "RUNTIME_ERROR"))
            if stage.endswith("ERROR"):
                space.error_message = body.get("error_message") or f"{stage} (forced by the fake Hub admin)"
        return JSONResponse(space.report())

    async def finish_job(request: Request) -> Response:
        job = s.jobs.get(request.path_params["job_id"])
        if job is None:
            return error(404, "no such job")
        body = await json_object(request, required=False)
        s.finish_job(job, str(body.get("stage", "COMPLETED")), body.get("message"))
        return JSONResponse(job.report())

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            s.faults.append(_build(Fault, await json_object(request)))
        elif request.method == "DELETE":
            s.faults.clear()
        return JSONResponse([f.to_json() for f in s.faults])

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            s.requests.clear()
        prefix = request.query_params.get("path_prefix")
        return JSONResponse([r for r in s.requests if not prefix or r["path"].startswith(prefix)])

    async def jobs(request: Request) -> Response:
        return JSONResponse([j.report() for j in s.jobs.values()])

    async def streams(request: Request) -> Response:
        return JSONResponse(list(s.open_streams.values()))

    return [
        Route("/_fake/reset", reset, methods=["POST"]),
        Route("/_fake/config", config, methods=["GET", "POST"]),
        Route("/_fake/scenarios", scenarios, methods=["GET", "POST"]),
        Route("/_fake/scenarios/default", default_scenario, methods=["POST"]),
        Route("/_fake/spaces", add_space, methods=["POST"]),
        Route("/_fake/spaces/{ns}/{name}", space_state, methods=["GET"]),
        Route("/_fake/spaces/{ns}/{name}/stage", space_stage, methods=["POST"]),
        Route("/_fake/jobs", jobs, methods=["GET"]),
        Route("/_fake/jobs/{job_id}/finish", finish_job, methods=["POST"]),
        Route("/_fake/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_fake/requests", requests, methods=["GET", "DELETE"]),
        Route("/_fake/streams", streams, methods=["GET"]),
    ]
