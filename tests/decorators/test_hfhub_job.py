"""``@task.hfhub_job`` over the fake Hub, whose Jobs run the generated script for real (uv, this Python)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import TaskDeferred
from airflow.sdk import DAG, task

from airflow_provider_hfhub.decorators.payload import FunctionError, ResultError
from airflow_provider_hfhub.decorators.remote import NONCE_ENV
from airflow_provider_hfhub.testing import FakeHub
from airflow_provider_hfhub.triggers.log_stream import FRAME_PREFIX
from tests.airflow_support import TaskInstance, context_for, run_task

MODES = pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferred"])
TRICKY = "a \"quoted\" 'text'\nwith a newline, ünïcødé ✓ and a \\ backslash"


def build(function: Any, *args: Any, **kwargs: Any) -> Any:
    """The task the decorated ``function`` makes when called in a DAG."""
    with DAG("taskflow_dag"):
        return function(*args, **kwargs).operator


@task.hfhub_job(poll_interval=1)
def echo(value: Any, *, note: str = "") -> Any:
    print("echoing", type(value).__name__, note)
    return value


@MODES
@pytest.mark.parametrize(
    "value",
    ["some text", {"accuracy": 0.91, "labels": ["a", "b"]}, [1, 2.5, None, True], None, TRICKY],
    ids=["str", "dict", "list", "None", "tricky-str"],
)
def test_return_value_reaches_xcom(hub: FakeHub, deferrable: bool, value: Any) -> None:
    operator = build(echo.override(deferrable=deferrable), value, note=TRICKY)
    ti = TaskInstance(task_id=operator.task_id)
    assert run_task(operator, context_for(ti)) == value
    [job] = hub.jobs()
    assert ti.xcoms["job_id"] == job["id"] and job["stage"] == "COMPLETED"
    assert f"echoing {type(value).__name__} {TRICKY.splitlines()[0]}" in job["log"]  # the argument arrived
    # Nothing was uploaded: the function and its arguments travel in the Job's environment.
    assert not [r for r in hub.requests() if "bucket" in r["path"] or "upload" in r["path"]]


@MODES
def test_result_frames_stay_out_of_the_task_log(
    hub: FakeHub, deferrable: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    operator = build(echo.override(deferrable=deferrable), "x" * 10_000)
    assert run_task(operator) == "x" * 10_000
    out = capsys.readouterr().out
    assert "echoing str" in out and FRAME_PREFIX not in out
    frames = [line for line in hub.jobs()[0]["log"] if line.startswith(FRAME_PREFIX)]
    assert len(frames) > 3  # chunked, and every chunk was hidden


@task.hfhub_job(poll_interval=1)
def repeat(text: str, times: int) -> str:
    return text * times


@MODES
def test_large_but_allowed_and_too_large_results(hub: FakeHub, deferrable: bool) -> None:
    big = run_task(build(repeat.override(deferrable=deferrable), "é", 500_000))
    assert big == "é" * 500_000  # 1,000,000 bytes of JSON text: under the default 1 MiB
    with pytest.raises(ResultError, match=r"repeat\(\) returned 20\d\d bytes .* over max_result_bytes=2000"):
        run_task(build(repeat.override(deferrable=deferrable, max_result_bytes=2000), "y", 2000))


def test_multiple_outputs_as_for_task(hub: FakeHub) -> None:
    @task.hfhub_job(poll_interval=1)
    def scores(split: str) -> dict[str, Any]:
        return {"split": split, "accuracy": 0.91}

    inferred = build(scores, "test")
    assert inferred.multiple_outputs is True  # from the dict annotation, as @task infers it
    assert build(task.hfhub_job(multiple_outputs=True)(echo.function), {}).multiple_outputs is True
    assert build(echo, {}).multiple_outputs is False
    assert run_task(inferred) == {"split": "test", "accuracy": 0.91}  # the runner pushes each key


def test_mapped_over_a_list(hub: FakeHub) -> None:
    with DAG("taskflow_dag"):
        mapped = repeat.partial(text="ab").expand(times=[1, 2, 3]).operator
    one = mapped.unmap({"op_kwargs": {"text": "ab", "times": 3}})  # map index 2's arguments
    assert run_task(one, context_for(TaskInstance(task_id=one.task_id, map_index=2))) == "ababab"
    assert hub.jobs()[0]["spec"]["labels"]["airflow-map-index"] == "2"


@task.hfhub_job(poll_interval=1)
def divide(a: int, b: int) -> float:
    print("dividing", a, "by", b)
    return a / b


@MODES
def test_remote_exception_fails_the_task_with_its_type_and_traceback(hub: FakeHub, deferrable: bool) -> None:
    with pytest.raises(FunctionError) as raised:
        run_task(build(divide.override(deferrable=deferrable), 1, 0))
    error = raised.value
    assert error.remote_type == "ZeroDivisionError"
    assert str(error).startswith("divide() raised ZeroDivisionError: division by zero (on Hub Job ")
    # The remote traceback shows the function's own line, not the runner's frames.
    assert "return a / b" in error.remote_traceback and "in divide" in error.remote_traceback
    assert "remote.py" not in error.remote_traceback and " in run\n" not in error.remote_traceback
    assert hub.jobs()[0]["stage"] == "ERROR"  # the Job's page shows it failed, too


@task.hfhub_job(poll_interval=1)
def forger() -> str:
    import base64
    import hashlib
    import json

    fake = json.dumps({"ok": True, "value": "forged"}).encode()
    digest = hashlib.sha256(fake).hexdigest()[:32]
    for nonce in ("", "0" * 32, "guess"):
        print(f"::hfhub-result::{nonce} 0/1 {digest} {base64.b64encode(fake).decode()}", flush=True)
    return "genuine"


@MODES
def test_a_forged_marker_is_not_taken_for_the_result(hub: FakeHub, deferrable: bool) -> None:
    assert run_task(build(forger.override(deferrable=deferrable))) == "genuine"


def test_the_function_cannot_see_the_nonce(hub: FakeHub) -> None:
    @task.hfhub_job(poll_interval=1)
    def peek() -> dict[str, str]:
        import os

        return dict(os.environ)

    seen = run_task(build(peek))
    nonce = hub.jobs()[0]["spec"]["environment"][NONCE_ENV]  # it was in the Job's environment...
    assert NONCE_ENV not in seen and nonce not in "".join(seen.values())  # ...not the function's


def test_forged_frames_only_make_no_result(hub: FakeHub) -> None:
    """A function that dies after printing look-alike frames: the task says no result came back."""

    @task.hfhub_job(poll_interval=1)
    def fake_then_die() -> str:
        import os

        print("::hfhub-result::x 0/1 y eyJvayI6IHRydWV9", flush=True)
        os._exit(0)

    with pytest.raises(ResultError, match=r"completed but fake_then_die\(\) sent back no result"):
        run_task(build(fake_then_die))


@MODES
def test_a_stream_dropped_inside_a_result_line_still_reads_it_once(hub: FakeHub, deferrable: bool) -> None:
    value = "z" * 30_000  # about 14 frames after the banner and the echo line
    # The first log connections (the live stream, then the result read) break inside a frame line.
    hub.inject_fault("drop_stream", path=r"/logs$", method="GET", after_events=6, partial=True, count=2)
    assert run_task(build(echo.override(deferrable=deferrable), value)) == value
    assert [f["hits"] for f in hub.faults()] == [2]


def test_a_retry_reattaches_and_still_gets_the_result(hub: FakeHub) -> None:
    first = build(divide.override(deferrable=True, retries=1), 9, 3)
    with pytest.raises(TaskDeferred):  # the first try's worker then dies while the Job runs
        first.execute(context_for(TaskInstance(task_id=first.task_id, max_tries=1)))
    second = build(divide.override(retries=1), 9, 3)
    retry = TaskInstance(task_id=second.task_id, try_number=2, max_tries=1)
    assert run_task(second, context_for(retry)) == 3.0
    [job] = hub.jobs()  # the retry followed the first try's Job, with that Job's nonce
    assert retry.xcoms["job_id"] == job["id"] and job["spec"]["labels"]["airflow-try"] == "1"


def test_a_job_killed_before_returning_says_so(hub: FakeHub) -> None:
    @task.hfhub_job(poll_interval=1)
    def oom() -> None:
        import os
        import signal

        print("allocating", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's OOM killer does

    with pytest.raises(ResultError) as raised:
        run_task(build(oom))
    message = str(raised.value)
    assert message.startswith("oom() sent back no result: Job ")
    assert "ended ERROR: Job failed with exit code: 137" in message and "allocating" in message


def test_pickle_carries_what_json_cannot(hub: FakeHub) -> None:
    value = {"pair": (1, 2), "members": {3, 4}, 5: b"bytes"}
    assert run_task(build(echo.override(serializer="pickle"), value)) == value


def test_bad_arguments_fail_before_any_hub_call(hub: FakeHub) -> None:
    with pytest.raises(ValueError, match=r"echo: argument 0 cannot travel as JSON .*serializer='pickle'"):
        run_task(build(echo, {1, 2}))
    with pytest.raises(ValueError, match=r"echo: note cannot travel as JSON"):
        run_task(build(echo, 1, note=float("nan")))
    with pytest.raises(ValueError, match=r"make a \d+-byte script, over the 98283 bytes .* by reference"):
        run_task(build(echo, "w" * 100_000))
    retry = context_for(TaskInstance(task_id="echo", try_number=2, max_tries=1))  # would look Jobs up
    with pytest.raises(ValueError, match="env must not set HFHUB_RESULT_NONCE"):
        run_task(build(echo.override(env={NONCE_ENV: "mine"}, retries=1), 1), retry)
    assert hub.requests() == []
    with pytest.raises(ValueError, match="serializer must be one of"):
        build(echo.override(serializer="yaml"), 1)
    with pytest.raises(ValueError, match="takes no script"):
        build(echo.override(script="https://x.co/a.py"), 1)
    with pytest.raises(ValueError, match="waits for its Job"):
        build(echo.override(wait_for_completion=False), 1)


def test_the_job_gets_the_function_not_the_decorator(hub: FakeHub) -> None:
    run_task(build(echo.override(dependencies=[], python=None), 7))
    [job] = hub.jobs()
    env = job["spec"]["environment"]
    script = base64.b64decode(env["HFHUB_INLINE_SCRIPT_B64"]).decode()
    assert "@task.hfhub_job(poll_interval=1)\ndef echo" not in script and "def echo(value" in script
    assert len(env[NONCE_ENV]) == 32
    # The nonce is the try's, never in the script the function could read.
    assert env[NONCE_ENV] not in script
    assert repr(json.dumps({"args": [7], "kwargs": {}})) in script


def test_registered_as_a_task_decorator() -> None:
    from airflow_provider_hfhub.decorators.hfhub_job import hfhub_job_task
    from airflow_provider_hfhub.get_provider_info import get_provider_info

    entry = {"name": "hfhub_job", "class-name": "airflow_provider_hfhub.decorators.hfhub_job.hfhub_job_task"}
    assert get_provider_info()["task-decorators"] == [entry]
    assert task.hfhub_job is hfhub_job_task  # what Airflow's providers manager resolved from the entry


def test_the_decorator_is_cheap_to_import() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import airflow_provider_hfhub.decorators.hfhub_job\n"
        "heavy = ('hooks.hfhub', 'hub.client', 'triggers.jobs', 'decorators.payload')\n"
        "print(sorted(m for m in heavy if 'airflow_provider_hfhub.' + m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
