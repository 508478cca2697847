"""Bad input fails with a clear error before any Hub call."""

from __future__ import annotations

import base64
from fractions import Fraction
from typing import Any

import pytest

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator, HfRunUvJobOperator
from airflow_provider_hfhub.testing import FakeHub
from tests.airflow_support import run_task

GOOD: dict[str, Any] = {"task_id": "t", "image": "python:3.12", "command": ["python", "-c", "print(1)"]}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"image": "Not An Image!"}, "neither a Docker image"),
        ({"image": ""}, "neither a Docker image"),
        ({"command": []}, "non-empty list of strings"),
        ({"command": "python train.py"}, "list of strings"),
        ({"command": ["python", 3]}, "non-empty list of strings"),
        ({"timeout": "ten minutes"}, "is not a duration"),
        ({"timeout": -5}, "must be positive"),
        ({"labels": {"team": "ml ops"}}, "letters, digits"),
        ({"labels": {"bad key!": "x"}}, "letters, digits"),
        ({"labels": {"k": "v" * 101}}, "1-100"),
        ({"labels": {"airflow-dag": "x"}}, "set by the provider"),
        ({"env": ["A=1"]}, "dict of environment variable names"),
        ({"secrets": {"": "x"}}, "is invalid: environment variable names"),
        ({"poll_interval": 0}, "poll_interval must be positive"),
        ({"scheduling_timeout": -1}, "scheduling_timeout must be positive"),
    ],
)
def test_invalid_arguments_fail_at_dag_parse_time(override: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HfRunJobOperator(**{**GOOD, **override})


def test_unknown_flavor_lists_the_valid_ones_and_starts_nothing(hub_connection: FakeHub) -> None:
    with pytest.raises(ValueError, match=r"unknown flavor 'a100-huge'; valid values: .*a10g-small.*h200"):
        run_task(HfRunJobOperator(**GOOD, flavor="a100-huge"))
    assert [r["path"] for r in hub_connection.requests()] == ["/api/jobs/hardware"]
    assert hub_connection.jobs() == []


def test_templated_values_are_checked_once_rendered(hub_connection: FakeHub) -> None:
    operator = HfRunJobOperator(**{**GOOD, "image": "{{ params.image }}", "timeout": "{{ params.t }}"})
    operator.image, operator.timeout = "python:3.12", "soon"  # what rendering produced
    with pytest.raises(ValueError, match="is not a duration"):
        run_task(operator)
    assert hub_connection.requests() == []


def test_uv_operator_needs_a_script() -> None:
    with pytest.raises(ValueError, match="script must be"):
        HfRunUvJobOperator(task_id="uv", script="  ")
    with pytest.raises(ValueError, match="dependencies must be a list of strings"):
        HfRunUvJobOperator(task_id="uv", script="https://x.co/a.py", dependencies="trl")


def test_secrets_are_not_a_template_field() -> None:
    assert "secrets" not in HfRunJobOperator.template_fields
    assert "secrets" not in HfRunUvJobOperator.template_fields


def test_templated_label_values_wait_for_rendering(hub_connection: FakeHub) -> None:
    operator = HfRunJobOperator(**{**GOOD, "labels": {"team": "{{ params.team }}"}})  # no parse-time error
    operator.labels = {"team": "ml ops"}  # what rendering produced: not a valid label value
    with pytest.raises(ValueError, match="letters, digits"):
        run_task(operator)
    assert hub_connection.jobs() == []


# --- Each accepted value is sent as meant; each refused one says what to fix, before any Hub call ---

REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"image": "hf.co/spaces/fake-user"}, "not a Space: write 'hf.co/spaces/<user>/<space-name>'"),
    ({"image": "https://huggingface.co/spaces/fake-user/"}, "not a Space"),
    ({"image": "hf.co/spaces/fake-user/app:latest"}, "not a Space"),
    ({"image": "HF.CO/spaces/fake-user/app"}, "not a Space"),
    ({"image": "hf.co/spaces/../app"}, "not a Space"),
    ({"secrets": {"HF_TOKEN": None}}, r"secrets\['HF_TOKEN'\] is None .*give a string"),
    ({"secrets": {"PORT": 8080}}, "give a string,"),
    ({"env": {"DEBUG": True}}, r"env\['DEBUG'\] is True \(bool\).*'true' or '1'"),
    ({"env": {"CONFIG": {"lr": 0.1}}}, r"json.dumps"),
    ({"env": {"X": None}}, "give a string or a number"),
    ({"env": {"X": float("nan")}}, "give a string or a number"),
    ({"env": {"MY-VAR": "1"}}, "name 'MY-VAR' is invalid: environment variable names"),
    ({"env": {"1ST": "1"}}, "is invalid: environment variable names"),
    ({"env": {"A B": "1"}}, "is invalid: environment variable names"),
    ({"namespace": "my-org/jobs"}, "one user or org name .*no '/'"),
    ({"namespace": ""}, "one user or org name"),
    ({"timeout": "1.5"}, r"is 1.5 s, but the Hub counts whole seconds: use 2"),
    ({"timeout": 1.5}, r"is 1.5 s, but the Hub counts whole seconds: use 2"),
    ({"timeout": "0.5s"}, "use 1"),
    ({"timeout": "5M"}, "is not a duration"),
    ({"timeout": " 5m"}, "is not a duration"),
    ({"timeout": "1e3"}, "is not a duration"),
    ({"timeout": 0}, "must be positive"),
    ({"timeout": float("inf")}, "finite"),
    ({"timeout": True}, "must be seconds"),
]


