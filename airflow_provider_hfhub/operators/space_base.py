"""The shared base of the Space operators: validation, the Space link, and waiting for RUNNING."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException, conf

from airflow_provider_hfhub.hub.stages import SPACE_HARDWARE
from airflow_provider_hfhub.links import SPACE_URL_KEY, HfSpaceLink
from airflow_provider_hfhub.operators import validation as check
from airflow_provider_hfhub.operators.base import HfHubOperator, HfWatchingOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_hfhub.hub import SpaceRuntime

# Secret and variable names become environment variables in the Space.
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FLAVOR_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class SpaceError(AirflowException):
    """The Space did not get where it was asked to; the message says how, with its last log lines."""


def _check_keys(what: str, values: object, deleted: object = ()) -> tuple[dict[str, str], list[str]]:
    """Names to set (with values) and to delete: shaped as environment variables, never both."""
    given = check.check_env(what, values)
    if isinstance(deleted, str) or not isinstance(deleted, Sequence):
        raise ValueError(f"delete_{what} must be a list of names, got {deleted!r}")
    for key in [*given, *deleted]:
        if not isinstance(key, str) or not _KEY.match(key):
            raise ValueError(
                f"{what} name {key!r} is invalid: use letters, digits and '_', not a leading digit"
            )
    if set(given) & set(deleted):
        raise ValueError(f"{what} {sorted(set(given) & set(deleted))} are both set and deleted")
    return given, list(deleted)


def _check_hardware_name(hardware: object) -> None:
    if not isinstance(hardware, str) or not _FLAVOR_NAME.match(hardware):
        raise ValueError(f"hardware must be a Space hardware flavor such as 't4-small', got {hardware!r}")


class _SpaceOperator(HfHubOperator):
    """What every Space operator shares: the Space, the link, checks and the summary."""

    template_fields: Sequence[str] = ("repo_id",)
    operator_extra_links = (HfSpaceLink(),)

    def __init__(self, *, repo_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.repo_id = repo_id

    def _check_arguments(self, *, rendered: bool) -> None:
        """Check what is known; Jinja strings are checked again once rendered (subclasses add theirs)."""
        if self._ready(self.repo_id, rendered):
            check.check_repo_id(self.repo_id)

    @staticmethod
    def _ready(value: Any, rendered: bool) -> bool:
        return rendered or not check.is_templated(value)

    def _check_hardware(self, hardware: str) -> None:
        """Known flavors pass at once; other names are checked against the Hub's live list."""
        _check_hardware_name(hardware)
        self._check_live_name(hardware, SPACE_HARDWARE, self.hook.list_spaces_hardware, "Space hardware")

    def _push_url(self, context: Context, repo_id: str) -> None:
        context["ti"].xcom_push(key=SPACE_URL_KEY, value=self.hook.space_url(repo_id))

    def _summary(self, repo_id: str, runtime: SpaceRuntime) -> dict[str, Any]:
        from airflow_provider_hfhub.triggers.events import space_summary

        return space_summary(repo_id, runtime, self.hook.space_url(repo_id))

    def _warn_if_free(self, runtime: SpaceRuntime) -> None:
        if "cpu-basic" in (runtime.hardware, runtime.requested_hardware):
            self.log.warning("Free cpu-basic Spaces sleep after 48 h whatever their sleep time says")


class _WaitingSpaceOperator(_SpaceOperator, HfWatchingOperator):
    """A Space operator that can wait for the Space to run, in the worker or on the triggerer."""

    error_class = SpaceError

    def __init__(
        self,
        *,
        wait_for_running: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        stream_logs: bool = True,
        startup_timeout: float | None = None,
        poll_interval: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            deferrable=deferrable, stream_logs=stream_logs, poll_interval=poll_interval, **kwargs
        )
        self.wait_for_running = wait_for_running
        self.startup_timeout = startup_timeout
        if startup_timeout is not None and startup_timeout <= 0:
            raise ValueError(f"startup_timeout must be positive seconds, got {startup_timeout!r}")

    def _wait(
        self, context: Context, repo_id: str, runtime: SpaceRuntime, requested_at: float, **target: Any
    ) -> dict[str, Any]:
        """Wait until the Space runs (``target``: ``hardware``, ``after_restart``); return its summary."""
        if not self.wait_for_running:
            return self._summary(repo_id, runtime)
        spec: dict[str, Any] = {
            "repo_id": repo_id, "stream_logs": self.stream_logs,
            "poll_interval": self.poll_interval, "startup_timeout": self.startup_timeout,
            "started_at": requested_at, "execution_deadline": self._deadline(context), **target,
        }  # fmt: skip
        # A restart answered with another stage has visibly begun: any RUNNING after it is the new run.
        # Answered RUNNING, it may be the old run still reported: the watch must see it leave RUNNING.
        spec["after_restart"] = bool(spec.get("after_restart")) and str(runtime.stage) == "RUNNING"
        if self.deferrable:
            from airflow_provider_hfhub.triggers.spaces import HfSpaceTrigger

            trigger = HfSpaceTrigger(hfhub_conn_id=self.hfhub_conn_id, deferred_at=time.time(), **spec)
            self._defer_to(trigger, spec["execution_deadline"])
        return self.execute_complete(context, self._watch_here(spec))

    def _watch_here(self, spec: dict[str, Any]) -> dict[str, Any]:
        """The sync path: the trigger's own watch loop, run in this worker."""
        from airflow_provider_hfhub.triggers.space_watch import SpaceWatch, watch_space

        return self._run_watch(lambda hook: watch_space(hook, SpaceWatch(**spec), self.log))

    def _result(self, event: dict[str, Any]) -> dict[str, Any]:
        return dict(event["space"])
