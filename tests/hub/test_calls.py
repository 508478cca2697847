"""Request builders produce exactly what the official client sends."""

from __future__ import annotations

import pytest
from huggingface_hub import _jobs_api as official

from airflow_provider_hfhub.hub import Volume, calls


@pytest.mark.parametrize(
    "kwargs",
    [
        {"image": "python:3.12", "command": ["python", "-c", "print(1)"]},
        {
            "image": "hf.co/spaces/lhoestq/duckdb",
            "command": ["duckdb"],
            "env": {"A": "1"},
            "secrets": {"S": "x"},
            "flavor": "a10g-small",
            "timeout": "1.5h",
            "labels": {"team": "ml"},
        },
        {"image": "ubuntu", "command": ["true"], "timeout": 300, "name": "nightly"},
        {"image": "ubuntu", "command": ["true"], "timeout": "90s", "labels": {"name": "mine"}},
    ],
)
def test_job_spec_matches_the_official_client(kwargs: dict) -> None:
    name = kwargs.get("name")
    if name is None and "name" not in (kwargs.get("labels") or {}):
        name = official._default_job_name_from_image(kwargs["image"], kwargs["command"])
    expected = official._create_job_spec(
        image=kwargs["image"],
        command=kwargs["command"],
        env=kwargs.get("env"),
        secrets=kwargs.get("secrets"),
        flavor=kwargs.get("flavor"),
        timeout=kwargs.get("timeout"),
        name=name,
        labels=kwargs.get("labels"),
    )
    assert calls.JobSpec(**kwargs).to_json() == expected
    assert list(calls.JobSpec(**kwargs).to_json()) == list(expected)  # key order too


def test_job_spec_is_a_frozen_value_with_the_official_clients_argument_names() -> None:
    import dataclasses
    import inspect

    from huggingface_hub import HfApi

    spec = calls.JobSpec(image="ubuntu", command=["true"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.image = "python"  # type: ignore[misc]
    official = set(inspect.signature(HfApi.run_job).parameters)
    assert {field.name for field in dataclasses.fields(calls.JobSpec)} <= official
    with pytest.raises(ValueError, match="cannot both be provided"):
        calls.JobSpec(image="ubuntu", command=["true"], name="a", labels={"name": "b"})


def test_volumes_serialise_as_the_official_client() -> None:
    from huggingface_hub import Volume as OfficialVolume

    ours = Volume(source="u/b", mount_path="/data", type="bucket", read_only=True)
    theirs = OfficialVolume(type="bucket", source="u/b", mount_path="/data", read_only=True)
    assert ours.to_json() == theirs.to_dict()


@pytest.mark.parametrize(
    ("timeout", "seconds"),
    [
        (300, 300),
        ("90s", 90),
        ("5m", 300),
        ("1.5h", 5400),
        ("2d", 172800),
        ("45", 45),
        (None, None),
        (0, None),
    ],
)
def test_timeout_strings(timeout: object, seconds: int) -> None:
    assert calls.parse_timeout(timeout) == seconds  # type: ignore[arg-type]


@pytest.mark.parametrize("timeout", [2.5, "2.5", "0.5s", "0.01m"])
def test_a_timeout_that_is_not_whole_seconds_is_refused_not_truncated(timeout: object) -> None:
    """The official client sends int(): 2.5 -> 2, "0.5s" -> 0 (no limit at all)."""
    with pytest.raises(ValueError, match="whole seconds: use"):
        calls.parse_timeout(timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("timeout", "ours", "theirs"),
    [
        (300, 300, 300), (300.0, 300, 300), ("300", 300, 300), ("90s", 90, 90), ("0.5m", 30, 30),
        ("1.5h", 5400, 5400), ("0.25d", 21600, 21600),
        ("2.05m", 123, 122),  # the official client's float arithmetic loses a second: 2.05 * 60 < 123
    ],
)  # fmt: skip
def test_whole_second_timeouts_are_sent_exactly(timeout: object, ours: int, theirs: int) -> None:
    assert calls.parse_timeout(timeout) == ours  # type: ignore[arg-type]
    spec = official._create_job_spec(
        image="ubuntu", command=["true"], env=None, secrets=None, flavor=None, timeout=timeout
    )  # type: ignore[arg-type]
    assert spec["timeoutSeconds"] == theirs


def test_uv_command_for_a_url_is_the_official_one() -> None:
    command, env = calls.uv_command(
        "https://example.com/sft.py", ["--epochs", "3"], dependencies=["trl", "peft"], python="3.12"
    )
    assert command == [
        "uv", "run", "--with", "trl", "--with", "peft", "--python", "3.12",
        "https://example.com/sft.py", "--epochs", "3",
    ]  # fmt: skip
    assert env == {}
    assert calls.default_script_name(
        "https://example.com/sft.py?raw=1", []
    ) == official._default_job_name_from_script("https://example.com/sft.py?raw=1", [])


def test_inline_script_travels_in_the_environment_without_upload() -> None:
    import base64

    script = "# /// script\n# dependencies = []\n# ///\nprint('hi')\n"
    command, env = calls.uv_command(script, ["--n", "1"], dependencies=["rich"])
    assert command[:2] == ["bash", "-c"]
    assert command[3:] == ["uv", "--with", "rich", calls.INLINE_SCRIPT_PATH, "--n", "1"]
    assert base64.b64decode(env[calls.INLINE_SCRIPT_ENV]).decode() == script
    assert calls.default_script_name(script, []).startswith("inline-script-")


def test_list_jobs_query_uses_repeated_stage_and_label_params() -> None:
    call = calls.list_jobs(None, labels={"a": "1", "b": "2"}, stages=["running", "SCHEDULING"])
    assert call.params == (("stage", "RUNNING"), ("stage", "SCHEDULING"), ("label", "a=1"), ("label", "b=2"))
    assert call.needs_namespace


def test_only_work_creating_calls_are_marked_creates() -> None:
    assert calls.run_job(calls.JobSpec(image="ubuntu", command=["true"]), "ns").creates
    assert calls.trigger_scheduled_job("x", "ns").creates
    assert not calls.cancel_job("x", "ns").creates
    assert not calls.restart_space("a/b").creates


def test_a_job_create_with_unique_labels_sends_them_and_finds_the_job_by_them_alone() -> None:
    spec = calls.JobSpec(image="ubuntu", command=["true"], labels={"team": "a"})
    call = calls.run_job(spec, None, {"airflow-try": "2"})
    assert call.json["labels"] == {"team": "a", "airflow-try": "2", "name": spec.to_json()["labels"]["name"]}
    assert call.find is not None and call.find.params == (("label", "airflow-try=2"),)
    resolved = call.in_namespace("me")  # the lookup goes to the namespace the create went to
    assert resolved.url_path == "/api/jobs/me" and resolved.find is not None
    assert resolved.find.url_path == "/api/jobs/me"
    assert calls.run_job(spec, "ns").find is None  # nothing to find it by: never sent twice
