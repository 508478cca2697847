"""An unreachable Hub costs one round of retries per request, not one more for the Job lookup."""

from __future__ import annotations

import pytest

from airflow_provider_hfhub.hooks.hfhub import HfHubHook
from airflow_provider_hfhub.hub import HubTransportError, RetryPolicy
from airflow_provider_hfhub.operators.jobs import HfRunJobOperator
from tests.airflow_support import run_task, set_connection
from tests.loopback import CountingServer

FAST_RETRY = RetryPolicy(max_attempts=3, initial_wait=0.01, max_wait=0.02, max_total_wait=5)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingServer:
    server = CountingServer()
    set_connection(monkeypatch, "hfhub_default", f"http://127.0.0.1:{server.port}", "hf_x")
    yield server
    server.close()


def test_a_failed_namespace_lookup_is_retried_by_one_policy_once(counting: CountingServer) -> None:
    """``whoami`` fails before the create is sent: there is no Job to look for, so no second round."""
    operator = HfRunJobOperator(task_id="t", image="python:3.12", command=["true"])
    operator.hook = HfHubHook(retry=FAST_RETRY)  # the Hub injected through the hook, fast waits
    with pytest.raises(HubTransportError, match="whoami-v2 did not complete"):
        run_task(operator)
    assert counting.connections == FAST_RETRY.max_attempts  # was twice that: whoami again for list_jobs


def test_a_host_without_a_scheme_fails_at_once(
    counting: CountingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It used to become https://host: an SSL error on each of two nested rounds of retries (~32 s)."""
    set_connection(monkeypatch, "hfhub_default", f"127.0.0.1:{counting.port}", "hf_x")
    with pytest.raises(ValueError, match=f"has no scheme: .* http://127.0.0.1:{counting.port}"):
        run_task(HfRunJobOperator(task_id="t", image="python:3.12", command=["true"]))
    assert counting.connections == 0
