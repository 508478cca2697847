"""The connection form's fields and what the hook makes of what the form saves.

Airflow's React form (3.1-3.3) saves an empty extra field as null, and 3.3's Test button needs a port
(apache/airflow#73298): the hook reads both as a user means them. The form itself: tests/ui/.
"""

from __future__ import annotations

import json

import pytest

from airflow_provider_hfhub.get_provider_info import get_provider_info
from airflow_provider_hfhub.hooks.hfhub import HfHubHook, endpoint_from
from airflow_provider_hfhub.testing import FakeHub


def _connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, **fields: object) -> str:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "hfhub", **fields}))
    return conn_id


def test_the_hook_gives_airflow_3_1_the_form_the_provider_info_gives_3_2() -> None:
    [conn_type] = get_provider_info()["connection-types"]
    declared = conn_type["ui-field-behaviour"]
    assert HfHubHook.get_ui_field_behaviour() == {
        "hidden_fields": declared["hidden-fields"],
        "relabeling": declared["relabeling"],
        "placeholders": declared["placeholders"],
    }
    assert declared["hidden-fields"] == ["schema", "login"]  # the port stays: 3.3's Test button
    assert declared["relabeling"]["password"] == "Hugging Face token"


def test_an_empty_namespace_saved_as_null_means_the_tokens_user(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn_id = _connection(
        monkeypatch, "hf_form", host=fake_hub.url, password=fake_hub.token, extra={"namespace": None}
    )
    hook = HfHubHook(conn_id)
    assert hook.get_config().namespace is None
    job = hook.run_job(image="python:3.12", command=["true"])
    assert job.owner.name == fake_hub.user
    assert [r["path"] for r in fake_hub.requests() if r["method"] == "POST"] == [f"/api/jobs/{fake_hub.user}"]


@pytest.mark.parametrize("port", ["own", None])
def test_a_port_that_is_the_endpoints_own_or_none_works(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch, port: object
) -> None:
    if port == "own":
        port = int(fake_hub.url.rsplit(":", 1)[1])
    conn_id = _connection(monkeypatch, "hf_port", host=fake_hub.url, password=fake_hub.token, port=port)
    ok, message = HfHubHook(conn_id).test_connection()
    assert ok, message
    assert message == f"Connected to {fake_hub.url} as {fake_hub.user}"


def test_a_port_that_is_not_the_endpoints_is_refused_before_any_request(
    fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = int(fake_hub.url.rsplit(":", 1)[1])
    other = own + 1 if own < 65535 else own - 1
    conn_id = _connection(monkeypatch, "hf_port", host=fake_hub.url, password=fake_hub.token, port=other)
    ok, message = HfHubHook(conn_id).test_connection()
    assert not ok
    assert message == (
        f"The connection's port {other} is not the port of its Hub endpoint {fake_hub.url} ({own}): "
        f"leave the port empty or set it to {own}"
    )
    assert fake_hub.requests() == []


@pytest.mark.parametrize(
    ("host", "port", "endpoint"),
    [
        (None, 443, "https://huggingface.co"),
        ("https://huggingface.co/", 443, "https://huggingface.co"),
        ("http://hub.internal", 80, "http://hub.internal"),
        ("https://hub.internal:8443", 8443, "https://hub.internal:8443"),
        # A stored port 0 (Airflow 3.3's UI sends 0 for "no port"; an environment connection drops it)
        ("http://127.0.0.1:8080", 0, "http://127.0.0.1:8080"),
    ],
)
def test_the_default_port_of_the_scheme_is_the_endpoints_own(
    host: str | None, port: int, endpoint: str
) -> None:
    assert endpoint_from(host, port) == endpoint


def test_the_hubs_default_endpoint_on_another_port_is_refused() -> None:
    with pytest.raises(
        ValueError, match=r"port 8443 is not the port of its Hub endpoint https://huggingface.co \(443\)"
    ):
        endpoint_from(None, 8443)


def test_the_api_server_builds_the_form_the_provider_declares() -> None:
    # What the UI is given: on 3.1 from the hook's methods, on 3.2+ from the provider info.
    from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService

    [meta] = [meta for meta in HookMetaService.hook_meta_data() if meta.connection_type == "hfhub"]
    assert meta.standard_fields is not None and meta.standard_fields.port is not None
    assert (meta.standard_fields.port.hidden, meta.standard_fields.port.title) == (False, "Hub port")
    assert meta.standard_fields.login is not None and meta.standard_fields.login.hidden
    assert meta.extra_fields is not None
    namespace = meta.extra_fields["namespace"]
    assert namespace["schema"]["title"] == "Default namespace (user or org)"
    assert namespace["description"] == "User or org that runs the Jobs. Leave empty for the token's own user."
