"""Errors raised by the Hub client.

No Airflow imports here. The tree::

    HubError
    ├── HubTransportError        the request did not complete (connect, read, protocol); retryable
    ├── HubStatusError           the Hub answered with an error status
    │   ├── BadRequestError      400, 422: the request is wrong; fix the arguments
    │   ├── AuthenticationError  401: the token is missing, invalid or expired
    │   ├── ForbiddenError       403: the token may not act on this resource
    │   ├── NotFoundError        404: no such Job, Space or namespace
    │   ├── ConflictError        409: the resource already exists or is busy
    │   ├── RateLimitedError     429: too many requests; ``retry_after`` seconds
    │   └── ServerError          5xx: the Hub failed; retryable
    ├── HubResponseError         the Hub answered 2xx with something we could not read
    └── HubOutcomeError          the remote work ended badly
        ├── JobFailedError       a Job ended ERROR / CANCELED / DELETED
        └── SpaceFailedError     a Space ended in an error stage

Every status error carries the Hub's request id, ``X-Error-Code`` and ``X-Error-Message``.
"""

from __future__ import annotations

import re
from typing import Any

import httpx


class HubError(Exception):
    """Base class of every error this client raises."""


class HubTransportError(HubError):
    """The request did not complete: connection refused or dropped, timeout, protocol error."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class HubStatusError(HubError):
    """The Hub answered with an error status."""

    hint = "Check the request."

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        method: str = "",
        url: str = "",
        request_id: str | None = None,
        error_code: str | None = None,
        server_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.method = method
        self.url = url
        self.request_id = request_id
        self.error_code = error_code
        self.server_message = server_message


class BadRequestError(HubStatusError, ValueError):
    hint = "The Hub rejected the request's arguments: fix them as the Hub's message says."


class AuthenticationError(HubStatusError):
    hint = (
        "The token is missing, invalid or expired: enter a valid Hugging Face token in the Airflow "
        'connection\'s "Hugging Face token" field (HF_TOKEN when there is no connection).'
    )


class ForbiddenError(HubStatusError):
    hint = (
        "The token may not act on this resource: use a token with write access to this namespace, "
        "or check that you own the Space / Job."
    )


class NotFoundError(HubStatusError):
    hint = "Check the id, the repo id and the namespace (user or org) it belongs to."


class ConflictError(HubStatusError):
    hint = "The resource already exists or is busy: pick another name or wait for it to finish."


class RateLimitedError(HubStatusError):
    hint = "The Hub's rate limit was hit: wait, or lower the request rate (poll intervals)."

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(HubStatusError):
    hint = "The Hub failed to answer; this is usually transient."


class HubResponseError(HubError):
    """A 2xx answer whose body could not be read."""


class HubOutcomeError(HubError):
    """The remote work ended in a failure stage."""


class JobFailedError(HubOutcomeError):
    def __init__(self, message: str, *, job_id: str, stage: str, log_tail: list[str] | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.stage = stage
        self.log_tail = log_tail or []


class SpaceFailedError(HubOutcomeError):
    def __init__(self, message: str, *, repo_id: str, stage: str, log_tail: list[str] | None = None) -> None:
        super().__init__(message)
        self.repo_id = repo_id
        self.stage = stage
        self.log_tail = log_tail or []


_STATUS_CLASSES: dict[int, type[HubStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: BadRequestError,
    429: RateLimitedError,
}

# `RateLimit: "api";r=0;t=55` (IETF draft the Hub uses): t is the seconds until the window resets.
_RATELIMIT_RESET = re.compile(r";\s*t=(\d+(?:\.\d+)?)")


def status_error_class(status_code: int) -> type[HubStatusError]:
    if status_code >= 500:
        return ServerError
    return _STATUS_CLASSES.get(status_code, HubStatusError)


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds the Hub asks us to wait: ``Retry-After`` (seconds form) or the ``RateLimit`` reset."""
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass  # HTTP-date form: fall back to RateLimit or our own back-off
    match = _RATELIMIT_RESET.search(headers.get("ratelimit", ""))
    return float(match.group(1)) if match else None


def _server_message(response: httpx.Response) -> str | None:
    header = response.headers.get("x-error-message")
    if header:
        return header
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:500] if text and not text.startswith("<") else None
    if isinstance(body, dict):
        error = body.get("error") or body.get("message")
        if isinstance(error, list):
            return "; ".join(str(item) for item in error)
        return str(error) if error else None
    return None


def error_from_response(response: httpx.Response) -> HubStatusError:
    """Build the error for a failed response; the message says what failed and what to fix."""
    request = response.request
    cls = status_error_class(response.status_code)
    server_message = _server_message(response)
    request_id = response.headers.get("x-request-id") or request.headers.get("x-amzn-trace-id")
    parts = [f"{request.method} {request.url} failed with {response.status_code} {response.reason_phrase}"]
    if server_message:
        parts[0] += f": {server_message}"
    parts[0] = _sentence(parts[0])
    parts.append(cls.hint)
    retry_after = retry_after_seconds(response.headers) if cls is RateLimitedError else None
    if retry_after is not None:
        parts.append(f"The Hub asks to retry after {retry_after:g} s.")
    if request_id:
        parts.append(f"(Request ID: {request_id})")
    kwargs: dict[str, Any] = {
        "status_code": response.status_code,
        "method": request.method,
        "url": str(request.url),
        "request_id": request_id,
        "error_code": response.headers.get("x-error-code"),
        "server_message": server_message,
    }
    if cls is RateLimitedError:
        return RateLimitedError(" ".join(parts), retry_after=retry_after, **kwargs)
    return cls(" ".join(parts), **kwargs)


def _sentence(text: str) -> str:
    """End ``text`` as a sentence: the Hub's messages often have no full stop ("...header")."""
    return text if text.endswith((".", "!", "?")) else f"{text}."


def transport_error(exc: httpx.TransportError) -> HubTransportError:
    request = exc.request if _has_request(exc) else None
    method, url = (request.method, str(request.url)) if request is not None else ("", "")
    kind = type(exc).__name__
    return HubTransportError(
        f"{method} {url} did not complete ({kind}: {exc}). Check that the Hub endpoint is reachable.",
        method=method,
        url=url,
    )


def _has_request(exc: httpx.TransportError) -> bool:
    try:
        exc.request  # noqa: B018 - raises RuntimeError when the error has no request attached
    except RuntimeError:
        return False
    return True
