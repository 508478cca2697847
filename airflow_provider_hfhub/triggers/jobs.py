"""HfJobTrigger: follow a Hub Job from the triggerer, streaming its log into the task log."""

from __future__ import annotations

from typing import Any

from airflow_provider_hfhub.triggers.base import HfWatchTrigger
from airflow_provider_hfhub.triggers.job_watch import JobWatch, watch_job
from airflow_provider_hfhub.triggers.log_stream import LogForwarder, hook_for


class HfJobTrigger(HfWatchTrigger):
    """Wait for a Hub Job to end (or reach ``target_stages``), streaming its log meanwhile.

    Takes the fields of :class:`~airflow_provider_hfhub.triggers.job_watch.JobWatch` (``job_id``,
    ``namespace``, ``stream_logs``, ``poll_interval``, ``scheduling_timeout``,
    ``execution_deadline``, ``target_stages``), ``hfhub_conn_id``, ``deferred_at`` and:

    :param cancel_on_kill: cancel the Job when a user kills the deferred task.
    """

    watch_class = JobWatch
    extra_fields = ("cancel_on_kill",)
    watch: JobWatch
    cancel_on_kill: bool = True

    async def watch_once(self, hook: Any, forward: LogForwarder) -> dict[str, Any]:
        return await watch_job(hook, self.watch, self.log, forward)

    def describe(self) -> str:
        return f"Job {self.watch.job_id}"

    def identity(self) -> dict[str, Any]:
        return {"job_id": self.watch.job_id, "namespace": self.watch.namespace}

    async def on_kill(self) -> None:
        """A user killed the deferred task (Airflow 3.3+): cancel the Job so it does not run on unpaid."""
        if not self.cancel_on_kill:
            return
        self.log.info("Task killed while deferred: cancelling Hub Job %s", self.watch.job_id)
        await hook_for(self.hfhub_conn_id).acancel_job(
            job_id=self.watch.job_id, namespace=self.watch.namespace
        )
