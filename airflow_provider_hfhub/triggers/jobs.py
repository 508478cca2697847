"""HfJobTrigger: follow a Hub Job from the triggerer, streaming its log into the task log."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_hfhub.triggers.job_watch import JobWatch, watch_job
from airflow_provider_hfhub.triggers.log_stream import hook_for, replay_before


class HfJobTrigger(BaseTrigger):
    """Wait for a Hub Job to end (or reach ``target_stages``), streaming its log meanwhile.

    Arguments are JSON primitives only (never a token: the connection is looked up on the triggerer).

    :param job_id: the Job to follow.
    :param namespace: the user or org that owns it.
    :param hfhub_conn_id: the Airflow connection to the Hub.
    :param poll_interval: seconds between backstop stage checks (the log stream ends first, normally).
    :param stream_logs: forward the Job's log lines into the task log.
    :param scheduling_timeout: seconds the Job may wait in SCHEDULING.
    :param execution_deadline: epoch seconds after which the event is ``timeout``.
    :param target_stages: stages that end the wait early (sensors).
    :param deferred_at: epoch seconds of the deferral, to tell a first run from a restart.
    :param cancel_on_kill: cancel the Job when a user kills the deferred task (Airflow 3.3+).
    """

    def __init__(
        self,
        job_id: str,
        namespace: str,
        hfhub_conn_id: str = "hfhub_default",
        poll_interval: float = 60.0,
        stream_logs: bool = True,
        scheduling_timeout: float | None = None,
        execution_deadline: float | None = None,
        target_stages: Sequence[str] | None = None,
        deferred_at: float | None = None,
        cancel_on_kill: bool = True,
    ) -> None:
        super().__init__()
        self.job_id = job_id
        self.namespace = namespace
        self.hfhub_conn_id = hfhub_conn_id
        self.poll_interval = float(poll_interval)
        self.stream_logs = stream_logs
        self.scheduling_timeout = scheduling_timeout
        self.execution_deadline = execution_deadline
        self.target_stages = list(target_stages) if target_stages else None
        self.deferred_at = deferred_at
        self.cancel_on_kill = cancel_on_kill

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "job_id": self.job_id,
                "namespace": self.namespace,
                "hfhub_conn_id": self.hfhub_conn_id,
                "poll_interval": self.poll_interval,
                "stream_logs": self.stream_logs,
                "scheduling_timeout": self.scheduling_timeout,
                "execution_deadline": self.execution_deadline,
                "target_stages": self.target_stages,
                "deferred_at": self.deferred_at,
                "cancel_on_kill": self.cancel_on_kill,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        watch = JobWatch(
            job_id=self.job_id,
            namespace=self.namespace,
            stream_logs=self.stream_logs,
            poll_interval=self.poll_interval,
            scheduling_timeout=self.scheduling_timeout,
            execution_deadline=self.execution_deadline,
            target_stages=tuple(self.target_stages) if self.target_stages else None,
            replay_before=replay_before(self.log, self.stream_logs, self.deferred_at, f"Job {self.job_id}"),
        )
        yield TriggerEvent(await watch_job(hook_for(self.hfhub_conn_id), watch, self.log))

    async def on_kill(self) -> None:
        """A user killed the deferred task (Airflow 3.3+): cancel the Job so it does not run on unpaid."""
        if not self.cancel_on_kill:
            return
        self.log.info("Task killed while deferred: cancelling Hub Job %s", self.job_id)
        await hook_for(self.hfhub_conn_id).acancel_job(job_id=self.job_id, namespace=self.namespace)

    async def cleanup(self) -> None:
        """Runs on every exit, triggerer restarts included: so it never cancels the Job."""