@pytest.mark.parametrize(("override", "message"), REFUSED)
def test_refused_at_parse_time_and_when_rendered_with_no_hub_call(
    hub_connection: FakeHub, override: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        HfRunJobOperator(**{**GOOD, **override})
    # The same value arriving through a template is refused at execute time, still before any call.
    [(name, value)] = override.items()
    templated = {"timeout": "{{ params.t }}", "namespace": "{{ params.ns }}"}.get(name)
    if templated is not None:
        operator = HfRunJobOperator(**{**GOOD, name: templated})
        setattr(operator, name, value)  # what rendering produced
        with pytest.raises(ValueError, match=message):
            run_task(operator)
    assert hub_connection.requests() == []


# (timeout as given, timeoutSeconds the Hub must receive): the whole grammar, units and decimals.
TIMEOUTS: list[tuple[Any, int]] = [
    (300, 300), ("300", 300), (300.0, 300), ("300.0", 300), ("90s", 90), ("5m", 300), ("0.5m", 30),
    ("1.5h", 5400), ("2d", 172800), ("0.25h", 900), ("2.05m", 123), ("8.45m", 507), ("1.13h", 4068),
    ("0.001d", None), ("1", 1),
]  # fmt: skip
TIMEOUTS += [
    (f"{whole}.{tenth}{unit}", None) for whole in (0, 1, 7) for tenth in range(10) for unit in "smhd"
]


def _exact_seconds(timeout: Any) -> Fraction:
    text = str(timeout)
    factor = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(text[-1])
    return Fraction(text[:-1]) * factor if factor else Fraction(text)


def test_every_accepted_timeout_is_sent_as_meant(hub_connection: FakeHub) -> None:
    """Whole seconds go to the Hub exactly; anything else is refused before the Job exists."""
    hub_connection.add_job_scenario("quick", lines=[])
    sent, refused = 0, 0
    for timeout, expected in TIMEOUTS:
        meant = _exact_seconds(timeout)
        if expected is not None:
            assert meant == expected, timeout
        whole = meant > 0 and meant.denominator == 1
        labels = {"fake-scenario": "quick"}
        try:
            operator = HfRunJobOperator(**GOOD, timeout=timeout, labels=labels, wait_for_completion=False)
        except ValueError:
            assert not whole, f"{timeout!r} ({meant} s) was refused"
            refused += 1
            continue
        assert whole, f"{timeout!r} ({float(meant)} s) was accepted"
        job = run_task(operator)
        [post] = [r for r in hub_connection.requests() if r["method"] == "POST"][-1:]
        assert post["json"]["timeoutSeconds"] == meant, timeout
        assert hub_connection.job(job["id"])["spec"]["timeoutSeconds"] == meant
        sent += 1
    assert sent >= 20 and refused >= 20  # both sides of the grammar were exercised


IMAGES = [
    ("python:3.12", {"dockerImage": "python:3.12"}),
    ("ghcr.io/astral-sh/uv:python3.12-bookworm", {"dockerImage": "ghcr.io/astral-sh/uv:python3.12-bookworm"}),
    ("hf.co/spaces/lhoestq/duckdb", {"spaceId": "lhoestq/duckdb"}),
    ("huggingface.co/spaces/a-b/c.d_e", {"spaceId": "a-b/c.d_e"}),
    ("https://hf.co/spaces/user/app", {"spaceId": "user/app"}),
    ("https://huggingface.co/spaces/user/app", {"spaceId": "user/app"}),
]


@pytest.mark.parametrize(("image", "source"), IMAGES)
def test_accepted_images_are_sent_as_meant(
    hub_connection: FakeHub, image: str, source: dict[str, str]
) -> None:
    run_task(HfRunJobOperator(**{**GOOD, "image": image}, wait_for_completion=False))
    [post] = [r for r in hub_connection.requests() if r["method"] == "POST"]
    assert {key: post["json"][key] for key in ("dockerImage", "spaceId") if key in post["json"]} == source


def test_env_values_are_sent_as_text_as_meant(hub_connection: FakeHub) -> None:
    env = {"EPOCHS": 3, "LR": 0.001, "NAME": "run-1", "_X1": ""}
    run_task(
        HfRunJobOperator(**GOOD, env=env, secrets={"HF_TOKEN": "hf_secret_value"}, wait_for_completion=False)
    )
    [post] = [r for r in hub_connection.requests() if r["method"] == "POST"]
    assert post["json"]["environment"] == {"EPOCHS": "3", "LR": "0.001", "NAME": "run-1", "_X1": ""}
    assert post["json"]["secrets"] == {"HF_TOKEN": "hf_secret_value"}


UV_REFUSED = [
    ("train.py", "looks like a local file"),
    ("./scripts/x.py", "looks like a local file"),
    ("/abs/x.py", "looks like a local file"),
    ("scripts/train", "looks like a local file"),
    ("~/train.py", "looks like a local file"),
    ("C:\\jobs\\train.py", "looks like a local file"),
    ("config.yaml", "looks like a local file"),
    ("print('hello')", "neither a URL, a command name"),
    ("lighteval accelerate", "put arguments in script_args"),
    # One environment variable carries an inline script (execve's 128 KiB per string).
    ("print('x')\n" + "#" * 98_300, "holds at most 98283 bytes of script: put it at a URL"),
]


@pytest.mark.parametrize(("script", "message"), UV_REFUSED)
def test_uv_script_that_is_a_local_path_is_refused_with_advice(
    hub_connection: FakeHub, script: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        HfRunUvJobOperator(task_id="uv", script=script)
    if "local file" in message:
        assert "pass its text" in str(raised.value) and "URL" in str(raised.value)
    operator = HfRunUvJobOperator(task_id="uv", script="{{ params.script }}")  # checked once rendered
    operator.script = script
    with pytest.raises(ValueError, match=message):
        run_task(operator)
    assert hub_connection.requests() == []


UV_ACCEPTED = [
    (
        "https://huggingface.co/datasets/org/scripts/resolve/main/sft.py",
        ["uv", "run", "https://huggingface.co/datasets/org/scripts/resolve/main/sft.py"],
    ),
    ("http://example.com/a.py?x=1", ["uv", "run", "http://example.com/a.py?x=1"]),
    ("lighteval", ["uv", "run", "lighteval"]),
    ("python3.12", ["uv", "run", "python3.12"]),
    ("print('a')\nprint('b')\n", None),  # inline text: written to a file in the container
]


@pytest.mark.parametrize(("script", "command"), UV_ACCEPTED)
def test_accepted_uv_scripts_are_sent_as_meant(
    hub_connection: FakeHub, script: str, command: list[str] | None
) -> None:
    run_task(HfRunUvJobOperator(task_id="uv", script=script, wait_for_completion=False))
    [post] = [r for r in hub_connection.requests() if r["method"] == "POST"]
    if command is not None:
        assert post["json"]["command"] == command
    else:
        encoded = post["json"]["environment"]["HFHUB_INLINE_SCRIPT_B64"]
        assert base64.b64decode(encoded).decode() == script and post["json"]["command"][0] == "bash"
