"""HfJobSensor: wait until a Hub Job reaches one of the target stages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_hfhub.hub.stages import JobStage
from airflow_provider_hfhub.links import JobLinked
from airflow_provider_hfhub.operators import validation as check
from airflow_provider_hfhub.sensors.base import HfStageSensor

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger

    from airflow_provider_hfhub.hub import JobInfo


class HfJobSensor(JobLinked, HfStageSensor):
    """Wait for a Hub Job to reach a target stage; fail if it ends in another one.

    :param job_id: the Job (templated).
    :param namespace: its user or org.
    :param target_stages: stages that satisfy the sensor (default ``COMPLETED``; ``RUNNING`` waits
        for the Job to start).
    :param hfhub_conn_id: the Airflow connection to the Hub.
    :param deferrable: wait on the triggerer.
    """

    def __init__(
        self,
        *,
        job_id: str,
        namespace: str | None = None,
        target_stages: Sequence[str] = ("COMPLETED",),
        **kwargs: Any,
    ) -> None:
        super().__init__(target_stages=target_stages, **kwargs)
        self.job_id = job_id
        self.namespace = namespace
        self.target_stages = check.check_target_stages(target_stages, JobStage, "Job")
        if namespace is not None and not check.is_templated(namespace):
            check.check_namespace(namespace)

    def _look(self, context: Context) -> JobInfo:
        from airflow_provider_hfhub.hooks.hfhub import HfHubHook

        job = self._inspect_job(HfHubHook(self.hfhub_conn_id), context)
        self.log.info("Job %s is %s", job.id, job.stage)
        return job

    def _satisfied(self, seen: JobInfo) -> bool:
        return self._stage_reached(str(seen.stage), seen.id)

    def _stage_reached(self, stage: str, job_id: str) -> bool:
        if stage in self.target_stages:
            return True
        from airflow_provider_hfhub.hub import JobStage

        if JobStage(stage).is_terminal:
            raise AirflowException(f"Job {job_id} ended {stage}, not in {self.target_stages}")
        return False

    def _trigger(self, seen: JobInfo, deadline: float | None) -> BaseTrigger:
        from airflow_provider_hfhub.triggers.jobs import HfJobTrigger

        return HfJobTrigger(
            job_id=seen.id, namespace=seen.owner.name, hfhub_conn_id=self.hfhub_conn_id,
            poll_interval=self.poke_interval, stream_logs=False, execution_deadline=deadline,
            target_stages=self.target_stages, cancel_on_kill=False,
        )  # fmt: skip

    def _waiting_for(self) -> str:
        return f"Job {self.job_id} to be {self.target_stages}"

    def _check_success(self, event: dict[str, Any]) -> None:
        # The trigger also ends well when the Job completes, which a RUNNING target does not accept.
        job = event.get("job") or {}
        if not job or not self._stage_reached(str(job["stage"]), job["id"]):
            raise AirflowException(event["message"])
