"""HfSpaceSmokeTestOperator: request a path on a Space's own host until it answers as expected.

The host is the one the Hub names (``host`` in the Space's info, ``https://<subdomain>.hf.space``),
never built from the Space's name. The token goes with the request only for a private Space, only
to that exact origin (scheme, host and port), and only over https (plain http on a loopback host,
where the fake Hub serves, is the one exception); a redirect elsewhere carries none.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_hfhub.operators.space_base import SpaceError, _SpaceOperator

if TYPE_CHECKING:
    import httpx
    from airflow.sdk import Context

BODY_SHOWN = 200  # characters of a wrong answer's body quoted in the failure


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """Scheme, host and port, the port made explicit, as browsers compare origins."""
    port = url.port or {"https": 443, "http": 80}.get(url.scheme)
    return url.scheme, url.host, port


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _OriginToken:
    """An httpx auth callable that adds the token to requests for one origin only (httpx drops it
    on redirects to another origin: ``httpx._client.Client._redirect_headers``)."""

    def __init__(self, host: str, token: str | None) -> None:
        import httpx

        self.origin = origin(httpx.URL(host))
        self.token = token

    def __call__(self, request: httpx.Request) -> httpx.Request:
        if self.token and origin(request.url) == self.origin:
            request.headers["Authorization"] = f"Bearer {self.token}"
        return request


class HfSpaceSmokeTestOperator(_SpaceOperator):
    """Request ``path`` on the Space's own host until it answers ``expected_status`` (and text).

    :param repo_id: the Space, ``namespace/name`` (templated).
    :param path: the path to request, starting with ``/`` (templated).
    :param expected_status: the HTTP status that passes.
    :param expected_text: text the answer's body must contain (templated; None: any body).
    :param timeout: seconds to keep trying before the task fails.
    :param interval: seconds between tries.
    :param request_timeout: seconds one request may take.
    :param hfhub_conn_id: the Airflow connection to the Hub (its token, for a private Space).
    :return: ``{"url", "status", "attempts"}``.
    """

    template_fields: Sequence[str] = ("repo_id", "path", "expected_text")

    def __init__(
        self,
        *,
        path: str = "/",
        expected_status: int = 200,
        expected_text: str | None = None,
        timeout: float = 300.0,
        interval: float = 5.0,
        request_timeout: float = 30.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.path = path
        self.expected_status = expected_status
        self.expected_text = expected_text
        self.timeout = timeout
        self.interval = interval
        self.request_timeout = request_timeout
        for name in ("timeout", "interval", "request_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive seconds, got {getattr(self, name)!r}")
        self._check_arguments(rendered=False)

    def _check_arguments(self, *, rendered: bool) -> None:
        super()._check_arguments(rendered=rendered)
        if self._ready(self.path, rendered) and not str(self.path).startswith("/"):
            raise ValueError(f"path must start with '/', got {self.path!r}")

    def execute(self, context: Context) -> dict[str, Any]:
        import httpx

        self._check_arguments(rendered=True)
        self._push_url(context, self.repo_id)
        info = self.hook.space_info(self.repo_id)
        url = self._url(info.host)
        token = self.hook.get_config().token if info.private else None
        deadline = time.monotonic() + self.timeout
        attempts, last = 0, "no answer yet"
        auth = _OriginToken(str(info.host), token)
        with httpx.Client(auth=auth, follow_redirects=True, timeout=self.request_timeout) as client:
            while True:
                attempts += 1
                try:
                    response = client.get(url)
                except httpx.HTTPError as exc:
                    last = f"{type(exc).__name__}: {exc}"
                else:
                    if self._passes(response):
                        self.log.info("%s answered %s (try %s)", url, response.status_code, attempts)
                        return {"url": url, "status": response.status_code, "attempts": attempts}
                    last = f"{response.status_code}: {response.text[:BODY_SHOWN]!r}"
                self.log.info("%s: %s; trying again", url, last)
                if time.monotonic() + self.interval > deadline:
                    raise SpaceError(
                        f"Space {self.repo_id} did not answer {self.expected_status}"
                        + (f" with {self.expected_text!r}" if self.expected_text else "")
                        + f" at {url} within {self.timeout:g} s ({attempts} tries); last answer {last}"
                    )
                time.sleep(self.interval)

    def _url(self, host: str | None) -> str:
        import httpx

        if not host:
            raise SpaceError(f"The Hub names no host for Space {self.repo_id}: is it a static or new Space?")
        parsed = httpx.URL(host)
        if parsed.scheme != "https" and not (parsed.scheme == "http" and is_loopback(parsed.host)):
            raise SpaceError(f"The Hub names {host!r} as the host of Space {self.repo_id}: not https")
        return str(host).rstrip("/") + str(self.path)

    def _passes(self, response: httpx.Response) -> bool:
        if response.status_code != self.expected_status:
            return False
        return self.expected_text is None or self.expected_text in response.text
