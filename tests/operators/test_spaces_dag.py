"""The gated-deploy example DAG imports cleanly, and the Space modules stay cheap to import."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import set_connection

try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow < 3.2
    from airflow.models.dagbag import DagBag  # type: ignore[no-redef]

EXAMPLE = Path(__file__).resolve().parents[2] / "dags_examples" / "space_gated_deploy.py"


def test_gated_deploy_dag_imports_with_no_errors() -> None:
    bag = DagBag(dag_folder=str(EXAMPLE))
    assert bag.import_errors == {}
    dag = bag.dags["space_gated_deploy"]  # read from the file: no metadata DB
    downstream = {task.task_id: task.downstream_task_ids for task in dag.tasks}
    assert downstream == {
        "train": {"gate"}, "gate": {"set_variables", "set_secrets"}, "set_variables": {"request_hardware"},
        "set_secrets": {"request_hardware"}, "request_hardware": {"restart"}, "restart": {"smoke"}, "smoke": set(),
    }  # fmt: skip
    assert {"space_repo_id", "train_command"} <= set(dag.params)
    hf_tasks = [t for t in dag.tasks if hasattr(t, "hfhub_conn_id")]
    assert len(hf_tasks) == 4 and {t.hfhub_conn_id for t in hf_tasks} == {"hfhub_default"}


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
    return DagBag(dag_folder=str(EXAMPLE)).dags["space_gated_deploy"].get_task(task_id)


class HeaderRecorder:
    """A loopback HTTP server that answers 200 and records each request's Authorization header."""

    def __init__(self) -> None:
        seen = self.authorizations = []  # type: list[str | None]

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.headers.get("authorization"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def test_smoke_sends_the_token_only_to_the_hub_itself(
    hub_connection: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    smoke = _dag_task("smoke").python_callable
    space = {"repo_id": "fake-user/demo-app"}
    hub_connection.add_space(space["repo_id"])
    smoke(space, "{endpoint}/api/spaces/{repo_id}/runtime")  # the Hub itself: token sent
    [request] = hub_connection.requests()
    assert request["auth_ok"]

    recorder = HeaderRecorder()
    try:
        # The old checks: a URL that starts with the endpoint (port 4 is a prefix of this port), and
        # one that merely contains "://<subdomain>.hf.space".
        prefix = f"http://127.0.0.1:{str(recorder.port)[0]}"
        set_connection(monkeypatch, "hfhub_default", prefix, hub_connection.token)
        smoke(space, f"http://127.0.0.1:{recorder.port}/")
        smoke(space, f"http://127.0.0.1:{recorder.port}/?next=https://{{subdomain}}.hf.space/")
        assert recorder.authorizations == [None, None]
    finally:
        recorder.close()


@pytest.mark.parametrize(
    ("url", "ours"),
    [
        ("https://huggingface.co/api/spaces/org/app/runtime", True),
        ("https://huggingface.co:443/spaces/org/app", True),
        ("https://org-app.hf.space/", True),
        ("https://ORG-APP.hf.space/health", True),
        ("https://huggingface.co.evil.net/", False),
        ("https://huggingface.co@evil.net/", False),
        ("http://huggingface.co/", False),
        ("https://huggingface.co:8443/", False),
        ("https://evil.net/?u=https://org-app.hf.space", False),
        ("https://evil.net/://org-app.hf.space", False),
        ("https://org-app.hf.space.evil.net/", False),
        ("http://org-app.hf.space/", False),
        ("https://other-app.hf.space/", False),
    ],
)
def test_token_goes_to_the_exact_hub_and_space_origins_only(url: str, ours: bool) -> None:
    module = _dag_task("smoke").python_callable.__globals__
    assert module["token_may_go_to"](url, "https://huggingface.co", "org/app") is ours


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
