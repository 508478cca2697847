"""The retry policy, defined once and driven by tenacity's ``Retrying`` and ``AsyncRetrying``.

Retried: 429 (waiting what ``Retry-After`` / ``RateLimit`` asks), 5xx, connect and read errors.
Everything else fails at once. A request that creates paid work (``Call.creates``) is retried only
when it surely did not reach the Hub: a connect error, a 429, or a 503 (refused before processing).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import tenacity

from airflow_provider_hfhub.hub.config import RetryPolicy
from airflow_provider_hfhub.hub.errors import HubTransportError, RateLimitedError, ServerError

log = logging.getLogger(__name__)

# Errors raised before the request left this machine: safe to resend even a create.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def is_retryable(exc: BaseException, *, creates: bool) -> bool:
    if isinstance(exc, RateLimitedError):
        return True
    if isinstance(exc, ServerError):
        return not creates or exc.status_code == 503
    if isinstance(exc, HubTransportError):
        return not creates or isinstance(exc.__cause__, _NOT_SENT)
    return False


def create_may_have_landed(exc: BaseException) -> bool:
    """Whether a failed create may still have made its Job, so looking it up is worth a request.

    Only when the failed request is the create itself (a POST: a failed ``whoami`` before it sent
    no create) and it reached the Hub without being refused (429, 503, connect errors were not).
    """
    if getattr(exc, "method", None) != "POST" or isinstance(exc, RateLimitedError):
        return False
    if isinstance(exc, ServerError):
        return exc.status_code != 503
    return isinstance(exc, HubTransportError) and not isinstance(exc.__cause__, _NOT_SENT)


class _WaitPolicy(tenacity.wait.wait_base):
    """Exponential back-off with jitter, or the Hub's own ``Retry-After`` when it sends one."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._exponential = tenacity.wait_exponential_jitter(
            initial=policy.initial_wait, max=policy.max_wait, jitter=policy.initial_wait / 2
        )
        self._budget = policy.max_total_wait

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
            wait = exc.retry_after
        else:
            wait = self._exponential(retry_state)
        remaining = self._budget - (retry_state.idle_for or 0.0)
        return max(0.0, min(wait, remaining))


def _log_retry(retry_state: tenacity.RetryCallState) -> None:
    exc = retry_state.outcome.exception() if retry_state.outcome else None
    wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
    log.warning(
        "Hub request failed (attempt %d), retrying in %.1f s: %s", retry_state.attempt_number, wait, exc
    )


def retry_kwargs(policy: RetryPolicy, *, creates: bool) -> dict[str, Any]:
    """Keyword arguments for ``tenacity.Retrying`` and ``tenacity.AsyncRetrying`` alike."""
    return {
        "stop": tenacity.stop_after_attempt(policy.max_attempts)
        | tenacity.stop_after_delay(policy.max_total_wait),
        "wait": _WaitPolicy(policy),
        "retry": tenacity.retry_if_exception(lambda exc: is_retryable(exc, creates=creates)),
        "before_sleep": _log_retry,
        "reraise": True,
    }
