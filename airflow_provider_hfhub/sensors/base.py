"""What the Hub sensors share: target stages, the deferral and its deadline, and the timeout.

A timeout raises ``AirflowSensorTimeout`` on both paths, as Airflow's own sensors do: the task
fails without retries, or is skipped under ``soft_fail`` / ``never_fail``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowSensorTimeout,
    BaseSensorOperator,
    conf,
)

from airflow_provider_hfhub.operators.base import defer_timeout

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger


class HfStageSensor(BaseSensorOperator):
    """Wait for a Hub object (Job, Space) to reach one of ``target_stages``.

    Subclasses read the object (``_look``), judge it (``_satisfied``: True, False, or raise on a
    stage it cannot leave) and build the trigger that waits on (``_trigger``).

    :param target_stages: stages that satisfy the sensor.
    :param hfhub_conn_id: the Airflow connection to the Hub.
    :param deferrable: wait on the triggerer.
    """

    ui_color = "#ffd21e"

    def __init__(
        self,
        *,
        target_stages: Sequence[str],
        hfhub_conn_id: str = "hfhub_default",
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(target_stages, str) or not target_stages:
            raise ValueError(f"target_stages must be a non-empty list of stages, got {target_stages!r}")
        self.target_stages = [str(stage).upper() for stage in target_stages]
        self.hfhub_conn_id = hfhub_conn_id
        self.deferrable = deferrable

    def _look(self, context: Context) -> Any:
        """Read the object once (and log what it is)."""
        raise NotImplementedError

    def _satisfied(self, seen: Any) -> bool:
        raise NotImplementedError

    def _trigger(self, seen: Any, deadline: float | None) -> BaseTrigger:
        raise NotImplementedError

    def _waiting_for(self) -> str:
        """What the sensor waits for, for the timeout message."""
        raise NotImplementedError

    def poke(self, context: Context) -> bool:
        return self._satisfied(self._look(context))

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)  # pokes, and times out the way Airflow's sensors do
        started = time.time()
        seen = self._look(context)
        if self._satisfied(seen):
            return None
        # The trigger ends the wait at the sensor's timeout; the framework's timeout is its backstop
        # (a TaskDeferralTimeout becomes AirflowSensorTimeout in BaseSensorOperator.resume_execution).
        deadline = started + self.timeout if self.timeout else None
        self.defer(
            trigger=self._trigger(seen, deadline),
            method_name="execute_complete",
            timeout=defer_timeout(deadline, self.poke_interval),
        )

    def execute_complete(self, context: Context, event: Any = None) -> None:
        """Act on the trigger's event: done, a timeout, or a failure with the Hub's message."""
        from airflow_provider_hfhub.triggers.events import validate_event

        event = validate_event(event)
        if event["status"] == "timeout":
            raise AirflowSensorTimeout(f"Sensor timed out waiting for {self._waiting_for()}")
        if event["status"] != "success":
            raise AirflowException(event["message"])
        self._check_success(event)

    def _check_success(self, event: dict[str, Any]) -> None:
        """A success event may still name a stage the sensor does not accept (subclasses)."""
