"""Progress, the Space judge, with no server: scripted runtimes in, verdicts out.

The rule under test: after a restart whose answer still said RUNNING, a RUNNING is the new run only
once the Space was seen in another stage; a hardware request is done only when ``hardware.current``
is the requested flavor; no amount of time turns a RUNNING into success.
"""

from __future__ import annotations

from collections.abc import Iterable

from airflow_provider_hfhub.hub.models import SpaceRuntime
from airflow_provider_hfhub.triggers.space_watch import (
    CONFIRM_POLL_SECONDS,
    UNSEEN_RESTART_SECONDS,
    Progress,
    SpaceJudge,
    SpaceWatch,
)
from airflow_provider_hfhub.triggers.watch import Verdict

REPO = "user/app"
T0 = 1_000_000.0


def runtime(
    stage: str, current: str | None = "cpu-basic", requested: str | None = "cpu-basic", **extra: object
):
    data = {"stage": stage, "hardware": {"current": current, "requested": requested}, **extra}
    return SpaceRuntime.from_json(data)


def verdicts(progress: Progress, script: Iterable[tuple[float, SpaceRuntime]]) -> list[Verdict | None]:
    """Judge each (seconds after T0, runtime) in turn, up to and including the first verdict."""
    out: list[Verdict | None] = []
    for at, seen in script:
        out.append(progress.judge(seen, T0 + at))
        if out[-1] is not None:
            break
    return out


def restarted(**fields: object) -> Progress:
    return Progress(SpaceWatch(repo_id=REPO, after_restart=True, started_at=T0, **fields), T0)  # type: ignore[arg-type]


def test_a_stale_running_that_never_leaves_is_never_a_success() -> None:
    progress = restarted()
    reads = [(at, runtime("RUNNING")) for at in range(0, int(UNSEEN_RESTART_SECONDS), 2)]
    assert set(verdicts(progress, reads)) == {None}
    # Past the bound it is a startup_timeout that says why, and still never a success.
    late = [
        progress.judge(runtime("RUNNING"), T0 + UNSEEN_RESTART_SECONDS + extra) for extra in (0, 1, 10**6)
    ]
    assert {v.status for v in late if v} == {"startup_timeout"} and None not in late
    assert "never seen leaving RUNNING" in late[0].message and "restart" in late[0].message


def test_running_after_a_build_stage_is_the_new_run() -> None:
    for middle in ("BUILDING", "RUNNING_BUILDING", "APP_STARTING", "RUNNING_APP_STARTING"):
        script = [(0, runtime("RUNNING")), (2, runtime(middle)), (4, runtime("RUNNING"))]
        assert verdicts(restarted(), script) == [
            None,
            None,
            Verdict("success", f"Space {REPO} is RUNNING on cpu-basic"),
        ]


def test_a_quick_restart_the_reads_never_see_leave_running_is_not_a_success() -> None:
    # The restart went RUNNING -> APP_STARTING -> RUNNING between two reads: only RUNNINGs are seen.
    # They cannot be told from the old run, so the wait ends at the bound, as a startup_timeout.
    progress = restarted()
    reads = [(at, runtime("RUNNING")) for at in (0.0, 2.0, 4.0, 60.0, UNSEEN_RESTART_SECONDS - 0.001)]
    assert verdicts(progress, reads) == [None] * len(reads)
    assert progress.judge(runtime("RUNNING"), T0 + UNSEEN_RESTART_SECONDS).status == "startup_timeout"  # type: ignore[union-attr]


def test_a_restart_answered_in_another_stage_needs_no_departure() -> None:
    # The operator passes after_restart=False when the restart's answer was already not RUNNING.
    progress = Progress(SpaceWatch(repo_id=REPO, started_at=T0), T0)
    assert progress.judge(runtime("RUNNING"), T0 + 1) == Verdict(
        "success", f"Space {REPO} is RUNNING on cpu-basic"
    )


def test_the_unseen_bound_counts_from_the_request_not_from_the_trigger_start() -> None:
    # A trigger re-run (triggerer restart) forgot what it saw: with only RUNNINGs it fails, never succeeds.
    progress = Progress(SpaceWatch(repo_id=REPO, after_restart=True, started_at=T0), T0 + 3600)
    verdict = progress.judge(runtime("RUNNING"), T0 + 3600)
    assert verdict is not None and verdict.status == "startup_timeout"


def test_hardware_change_waits_for_current_to_be_the_requested_flavor() -> None:
    progress = Progress(SpaceWatch(repo_id=REPO, hardware="t4-small", started_at=T0), T0)
    script = [
        (0, runtime("RUNNING", "cpu-basic", "t4-small")),  # the old run, requested switched at once
        (2, runtime("RUNNING_BUILDING", "cpu-basic", "t4-small")),
        (4, runtime("RUNNING", "cpu-basic", "t4-small")),  # a RUNNING after a build, still on the old flavor
        (6, runtime("RUNNING", "t4-small", "t4-small")),
    ]
    assert verdicts(progress, script) == [
        None,
        None,
        None,
        Verdict("success", f"Space {REPO} is RUNNING on t4-small"),
    ]


def test_hardware_change_on_the_old_flavor_is_never_a_success_however_long() -> None:
    progress = Progress(SpaceWatch(repo_id=REPO, hardware="t4-small", started_at=T0), T0)
    reads = [(at, runtime("RUNNING", "cpu-basic", "t4-small")) for at in (0, 10, 10**5, 10**7)]
    assert verdicts(progress, reads) == [None] * 4


def test_a_build_error_fails_with_the_hubs_error_message() -> None:
    seen = runtime("BUILD_ERROR", None, "cpu-basic", errorMessage="pip failed: no torch==9.9")
    assert restarted().judge(seen, T0 + 5) == Verdict(
        "failed", f"Space {REPO} ended BUILD_ERROR: pip failed: no torch==9.9"
    )


def test_stopped_while_waiting_to_run_fails_and_sleeping_waits() -> None:
    assert restarted().judge(runtime("PAUSED", None), T0).status == "failed"  # type: ignore[union-attr]
    assert restarted().judge(runtime("SLEEPING", None), T0) is None


def test_the_judge_reads_often_until_the_restart_is_seen_then_on_the_schedule() -> None:
    judge = SpaceJudge(hook=None, watch=SpaceWatch(repo_id=REPO, after_restart=True, started_at=T0), log=None)  # type: ignore[arg-type]
    assert judge.next_check(None, T0 + 1) == T0 + 1 + CONFIRM_POLL_SECONDS
    judge.progress.judge(runtime("BUILDING"), T0 + 2)
    assert judge.next_check(None, T0 + 3) is None  # the poll interval again
    judge = SpaceJudge(hook=None, watch=SpaceWatch(repo_id=REPO, after_restart=True, started_at=T0), log=None)  # type: ignore[arg-type]
    assert judge.next_check(None, T0 + UNSEEN_RESTART_SECONDS - 1) == T0 + UNSEEN_RESTART_SECONDS
