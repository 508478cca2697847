"""HfJobTrigger: follow a Hub Job from the triggerer, streaming its log into the task log."""

from __future__ import annotations

from typing import Any

from airflow_provider_hfhub.triggers.base import HfWatchTrigger
from airflow_provider_hfhub.triggers.events import cancel_failed_text
from airflow_provider_hfhub.triggers.job_watch import JobWatch, watch_job
from airflow_provider_hfhub.triggers.log_stream import LogForwarder, hook_for


class HfJobTrigger(HfWatchTrigger):
    """Wait for a Hub Job to end (or reach ``target_stages``), streaming its log meanwhile.

    Takes the fields of :class:`~airflow_provider_hfhub.triggers.job_watch.JobWatch` (``job_id``,
    ``namespace``, ``stream_logs``, ``poll_interval``, ``scheduling_timeout``,
    ``execution_deadline``, ``target_stages``), ``hfhub_conn_id``, ``deferred_at`` and:

    :param cancel_on_kill: cancel the Job when the task ends while deferred without this trigger's
        event (killed, cleared, marked failed, timed out by Airflow).
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

    async def cancel(self, why: str) -> None:
        """Cancel the Job (best effort), so it does not run on, billed, behind a task that ended."""
        await super().cancel(why)
        if not self.cancel_on_kill:
            return
        job_id, namespace = self.watch.job_id, self.watch.namespace
        self.log.info("Cancelling Hub Job %s: %s", job_id, why)
        try:
            await hook_for(self.hfhub_conn_id).acancel_job(job_id=job_id, namespace=namespace)
        except Exception as exc:
            self.log.error("%s", cancel_failed_text(job_id, namespace, exc))
