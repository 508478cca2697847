"""Jobs routes: ``/api/whoami-v2``, ``/api/jobs/...`` and ``/api/scheduled-jobs/...``.

See docs/hub-api.md#whoami, #jobs-endpoints and #scheduled-jobs.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .catalog import JOB_FLAVORS, gpus, hardware_list
from .http import HttpError, check_jobs_namespace, error, json_object
from .jobs import Job
from .sse import data_event, follow_log, sse_response
from .store import Store, scheduled_json


def routes(store: Store) -> list[Route]:
    """Return the Jobs routes bound to ``store``."""
    s = store

    def job_of(request: Request) -> Job:
        ns, job_id = request.path_params["ns"], request.path_params["job_id"]
        check_jobs_namespace(s.settings, ns)
        job = s.jobs.get(job_id)
        if job is None or job.namespace != ns:
            raise HttpError(404, f"Job {job_id} not found")
        return job

    def sched_of(request: Request) -> dict[str, Any]:
        ns, sid = request.path_params["ns"], request.path_params["sid"]
        check_jobs_namespace(s.settings, ns)
        item = s.scheduled.get(sid)
        if item is None or item["namespace"] != ns:
            raise HttpError(404, f"Scheduled Job {sid} not found")
        return item

    def job_json(job: Job) -> JSONResponse:
        return JSONResponse(job.to_json(s.settings.user))

    async def whoami(request: Request) -> Response:
        return JSONResponse(s.whoami())

    async def hardware(request: Request) -> Response:
        return JSONResponse(hardware_list(JOB_FLAVORS))

    async def create(request: Request) -> Response:
        ns = request.path_params["ns"]
        check_jobs_namespace(s.settings, ns)
        spec = validate_spec(await json_object(request))
        try:
            job = s.create_job(ns, spec)
        except KeyError as exc:
            return error(400, str(exc.args[0]))
        return job_json(job)

    async def list_jobs(request: Request) -> Response:
        ns = request.path_params["ns"]
        check_jobs_namespace(s.settings, ns)
        q = request.query_params
        jobs = s.list_jobs(ns, q.getlist("stage"), q.getlist("label"))
        start = int(q.get("cursor", "0"))
        size = max(1, int(s.settings.page_size))
        page = jobs[start : start + size]
        headers = {}
        if start + size < len(jobs):
            # The client follows ``next`` without re-adding its params: keep the filters in it.
            params = [(k, v) for k, v in q.multi_items() if k != "cursor"] + [("cursor", str(start + size))]
            headers["Link"] = f'<{request.url.replace(query=urlencode(params))}>; rel="next"'
        return JSONResponse([j.to_json(s.settings.user) for j in page], headers=headers)

    async def inspect(request: Request) -> Response:
        return job_json(job_of(request))

    async def cancel(request: Request) -> Response:
        job = job_of(request)
        s.cancel_job(job)
        return job_json(job)

    async def duplicate(request: Request) -> Response:
        job = job_of(request)
        initiator = {"type": "duplicated-job", "id": job.id}
        return job_json(s.create_job(job.namespace, dict(job.spec), initiator))

    async def labels(request: Request) -> Response:
        job = job_of(request)
        body = await json_object(request)
        job.spec["labels"] = dict(body.get("labels") or {})
        return job_json(job)

    async def expose(request: Request) -> Response:
        job = job_of(request)
        body = await json_object(request)
        job.spec["expose"] = {"ports": body.get("ports") or [], "portsPublic": body.get("portsPublic") or []}
        return job_json(job)

    async def logs(request: Request) -> Response:
        job = job_of(request)
        tail = request.query_params.get("tail")
        endless = bool(job.scenario and job.scenario.endless_empty_stream)
        return sse_response(
            follow_log(
                job.log,
                keepalive_interval=lambda: s.settings.keepalive_interval,
                tail=int(tail) if tail is not None else None,
                endless=endless,
                limit=1 if endless else None,
            )
        )

    async def metrics(request: Request) -> Response:
        job = job_of(request)
        if job.terminal:
            return error(406, "Job has already finished")
        return sse_response(metrics_stream(job, s))

    async def sched_create(request: Request) -> Response:
        ns = request.path_params["ns"]
        check_jobs_namespace(s.settings, ns)
        body = await json_object(request)
        spec = body.get("jobSpec")
        body["jobSpec"] = validate_spec(spec if isinstance(spec, dict) else {})
        if not body.get("schedule"):
            return error(400, "schedule is required")
        return JSONResponse(scheduled_json(s.create_scheduled(ns, body)))

    async def sched_list(request: Request) -> Response:
        ns = request.path_params["ns"]
        check_jobs_namespace(s.settings, ns)
        wanted = request.query_params.getlist("label")
        items = [i for i in s.scheduled.values() if i["namespace"] == ns]
        for expr in wanted:
            key, _, value = expr.partition("=")
            items = [i for i in items if (i["jobSpec"].get("labels") or {}).get(key) == value]
        return JSONResponse([scheduled_json(i) for i in items])

    async def sched_inspect(request: Request) -> Response:
        return JSONResponse(scheduled_json(sched_of(request)))

    async def sched_delete(request: Request) -> Response:
        item = sched_of(request)
        del s.scheduled[item["id"]]
        return JSONResponse({})

    async def sched_suspend(request: Request) -> Response:
        item = sched_of(request)
        item["suspend"] = request.url.path.endswith("/suspend")
        return JSONResponse(scheduled_json(item))

    async def sched_schedule(request: Request) -> Response:
        item = sched_of(request)
        body = await json_object(request)
        if not body.get("schedule"):
            return error(400, "schedule is required")
        item["schedule"] = body["schedule"]
        return JSONResponse(scheduled_json(item))

    async def sched_labels(request: Request) -> Response:
        item = sched_of(request)
        body = await json_object(request)
        item["jobSpec"]["labels"] = dict(body.get("labels") or {})
        return JSONResponse(scheduled_json(item))

    async def sched_run(request: Request) -> Response:
        item = sched_of(request)
        if not item["concurrency"] and s.running_for(item):
            return error(409, "A Job from this scheduled Job is already running and concurrency is disabled")
        try:
            return job_json(s.trigger_scheduled(item))
        except KeyError as exc:
            return error(400, str(exc.args[0]))

    job = "/api/jobs/{ns}/{job_id}"
    sched = "/api/scheduled-jobs/{ns}/{sid}"
    return [
        Route("/api/whoami-v2", whoami),
        Route("/api/jobs/hardware", hardware),
        Route("/api/jobs/{ns}", create, methods=["POST"]),
        Route("/api/jobs/{ns}", list_jobs, methods=["GET"]),
        Route(job, inspect, methods=["GET"]),
        Route(job + "/cancel", cancel, methods=["POST"]),
        Route(job + "/duplicate", duplicate, methods=["POST"]),
        Route(job + "/labels", labels, methods=["PUT"]),
        Route(job + "/expose", expose, methods=["PUT"]),
        Route(job + "/logs", logs, methods=["GET"]),
        Route(job + "/metrics", metrics, methods=["GET"]),
        Route("/api/scheduled-jobs/{ns}", sched_create, methods=["POST"]),
        Route("/api/scheduled-jobs/{ns}", sched_list, methods=["GET"]),
        Route(sched, sched_inspect, methods=["GET"]),
        Route(sched, sched_delete, methods=["DELETE"]),
        Route(sched + "/suspend", sched_suspend, methods=["POST"]),
        Route(sched + "/resume", sched_suspend, methods=["POST"]),
        Route(sched + "/schedule", sched_schedule, methods=["POST"]),
        Route(sched + "/labels", sched_labels, methods=["PUT"]),
        Route(sched + "/run", sched_run, methods=["POST"]),
    ]


def validate_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Reject what the Hub would reject (400), keep the rest as received."""
    if not spec.get("dockerImage") and not spec.get("spaceId"):
        raise HttpError(400, "Either dockerImage or spaceId is required")
    if not isinstance(spec.get("command", []), list):
        raise HttpError(400, "command must be a list of strings")
    flavor = spec.get("flavor", "cpu-basic")
    if flavor not in JOB_FLAVORS:
        raise HttpError(400, f"Invalid flavor '{flavor}'")
    return spec


