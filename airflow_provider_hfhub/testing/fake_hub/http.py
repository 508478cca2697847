"""Small helpers every route module shares: Hub-style errors, JSON bodies, namespace checks."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .state import Settings


class HttpError(Exception):
    """Raise from a route helper to answer with a Hub-style error."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code

    def response(self) -> Response:
        return error(self.status, self.message, self.code)


def error(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """Return a Hub-style error: ``{"error": ...}`` plus ``X-Error-Message`` / ``X-Error-Code``."""
    hdrs = {"X-Error-Message": message, **(headers or {})}
    if code:
        hdrs["X-Error-Code"] = code
    return JSONResponse({"error": message, **extra}, status_code=status, headers=hdrs)


async def json_object(request: Request, *, required: bool = True) -> dict[str, Any]:
    """Return the request's JSON object body, or raise a 400 the way the Hub does."""
    raw = await request.body()
    if not raw:
        if required:
            raise HttpError(400, "Request body must be a JSON object")
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise HttpError(400, f"Invalid JSON body: {exc}") from exc
    if not isinstance(body, dict):
        raise HttpError(400, "Request body must be a JSON object")
    return body


def check_jobs_namespace(settings: Settings, namespace: str) -> None:
    if not settings.owns(namespace):
        raise HttpError(403, f"You don't have the rights to run or see Jobs in namespace '{namespace}'")


async def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HttpError)
    return exc.response()
