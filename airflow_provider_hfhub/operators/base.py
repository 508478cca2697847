"""What the Job and Space operators share: the hook, secret masking, and following remote work.

Following happens either in the worker (the trigger's own watch coroutine under ``asyncio.run``)
or on the triggerer (defer); both end in ``execute_complete`` with the same event, so failures read
the same on both paths. Cheap to import: the hook, httpx and the triggers load only when a task runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from airflow.providers.common.compat.sdk import AirflowException, BaseOperator

from airflow_provider_hfhub.operators import validation as check

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger

    from airflow_provider_hfhub.hooks.hfhub import HfHubHook

# The trigger enforces the execution deadline itself and sends a ``timeout`` event, so that
# ``execute_complete`` can cancel the remote work and say why. The framework's defer timeout is only
# a backstop for a triggerer that is gone: it must never fire first (it would skip that cleanup), so
# it waits this long past the deadline, and at least two poll intervals (a check in flight lands).
DEFER_BACKSTOP_SECONDS = 60.0


def defer_timeout(deadline: float | None, poll_interval: float) -> timedelta | None:
    """The framework's timeout for a deferral whose trigger enforces ``deadline`` (epoch seconds)."""
    if deadline is None:
        return None
    backstop = max(DEFER_BACKSTOP_SECONDS, 2 * poll_interval)
    return timedelta(seconds=max(deadline - time.time(), 0.0) + backstop)


class HfHubOperator(BaseOperator):
    """A task that talks to the Hub through an ``hfhub`` connection.

    :param hfhub_conn_id: the Airflow connection to the Hub.
    """

    ui_color = "#ffd21e"
    # Secret values (names to values) this task sends; masked in every log before anything can log them.
    secrets: Mapping[str, str] | None = None

    def __init__(self, *, hfhub_conn_id: str = "hfhub_default", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hfhub_conn_id = hfhub_conn_id

    @cached_property
    def hook(self) -> HfHubHook:
        from airflow_provider_hfhub.hooks.hfhub import HfHubHook

        return HfHubHook(self.hfhub_conn_id)

    def _mask_secrets(self) -> None:
        from airflow.providers.common.compat.sdk import mask_secret

        for value in (self.secrets or {}).values():
            mask_secret(str(value))

    def _check_live_name(
        self, name: str, known: Iterable[str], live: Callable[[], Iterable[Any]], what: str
    ) -> None:
        """``name`` is in ``known`` at once, else in the Hub's live list (the known one if that fails)."""
        if name in known:
            return
        try:
            names = [item.name for item in live()]
        except Exception as exc:  # the live list is a convenience: fall back to the known one
            self.log.warning("Could not read the Hub's %s list (%s); using the known one", what, exc)
            names = list(known)
        check.check_flavor(name, names, what=what)


class HfWatchingOperator(HfHubOperator):
    """A Hub operator that follows its remote work to the end, in the worker or on the triggerer.

    Subclasses build the watch (``_watch_here``) and the trigger (``_defer``), and give the error
    class of a failed outcome.

    :param deferrable: wait on the triggerer instead of holding a worker slot.
    :param stream_logs: forward the remote logs into the task log.
    :param poll_interval: seconds between backstop stage checks.
    """

    error_class: ClassVar[type[AirflowException]] = AirflowException

    def __init__(self, *, deferrable: bool, stream_logs: bool, poll_interval: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if poll_interval <= 0:
            raise ValueError(f"poll_interval must be positive, got {poll_interval!r}")
        self.deferrable = deferrable
        self.stream_logs = stream_logs
        self.poll_interval = poll_interval

    def _deadline(self, context: Context) -> float | None:
        return check.execution_deadline(self.execution_timeout, context["ti"])

    def _run_watch(self, watch: Callable[[HfHubHook], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        """The sync path: run the trigger's own watch coroutine in this worker; return its event."""
        from airflow_provider_hfhub.hooks.hfhub import close_shared_async_clients

        hook = self.hook
        hook.get_config()  # resolve the connection here, the sync way, before the loop starts

        async def run() -> dict[str, Any]:
            try:
                return await watch(hook)
            finally:  # the loop ends with this call: its shared clients must not outlive it
                await close_shared_async_clients()

        return asyncio.run(run())

    def _defer_to(self, trigger: BaseTrigger, deadline: float | None) -> NoReturn:
        """Hand the wait to the triggerer; ``execute_complete`` gets its event."""
        timeout = defer_timeout(deadline, self.poll_interval)
        self.defer(trigger=trigger, method_name="execute_complete", timeout=timeout)

    def _on_event(self, event: dict[str, Any]) -> None:
        """Act on a validated event before its outcome is raised or returned (subclasses)."""

    def _result(self, event: dict[str, Any]) -> dict[str, Any]:
        """The task's return value for a successful event (subclasses)."""
        raise NotImplementedError

    def execute_complete(self, context: Context, event: Any = None) -> dict[str, Any]:
        """Act on the trigger's event (or the sync path's): the summary, or a clear error."""
        from airflow_provider_hfhub.triggers.events import failure_text, validate_event

        self._mask_secrets()  # a resumed task is a new process, and the log tail may echo them
        event = validate_event(event)
        self._on_event(event)
        if event["status"] != "success":
            raise self.error_class(failure_text(event))
        return self._result(event)
