"""HfSpaceSmokeTestOperator: the Space's own host, named by the Hub, answers; the token goes only there."""

from __future__ import annotations

import httpx
import pytest

from airflow_provider_hfhub.operators.spaces import HfSpaceSmokeTestOperator, SpaceError
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import run_task

SPACE = "fake-user/private-app"
OTHER = "fake-user/other-app"


def smoke(**kwargs: object) -> HfSpaceSmokeTestOperator:
    settings: dict[str, object] = {"task_id": "smoke", "repo_id": SPACE, "interval": 0.1, "timeout": 5}
    return HfSpaceSmokeTestOperator(**{**settings, **kwargs})  # type: ignore[arg-type]


def test_private_space_gets_the_token_and_no_other_host_does(hub_connection: FakeHub) -> None:
    hub_connection.add_space(OTHER)
    info = httpx.get(
        f"{hub_connection.url}/api/spaces/{OTHER}",
        headers={"authorization": f"Bearer {hub_connection.token}"},
    ).json()
    # The private Space answers with a redirect to another Space's host: the token must not follow.
    hub_connection.add_space(SPACE, private=True, app_redirect=f"{info['host']}/health", app_body="ready")
    hub_connection.add_space(OTHER, app_body="ready")
    result = run_task(smoke(path="/", expected_text="ready"))
    assert result["status"] == 200
    seen = [(r["space"], r["path"], r["authorization"]) for r in hub_connection.space_requests()]
    assert seen == [(SPACE, "/", True), (OTHER, "/health", False)]
    assert info["host"] != hub_connection.url


def test_public_space_gets_no_token(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE, app_body="hello")
    assert run_task(smoke(expected_text="hello"))["attempts"] == 1
    assert [r["authorization"] for r in hub_connection.space_requests()] == [False]


def test_retries_until_the_space_runs_then_fails_at_the_timeout(hub_connection: FakeHub) -> None:
    hub_connection.add_space(SPACE, stage="BUILDING", build_seconds=0.5)
    assert run_task(smoke())["attempts"] > 1  # 503 while it builds, then 200
    hub_connection.add_space(SPACE, app_status=500, app_body="Traceback: boom")
    with pytest.raises(SpaceError, match=r"did not answer 200 .* last answer 500: 'Traceback: boom'"):
        run_task(smoke(timeout=0.5))


def test_bad_path_fails_before_any_hub_call(hub_connection: FakeHub) -> None:
    with pytest.raises(ValueError, match="path must start with '/'"):
        smoke(path="health")
    assert hub_connection.requests() == []
