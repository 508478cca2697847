"""HfSpaceTrigger: follow a Space from the triggerer, streaming its build and run logs into the task log."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_hfhub.triggers.log_stream import hook_for, replay_before
from airflow_provider_hfhub.triggers.space_watch import SpaceWatch, watch_space


class HfSpaceTrigger(BaseTrigger):
    """Wait for a Space to reach a target stage (RUNNING by default), streaming its logs meanwhile.

    Arguments are JSON primitives only (never a token: the connection is looked up on the triggerer).
    A failure stage (BUILD_ERROR, RUNTIME_ERROR, CONFIG_ERROR, NO_APP_FILE; PAUSED or STOPPED while
    waiting to run) ends the wait with the Hub's ``errorMessage`` and the last log lines. SLEEPING is
    not running.

    :param repo_id: the Space, ``namespace/name``.
    :param hfhub_conn_id: the Airflow connection to the Hub.
    :param target_stages: stages that end the wait well.
    :param hardware: with RUNNING, also wait until the Space's current hardware is this flavor.
    :param after_restart: do not take a RUNNING for success until the Space was seen leaving
        RUNNING, or its ``sha`` differs from ``restart_sha`` (the Hub may report the old run for a
        while), or two minutes passed since ``started_at``.
    :param restart_sha: the runtime ``sha`` the restart or hardware request answered with.
    :param stream_logs: forward the build log, then the run log, into the task log.
    :param poll_interval: seconds between backstop stage checks (stream ends trigger checks sooner).
    :param startup_timeout: seconds from ``started_at`` the Space may take; then a ``startup_timeout`` event.
    :param started_at: epoch seconds of the request (restart, hardware change, duplicate).
    :param execution_deadline: epoch seconds after which the event is ``timeout``.
    :param deferred_at: epoch seconds of the deferral, to tell a first run from a restart.
    """

    def __init__(
        self,
        repo_id: str,
        hfhub_conn_id: str = "hfhub_default",
        target_stages: Sequence[str] = ("RUNNING",),
        hardware: str | None = None,
        after_restart: bool = False,
        restart_sha: str | None = None,
        stream_logs: bool = True,
        poll_interval: float = 10.0,
        startup_timeout: float | None = None,
        started_at: float | None = None,
        execution_deadline: float | None = None,
        deferred_at: float | None = None,
    ) -> None:
        super().__init__()
        self.repo_id = repo_id
        self.hfhub_conn_id = hfhub_conn_id
        self.target_stages = [str(stage) for stage in target_stages]
        self.hardware = hardware
        self.after_restart = after_restart
        self.restart_sha = restart_sha
        self.stream_logs = stream_logs
        self.poll_interval = float(poll_interval)
        self.startup_timeout = startup_timeout
        self.started_at = started_at
        self.execution_deadline = execution_deadline
        self.deferred_at = deferred_at

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "repo_id": self.repo_id,
                "hfhub_conn_id": self.hfhub_conn_id,
                "target_stages": self.target_stages,
                "hardware": self.hardware,
                "after_restart": self.after_restart,
                "restart_sha": self.restart_sha,
                "stream_logs": self.stream_logs,
                "poll_interval": self.poll_interval,
                "startup_timeout": self.startup_timeout,
                "started_at": self.started_at,
                "execution_deadline": self.execution_deadline,
                "deferred_at": self.deferred_at,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        watch = SpaceWatch(
            repo_id=self.repo_id,
            target_stages=tuple(self.target_stages),
            hardware=self.hardware,
            after_restart=self.after_restart,
            restart_sha=self.restart_sha,
            stream_logs=self.stream_logs,
            poll_interval=self.poll_interval,
            startup_timeout=self.startup_timeout,
            started_at=self.started_at,
            execution_deadline=self.execution_deadline,
            replay_before=replay_before(
                self.log, self.stream_logs, self.deferred_at, f"Space {self.repo_id}"
            ),
        )
        yield TriggerEvent(await watch_space(hook_for(self.hfhub_conn_id), watch, self.log))

    async def cleanup(self) -> None:
        """Nothing to release or cancel: a Space keeps running whatever happens to the task."""
