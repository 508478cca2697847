"""HfSpaceTrigger: follow a Space from the triggerer, streaming its build and run logs into the task log."""

from __future__ import annotations

from typing import Any

from airflow_provider_hfhub.triggers.base import HfWatchTrigger
from airflow_provider_hfhub.triggers.log_stream import LogForwarder
from airflow_provider_hfhub.triggers.space_watch import SpaceWatch, watch_space


class HfSpaceTrigger(HfWatchTrigger):
    """Wait for a Space to reach a target stage (RUNNING by default), streaming its logs meanwhile.

    Takes the fields of :class:`~airflow_provider_hfhub.triggers.space_watch.SpaceWatch`,
    ``hfhub_conn_id`` and ``deferred_at``. A failure stage (BUILD_ERROR, RUNTIME_ERROR,
    CONFIG_ERROR, NO_APP_FILE; PAUSED or STOPPED while waiting to run) ends the wait with the Hub's
    ``errorMessage`` and the last log lines. SLEEPING is not running. A Space keeps running
    whatever happens to the task, so nothing is cancelled on kill.
    """

    watch_class = SpaceWatch
    watch: SpaceWatch

    async def watch_once(self, hook: Any, forward: LogForwarder) -> dict[str, Any]:
        return await watch_space(hook, self.watch, self.log, forward)

    def describe(self) -> str:
        return f"Space {self.watch.repo_id}"
