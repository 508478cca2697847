"""HfJobSensor: wait until a Hub Job reaches one of the target stages."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException, BaseSensorOperator, conf

from airflow_provider_hfhub.hub.stages import JobStage
from airflow_provider_hfhub.links import JOB_URL_KEY, HfJobLink
from airflow_provider_hfhub.operators import validation as check

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_hfhub.hub import JobInfo


class HfJobSensor(BaseSensorOperator):
    """Wait for a Hub Job to reach a target stage; fail if it ends in another one.

    :param job_id: the Job (templated).
    :param namespace: its user or org.
    :param target_stages: stages that satisfy the sensor (default ``COMPLETED``; ``RUNNING`` waits
        for the Job to start).
    :param deferrable: wait on the triggerer.
    """

    template_fields: Sequence[str] = ("job_id", "namespace")
    operator_extra_links = (HfJobLink(),)

    def __init__(
        self,
        *,
        job_id: str,
        namespace: str | None = None,
        target_stages: Sequence[str] = ("COMPLETED",),
        hfhub_conn_id: str = "hfhub_default",
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(target_stages, str) or not target_stages:
            raise ValueError(f"target_stages must be a non-empty list of stages, got {target_stages!r}")
        self.job_id = job_id
        self.namespace = namespace
        self.target_stages = check.check_target_stages(target_stages, JobStage, "Job")
        if namespace is not None and not check.is_templated(namespace):
            check.check_namespace(namespace)
        self.hfhub_conn_id = hfhub_conn_id
        self.deferrable = deferrable

    def _inspect(self, context: Context) -> JobInfo:
        from airflow_provider_hfhub.hooks.hfhub import HfHubHook

        job = HfHubHook(self.hfhub_conn_id).inspect_job(job_id=self.job_id, namespace=self.namespace)
        context["ti"].xcom_push(key=JOB_URL_KEY, value=job.url)
        return job

    def _satisfied(self, stage: str, job_id: str) -> bool:
        if stage in self.target_stages:
            return True
        from airflow_provider_hfhub.hub import JobStage

        if JobStage(stage).is_terminal:
            raise AirflowException(f"Job {job_id} ended {stage}, not in {self.target_stages}")
        return False

    def poke(self, context: Context) -> bool:
        job = self._inspect(context)
        self.log.info("Job %s is %s", job.id, job.stage)
        return self._satisfied(str(job.stage), job.id)

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        job = self._inspect(context)
        if self._satisfied(str(job.stage), job.id):
            return None
        from airflow_provider_hfhub.triggers.jobs import HfJobTrigger

        deadline = time.time() + self.timeout if self.timeout else None
        trigger = HfJobTrigger(
            job_id=job.id, namespace=job.owner.name, hfhub_conn_id=self.hfhub_conn_id,
            poll_interval=self.poke_interval, stream_logs=False, execution_deadline=deadline,
            target_stages=self.target_stages, cancel_on_kill=False,
        )  # fmt: skip
        self.defer(trigger=trigger, method_name="execute_complete")

    def execute_complete(self, context: Context, event: Any = None) -> None:
        from airflow_provider_hfhub.triggers.events import validate_event

        event = validate_event(event)
        job = event.get("job") or {}
        if event["status"] == "timeout":
            raise AirflowException(
                f"Sensor timed out waiting for Job {self.job_id} to be {self.target_stages}"
            )
        if not job or not self._satisfied(str(job["stage"]), job["id"]):
            raise AirflowException(event["message"])
