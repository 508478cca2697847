"""Spaces routes: ``/api/spaces/{ns}/{name}/...`` runtime management and logs.

See docs/hub-api.md#spaces-endpoints.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .catalog import SPACE_FLAVORS, hardware_list
from .http import HttpError, error, json_object
from .spaces import Space, SpaceScenario
from .sse import SPACE_KEEPALIVE, follow_log, sse_response
from .state import iso, now
from .store import Store

NOT_FOUND = "Repository not found"
Handler = Callable[[Request, Space], Coroutine[Any, Any, Response]]


def routes(store: Store) -> list[Route]:
    """Return the Spaces routes bound to ``store``."""
    s = store

    def space_route(path: str, handler: Handler, methods: list[str], *, read_only: bool = False) -> Route:
        async def endpoint(request: Request) -> Response:
            ns, name = request.path_params["ns"], request.path_params["name"]
            space = s.spaces.get(f"{ns}/{name}")
            if space is None:
                return error(404, NOT_FOUND, "RepoNotFound")
            # Public runtimes are readable by anyone; everything else needs ownership.
            if not read_only and not s.settings.owns(ns):
                return error(403, f"You don't have the rights to manage this Space ({ns}/{name})")
            return await handler(request, space)

        return Route(f"/api/spaces/{{ns}}/{{name}}{path}", endpoint, methods=methods)

    def runtime(space: Space) -> JSONResponse:
        return JSONResponse(space.runtime())

    async def hardware(request: Request) -> Response:
        return JSONResponse(hardware_list(SPACE_FLAVORS))

    async def get_runtime(request: Request, space: Space) -> Response:
        return runtime(space)

    async def restart(request: Request, space: Space) -> Response:
        if space.sdk == "static":
            return error(400, "Cannot restart a static Space")
        factory = request.query_params.get("factory", "").lower() == "true"
        space.restart(factory=factory, reason="factory" if factory else "restart")
        return runtime(space)

    async def pause(request: Request, space: Space) -> Response:
        if space.sdk == "static":
            return error(400, "Cannot pause a static Space")
        space.stop("PAUSED")
        return runtime(space)

    async def set_hardware(request: Request, space: Space) -> Response:
        body = await json_object(request)
        flavor = body.get("flavor")
        if flavor not in SPACE_FLAVORS:
            return error(400, f"Invalid hardware flavor '{flavor}'")
        if body.get("sleepTimeSeconds") is not None:
            space.sleep_time = int(body["sleepTimeSeconds"])
        space.requested_hardware = flavor
        if space.stage != "PAUSED":
            space.restart(reason="hardware")
        return runtime(space)

    async def sleeptime(request: Request, space: Space) -> Response:
        body = await json_object(request)
        if not isinstance(body.get("seconds"), int):
            return error(400, "seconds must be an integer")
        space.sleep_time = body["seconds"]
        return runtime(space)

    async def storage(request: Request, space: Space) -> Response:
        if request.method == "DELETE":
            if space.storage is None:
                return error(400, "This Space has no persistent storage")
            space.storage = None
            return runtime(space)
        tier = (await json_object(request)).get("tier")
        if tier not in ("small", "medium", "large"):
            return error(400, f"Invalid storage tier '{tier}'")
        space.storage = tier
        return runtime(space)

    async def volumes(request: Request, space: Space) -> Response:
        if request.method == "DELETE":
            if not space.volumes:
                return error(400, "This Space has no volumes")
            space.volumes = []
            return runtime(space)
        vols = (await json_object(request)).get("volumes")
        if not isinstance(vols, list):
            return error(400, "volumes must be a list")
        space.volumes = vols
        return runtime(space)

    async def dev_mode(request: Request, space: Space) -> Response:
        space.dev_mode = bool((await json_object(request)).get("enabled"))
        return runtime(space)

    async def secrets(request: Request, space: Space) -> Response:
        if request.method == "GET":
            return JSONResponse(space.secrets)
        body = await json_object(request)
        key = _key(body)
        if request.method == "DELETE":
            space.secrets.pop(key, None)
        else:
            entry: dict[str, Any] = {"updatedAt": iso(now())}
            if body.get("description") is not None:
                entry["description"] = body["description"]
            space.secrets[key] = entry
        return JSONResponse({})

    async def variables(request: Request, space: Space) -> Response:
        if request.method != "GET":
            body = await json_object(request)
            key = _key(body)
            if request.method == "DELETE":
                space.variables.pop(key, None)
            else:
                space.variables[key] = _variable(body)
        return JSONResponse(space.variables)

    async def duplicate(request: Request, space: Space) -> Response:
        body = await json_object(request)
        target = str(body.get("repository") or "")
        ns, _, name = target.partition("/")
        if not name:
            return error(400, "repository must be 'namespace/name'")
        if not s.settings.owns(ns):
            return error(403, f"You don't have the rights to create a Space in namespace '{ns}'")
        base = str(request.base_url).rstrip("/")
        if target in s.spaces:
            # The Hub's 409 body carries the url too; the client reads it with ``exist_ok=True``.
            return error(409, "You already created this space repo", url=f"{base}/spaces/{target}")
        copy = Space(namespace=ns, name=name, sdk=space.sdk, scenario=SpaceScenario(**vars(space.scenario)))
        copy.requested_hardware = body.get("hardware") or "cpu-basic"
        copy.hardware = None
        copy.sleep_time = body.get("sleepTimeSeconds", copy.sleep_time)
        copy.volumes = list(body.get("volumes") or [])
        copy.variables = dict(space.variables)
        for item in body.get("variables") or []:
            copy.variables[_key(item)] = _variable(item)
        for item in body.get("secrets") or []:
            copy.secrets[_key(item)] = {"updatedAt": iso(now())}
        s.spaces[target] = copy
        copy.restart(reason="duplicate")
        return JSONResponse({"url": f"{base}/spaces/{target}"})

    async def build_logs(request: Request, space: Space) -> Response:
        return logs(space, build=True)

    async def run_logs(request: Request, space: Space) -> Response:
        return logs(space, build=False)

    def logs(space: Space, *, build: bool) -> Response:
        buf = space.build_log if build else space.run_log
        return sse_response(
            follow_log(
                buf,
                keepalive_interval=lambda: s.settings.keepalive_interval,
                keepalive=SPACE_KEEPALIVE,
                suffix="\n",
            )
        )

    return [
        Route("/api/spaces/hardware", hardware),
        space_route("/runtime", get_runtime, ["GET"], read_only=True),
        space_route("/restart", restart, ["POST"]),
        space_route("/pause", pause, ["POST"]),
        space_route("/hardware", set_hardware, ["POST"]),
        space_route("/sleeptime", sleeptime, ["POST"]),
        space_route("/storage", storage, ["POST", "DELETE"]),
        space_route("/volumes", volumes, ["PUT", "DELETE"]),
        space_route("/dev-mode", dev_mode, ["POST"]),
        space_route("/secrets", secrets, ["GET", "POST", "DELETE"]),
        space_route("/variables", variables, ["GET", "POST", "DELETE"]),
        space_route("/duplicate", duplicate, ["POST"], read_only=True),
        space_route("/logs/build", build_logs, ["GET"]),
        space_route("/logs/run", run_logs, ["GET"]),
    ]


def _key(body: dict[str, Any]) -> str:
    key = body.get("key")
    if not isinstance(key, str) or not key:
        raise HttpError(400, "key is required")
    return key


def _variable(body: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"value": str(body.get("value", "")), "updatedAt": iso(now())}
    if body.get("description") is not None:
        entry["description"] = body["description"]
    return entry
