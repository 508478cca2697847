"""HfSpaceStageSensor: wait until a Space reaches one of the target stages."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_hfhub.hub.stages import SpaceStage
from airflow_provider_hfhub.links import SPACE_URL_KEY, HfSpaceLink
from airflow_provider_hfhub.operators import validation as check
from airflow_provider_hfhub.sensors.base import HfStageSensor

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger

    from airflow_provider_hfhub.hub import SpaceRuntime


class HfSpaceStageSensor(HfStageSensor):
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

    def __init__(self, *, repo_id: str, target_stages: Sequence[str] = ("RUNNING",), **kwargs: Any) -> None:
        super().__init__(target_stages=target_stages, **kwargs)
        if not check.is_templated(repo_id):
            check.check_repo_id(repo_id)
        self.repo_id = repo_id
        self.target_stages = check.check_target_stages(target_stages, SpaceStage, "Space")

    def _look(self, context: Context) -> SpaceRuntime:
        from airflow_provider_hfhub.hooks.hfhub import HfHubHook

        check.check_repo_id(self.repo_id)
        hook = HfHubHook(self.hfhub_conn_id)
        context["ti"].xcom_push(key=SPACE_URL_KEY, value=hook.space_url(self.repo_id))
        runtime = hook.get_space_runtime(self.repo_id)
        note = " (asleep: not running)" if str(runtime.stage) == "SLEEPING" else ""
        self.log.info("Space %s is %s%s", self.repo_id, runtime.stage, note)
        return runtime

    def _satisfied(self, seen: SpaceRuntime) -> bool:
        """The same verdict as the trigger's: True at a target, raise at a failure, else False."""
        from airflow_provider_hfhub.triggers.space_watch import Progress, SpaceWatch

        watch = SpaceWatch(repo_id=self.repo_id, target_stages=tuple(self.target_stages), stream_logs=False)
        now = time.time()
        verdict = Progress(watch, now).judge(seen, now)
        if verdict is None:
            return False
        if verdict.status != "success":
            raise AirflowException(verdict.message)
        return True

    def _trigger(self, seen: SpaceRuntime, deadline: float | None) -> BaseTrigger:
        from airflow_provider_hfhub.triggers.spaces import HfSpaceTrigger

        return HfSpaceTrigger(
            repo_id=self.repo_id, hfhub_conn_id=self.hfhub_conn_id, target_stages=self.target_stages,
            stream_logs=False, poll_interval=self.poke_interval, execution_deadline=deadline,
        )  # fmt: skip

    def _waiting_for(self) -> str:
        return f"Space {self.repo_id} to be {' or '.join(self.target_stages)}"