async def metrics_stream(job: Job, store: Store) -> AsyncIterator[bytes]:
    """Emit one ``metric`` event per interval while the Job runs; end once its stage is terminal."""
    replica = hashlib.sha256(job.id.encode()).hexdigest()[:5]
    tick = 0
    waited = 0.0
    while not job.terminal and not job.log.dead:
        interval = store.settings.metrics_interval
        if job.stage == "RUNNING":
            tick += 1
            yield data_event(_sample(job, tick, replica), event="metric")
            waited = 0.0
        elif waited >= store.settings.keepalive_interval:
            yield b": keep-alive\n\n"
            waited = 0.0
        await asyncio.sleep(interval)
        waited += interval


def _sample(job: Job, tick: int, replica: str) -> dict[str, Any]:
    """One sample in the Hub's shape (docs/hub-api.md#job-metrics): a GPU entry per GPU of the flavor."""
    count, memory_total = gpus(job.spec.get("flavor", "cpu-basic"))
    fixed = job.scenario.gpu_utilization if job.scenario else None
    utilization = fixed if fixed is not None else 40 + tick % 50
    samples = {
        f"{replica}{index:02d}": {
            "utilization": utilization,
            "memory_used_bytes": min(2_000_000_000 * (1 + tick % 3), memory_total),
            "memory_total_bytes": memory_total,
        }
        for index in range(count)
    }
    return {
        "cpu_usage_pct": 10 + tick % 80,
        "cpu_millicores": 2000,
        "memory_used_bytes": 1_417_216 * (1 + tick % 4),
        "memory_total_bytes": 15_032_385_536,
        "rx_bps": 1000 * (tick % 5),
        "tx_bps": 500 * (tick % 3),
        "gpus": samples,
        "replica": replica,
    }
