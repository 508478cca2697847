"""The gated-deploy example DAG imports cleanly, and the Space modules stay cheap to import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_hfhub.testing import FakeHub

try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow < 3.2
    from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

EXAMPLE = Path(__file__).resolve().parents[2] / "dags_examples" / "space_gated_deploy.py"


def test_gated_deploy_dags_import_with_no_errors() -> None:
    bag = DagBag(dag_folder=str(EXAMPLE))
    assert bag.import_errors == {}
    dag = bag.dags["space_gated_deploy"]  # read from the file: no metadata DB
    downstream = {task.task_id: task.downstream_task_ids for task in dag.tasks}
    assert downstream == {"train": {"gate"}, "gate": {"deploy"}, "deploy": {"smoke"}, "smoke": set()}
    assert {"space_repo_id", "train_script", "app_folder"} <= set(dag.params)
    other = bag.dags["space_settings_restart"]
    downstream = {task.task_id: task.downstream_task_ids for task in other.tasks}
    assert downstream == {
        "set_variables": {"request_hardware"}, "set_secrets": {"request_hardware"},
        "request_hardware": {"restart"}, "restart": {"smoke"}, "smoke": set(),
    }  # fmt: skip
    hf_tasks = [t for d in (dag, other) for t in d.tasks if hasattr(t, "hfhub_conn_id")]
    assert len(hf_tasks) == 7 and {t.hfhub_conn_id for t in hf_tasks} == {"hfhub_default"}


def test_space_operators_and_sensor_import_no_hook_client_or_trigger() -> None:
    code = (
        "import sys\n"
        "import airflow_provider_hfhub.operators.spaces, airflow_provider_hfhub.sensors.spaces\n"
        "heavy = ('hooks.hfhub', 'hub.client', 'hub.async_client', 'hub.transport', 'triggers.spaces')\n"
        "print(sorted(m for m in heavy if 'airflow_provider_hfhub.' + m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def _dag_task(task_id: str) -> Any:
    return DagBag(dag_folder=str(EXAMPLE)).dags["space_settings_restart"].get_task(task_id)


@pytest.mark.parametrize(
    ("url", "ours"),
    [
        ("https://org-app.hf.space/", True),
        ("https://org-app.hf.space:443/health", True),
        ("https://huggingface.co/api/spaces/org/app/runtime", False),  # the Space's host only
        ("https://org-app.hf.space.evil.net/", False),
        ("https://org-app.hf.space@evil.net/", False),
        ("http://org-app.hf.space/", False),
        ("https://org-app.hf.space:8443/", False),
        ("https://evil.net/?u=https://org-app.hf.space", False),
        ("https://evil.net/://org-app.hf.space", False),
        ("https://other-app.hf.space/", False),
    ],
)
def test_smoke_token_goes_to_the_exact_space_origin_only(url: str, ours: bool) -> None:
    import httpx

    from airflow_provider_hfhub.operators.space_smoke import _OriginToken

    request = _OriginToken("https://org-app.hf.space", "hf_token")(httpx.Request("GET", url))
    assert ("authorization" in request.headers) is ours


def test_the_space_secret_has_no_default_and_is_set_from_the_environment(
    hub_connection: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_secrets = _dag_task("set_secrets").python_callable
    hub_connection.add_space("fake-user/demo-app")
    monkeypatch.delenv("SPACE_INFERENCE_API_KEY", raising=False)
    with pytest.raises(AirflowFailException, match=r"SPACE_INFERENCE_API_KEY is not set .*no default"):
        set_secrets("fake-user/demo-app")
    assert hub_connection.requests() == []
    monkeypatch.setenv("SPACE_INFERENCE_API_KEY", "key-from-the-worker")
    assert set_secrets("fake-user/demo-app") == ["INFERENCE_API_KEY"]
    [request] = hub_connection.requests()
    assert request["json"] == {"key": "INFERENCE_API_KEY", "value": "key-from-the-worker"}
