"""The retry policy, defined once and driven by tenacity's ``Retrying`` and ``AsyncRetrying``.

Retried: 429 (waiting what ``Retry-After`` / ``RateLimit`` asks), 5xx, connect and read errors.
Everything else fails at once. A request that creates paid work (``Call.creates``) is not sent
through tenacity: ``flows.create`` sends it again blind only when the Hub surely did not process it
(:func:`resend_is_safe`); after any other failure (:func:`may_have_processed`) it looks the work
up first, with :func:`backoff` and the same policy's attempts and total wait.
"""

from __future__ import annotations

import logging
import random
from typing import Any

import httpx
import tenacity

from airflow_provider_hfhub.hub.config import RetryPolicy
from airflow_provider_hfhub.hub.errors import (
    HubResponseError,
    HubTransportError,
    RateLimitedError,
    ServerError,
)

log = logging.getLogger(__name__)

# Errors raised before the request left this machine: safe to resend even a create.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def is_retryable(exc: BaseException) -> bool:
    """Worth sending again (a request that creates nothing): any 429, 5xx or transport error."""
    return isinstance(exc, (RateLimitedError, ServerError, HubTransportError))


def resend_is_safe(exc: BaseException) -> bool:
    """The Hub surely did not process the request: it never left this machine, or the Hub refused it (429).

    A 503 is not in this list: a proxy's 503 can follow a request the Hub did process.
    """
    if isinstance(exc, RateLimitedError):
        return True
    return isinstance(exc, HubTransportError) and isinstance(exc.__cause__, _NOT_SENT)


def may_have_processed(exc: BaseException) -> bool:
    """The request was sent and its answer lost: the Hub may have acted on it.

    Any 5xx (the Hub, or a proxy in front of it, failed after reading the request), a connection
    reset or timeout once the request was sent, or a 2xx whose body could not be read.
    """
    if isinstance(exc, (ServerError, HubResponseError)):
        return True
    return isinstance(exc, HubTransportError) and not resend_is_safe(exc)


def backoff(policy: RetryPolicy, attempt: int, exc: BaseException | None = None) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based), before the total-wait cut.

    The Hub's ``Retry-After`` when it sent one, else exponential back-off with jitter, as
    ``tenacity.wait_exponential_jitter`` computes it.
    """
    if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
        return exc.retry_after
    exponential = policy.initial_wait * 2 ** (attempt - 1) + random.uniform(0, policy.initial_wait / 2)
    return min(exponential, policy.max_wait)


class _WaitPolicy(tenacity.wait.wait_base):
    """:func:`backoff`, cut to what is left of the policy's total wait."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        wait = backoff(self._policy, retry_state.attempt_number, exc)
        remaining = self._policy.max_total_wait - (retry_state.idle_for or 0.0)
        return max(0.0, min(wait, remaining))


def _log_retry(retry_state: tenacity.RetryCallState) -> None:
    exc = retry_state.outcome.exception() if retry_state.outcome else None
    wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
    log.warning(
        "Hub request failed (attempt %d), retrying in %.1f s: %s", retry_state.attempt_number, wait, exc
    )


def retry_kwargs(policy: RetryPolicy) -> dict[str, Any]:
    """Keyword arguments for ``tenacity.Retrying`` and ``tenacity.AsyncRetrying`` alike.

    Not for creates: ``flows.create`` retries those itself, with :func:`backoff` and the same policy.
    """
    return {
        "stop": tenacity.stop_after_attempt(policy.max_attempts)
        | tenacity.stop_after_delay(policy.max_total_wait),
        "wait": _WaitPolicy(policy),
        "retry": tenacity.retry_if_exception(is_retryable),
        "before_sleep": _log_retry,
        "reraise": True,
    }
