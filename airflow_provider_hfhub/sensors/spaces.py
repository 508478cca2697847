"""HfSpaceStageSensor: wait until a Space reaches one of the target stages."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException, BaseSensorOperator, conf

from airflow_provider_hfhub.hub.stages import SpaceStage
from airflow_provider_hfhub.links import SPACE_URL_KEY, HfSpaceLink
from airflow_provider_hfhub.operators import validation as check

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_hfhub.hub import SpaceRuntime
    from airflow_provider_hfhub.triggers.space_watch import SpaceWatch


class HfSpaceStageSensor(BaseSensorOperator):
    """Wait for a Space to reach a target stage; fail if it lands in a failure stage instead.

    SLEEPING is not RUNNING: a sleeping Space keeps the sensor waiting (list ``SLEEPING`` among the
    targets to accept it). Failure stages (BUILD_ERROR, RUNTIME_ERROR, CONFIG_ERROR, NO_APP_FILE;
    PAUSED, STOPPED or DELETING when waiting for RUNNING) fail the sensor with the Hub's message.

    :param repo_id: the Space, ``namespace/name`` (templated).
    :param target_stages: stages that satisfy the sensor (default ``RUNNING``).
    :param hfhub_conn_id: the Airflow connection to the Hub.
    :param deferrable: wait on the triggerer.
    """

    template_fields: Sequence[str] = ("repo_id",)
    operator_extra_links = (HfSpaceLink(),)
    ui_color = "#ffd21e"

    def __init__(
        self,
        *,
        repo_id: str,
        target_stages: Sequence[str] = ("RUNNING",),
        hfhub_conn_id: str = "hfhub_default",
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(target_stages, str) or not target_stages:
            raise ValueError(f"target_stages must be a non-empty list of stages, got {target_stages!r}")
        if not check.is_templated(repo_id):
            check.check_repo_id(repo_id)
        self.repo_id = repo_id
        self.target_stages = check.check_target_stages(target_stages, SpaceStage, "Space")
        self.hfhub_conn_id = hfhub_conn_id
        self.deferrable = deferrable

    def _watch(self) -> SpaceWatch:
        from airflow_provider_hfhub.triggers.space_watch import SpaceWatch

        return SpaceWatch(repo_id=self.repo_id, target_stages=tuple(self.target_stages), stream_logs=False)

    def _runtime(self, context: Context) -> SpaceRuntime:
        from airflow_provider_hfhub.hooks.hfhub import HfHubHook

        check.check_repo_id(self.repo_id)
        hook = HfHubHook(self.hfhub_conn_id)
        context["ti"].xcom_push(key=SPACE_URL_KEY, value=hook.space_url(self.repo_id))
        return hook.get_space_runtime(self.repo_id)

    def _satisfied(self, runtime: SpaceRuntime) -> bool:
        """The same verdict as the trigger's: True at a target, raise at a failure, else False."""
        from airflow_provider_hfhub.triggers.space_watch import Progress

        verdict = Progress(self._watch()).judge(runtime)
        if verdict is None:
            return False
        status, message = verdict
        if status != "success":
            raise AirflowException(message)
        return True

    def poke(self, context: Context) -> bool:
        runtime = self._runtime(context)
        note = " (asleep: not running)" if str(runtime.stage) == "SLEEPING" else ""
        self.log.info("Space %s is %s%s", self.repo_id, runtime.stage, note)
        return self._satisfied(runtime)

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        if self.poke(context):
            return None
        from airflow_provider_hfhub.triggers.spaces import HfSpaceTrigger

        deadline = time.time() + self.timeout if self.timeout else None
        trigger = HfSpaceTrigger(
            repo_id=self.repo_id, hfhub_conn_id=self.hfhub_conn_id, target_stages=self.target_stages,
            stream_logs=False, poll_interval=self.poke_interval, execution_deadline=deadline,
        )  # fmt: skip
        self.defer(trigger=trigger, method_name="execute_complete")

    def execute_complete(self, context: Context, event: Any = None) -> None:
        from airflow_provider_hfhub.triggers.events import validate_event

        event = validate_event(event)
        if event["status"] == "timeout":
            raise AirflowException(
                f"Sensor timed out waiting for Space {self.repo_id} to be {' or '.join(self.target_stages)}"
            )
        if event["status"] != "success":
            raise AirflowException(event["message"])
