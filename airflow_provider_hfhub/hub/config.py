"""Client settings as plain values, so they survive trigger serialisation. No Airflow imports here."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_ENDPOINT = "https://huggingface.co"
# The image the official client runs uv scripts in (huggingface_hub _jobs_api / hf_api.run_uv_job).
DEFAULT_UV_IMAGE = "ghcr.io/astral-sh/uv:python3.12-bookworm"
# An inline uv script travels base64-encoded in this environment variable (calls/jobs.py::uv_command).
INLINE_SCRIPT_ENV = "HFHUB_INLINE_SCRIPT_B64"
# The Job's process receives each environment variable as one string, which Linux caps at
# MAX_ARG_STRLEN = 131072 bytes, "NAME=" and the final NUL included (execve(2), "Limits on size of
# arguments and environment"); base64 turns 3 bytes into 4.
MAX_INLINE_SCRIPT_BYTES = (131072 - len(INLINE_SCRIPT_ENV) - 2) // 4 * 3
# A user or org name: one path segment of /api/jobs/{namespace} (a "/" would address another path).
NAMESPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


def check_endpoint(endpoint: str) -> str:
    """The Hub's base URL, without a trailing ``/``; an error says what to write instead.

    A host without a scheme used to become ``https://host``: against a plain-HTTP server (the fake
    Hub) that is an SSL error after every retry. ``.../api`` would send ``/api/api/...``: 404s.
    """
    parts = urlsplit(endpoint)
    try:
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number
        valid = False
    if not valid:
        raise ValueError(
            f"Hub endpoint {endpoint!r} is not an http(s) URL: write it in full, e.g. {DEFAULT_ENDPOINT} "
            "(or http://127.0.0.1:PORT for a local fake Hub)"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(
            f"Hub endpoint {endpoint!r} must be a base URL, without credentials, query or fragment"
        )
    if parts.path.rstrip("/").endswith("/api"):
        base = endpoint.rstrip("/").removesuffix("/api")
        raise ValueError(
            f"Hub endpoint {endpoint!r} ends in /api: give the Hub's base URL ({base}); /api/... is added"
        )
    return endpoint.rstrip("/")


def check_namespace(namespace: object) -> str:
    if not isinstance(namespace, str) or not NAMESPACE.match(namespace):
        raise ValueError(
            f"namespace {namespace!r} must be one user or org name (letters, digits, '-', '_' and '.', "
            "no '/'), such as 'my-org'"
        )
    return namespace


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to retry a request; one policy for the sync and async clients.

    :param max_attempts: attempts in all, the first included.
    :param max_total_wait: seconds of waiting in all before giving up.
    :param initial_wait: first back-off, doubled each time up to ``max_wait``.
    :param max_wait: longest single back-off (a longer ``Retry-After`` from the Hub is honoured).
    """

    max_attempts: int = 5
    max_total_wait: float = 120.0
    initial_wait: float = 1.0
    max_wait: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if min(self.max_total_wait, self.initial_wait, self.max_wait) < 0:
            raise ValueError("retry waits must not be negative")


@dataclass(frozen=True)
class StreamPolicy:
    """How log streams are followed: every wait the log flows make comes from here.

    :param stage_checks_after_end: when a Job's stream closes, the stage is checked this many seconds
        after the close (increasing): once at once, then from about when the Hub's stage flips (it
        lags the last log line by ~1.3 s, docs/hub-api.md#log-streams). A Space watch uses the same
        schedule after a stream of its ends.
    :param backstop_interval: while a stream is open but silent (keep-alives only), check the
        stage this often so an endless empty stream still ends.
    :param read_timeout: seconds of total silence (not even a keep-alive) after which the
        connection is taken as dead and reopened.
    :param max_reconnects: consecutive failed connections before giving up. A connection that
        delivered anything (a replayed line, a keep-alive) ends the run of failures.
    :param reconnect_wait: the first wait before reconnecting, doubled after each failure in a row...
    :param max_reconnect_wait: ...up to this.
    :param idle_timeout: without ``follow``, or after the Job is over, the stream is taken as
        drained after this much silence.
    """

    stage_checks_after_end: tuple[float, ...] = (0.0, 1.0, 1.5, 2.5, 4.5, 8.5)
    backstop_interval: float = 30.0
    read_timeout: float = 90.0
    max_reconnects: int = 8
    reconnect_wait: float = 1.0
    max_reconnect_wait: float = 10.0
    idle_timeout: float = 5.0

    def __post_init__(self) -> None:
        checks = self.stage_checks_after_end
        if not checks or list(checks) != sorted(checks) or checks[0] < 0:
            raise ValueError(f"stage_checks_after_end must be increasing offsets >= 0, got {checks!r}")
        if min(self.backstop_interval, self.read_timeout, self.idle_timeout) <= 0:
            raise ValueError("stream intervals must be positive")

    def wait_before_reconnect(self, failures: int) -> float:
        """The back-off before the next connection after ``failures`` (>= 1) in a row."""
        return min(self.max_reconnect_wait, self.reconnect_wait * 2 ** max(failures - 1, 0))


@dataclass(frozen=True)
class HubConfig:
    """Where the Hub is and how to talk to it.

    :param endpoint: the Hub's base URL.
    :param token: the Hugging Face token, or None for anonymous calls.
    :param namespace: default user or org for Jobs; None resolves it from ``whoami-v2`` once.
    """

    endpoint: str = DEFAULT_ENDPOINT
    token: str | None = field(default=None, repr=False)
    namespace: str | None = None
    user_agent: str = ""
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    stream: StreamPolicy = field(default_factory=StreamPolicy)

    def __post_init__(self) -> None:
        object.__setattr__(self, "endpoint", check_endpoint(self.endpoint or DEFAULT_ENDPOINT))
        if self.namespace is not None:
            check_namespace(self.namespace)

    @classmethod
    def from_env(cls, **overrides: object) -> HubConfig:
        """Read ``HF_TOKEN`` and ``HF_ENDPOINT`` as the official client does."""
        values: dict[str, object] = {
            "endpoint": os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT,
            "token": os.environ.get("HF_TOKEN") or None,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
