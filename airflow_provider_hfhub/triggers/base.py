"""What the Job and Space triggers share: arguments derived from their watch, one run, no crash.

A trigger's arguments are its watch dataclass's fields plus the connection id and the deferral
time, so the fields are listed once (in the dataclass) and ``serialize()`` cannot forget one.
Arguments are JSON primitives only: never a token (the connection is looked up on the triggerer).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_hfhub.triggers.events import event
from airflow_provider_hfhub.triggers.log_stream import LogForwarder, hook_for, replay_before


class HfWatchTrigger(BaseTrigger):
    """Run the watch of ``watch_class`` on the triggerer and fire its event.

    :param hfhub_conn_id: the Airflow connection to the Hub.
    :param deferred_at: epoch seconds of the deferral, to tell a first run from a restart (whose
        replayed lines are marked).
    :param watch_fields: the fields of ``watch_class``.
    """

    watch_class: ClassVar[type[Any]]
    extra_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, *, hfhub_conn_id: str = "hfhub_default", deferred_at: float | None = None, **fields: Any
    ):
        super().__init__()
        extra = {name: fields.pop(name) for name in self.extra_fields if name in fields}
        self.watch = self.watch_class(**fields)
        self.hfhub_conn_id = hfhub_conn_id
        self.deferred_at = deferred_at
        for name, value in extra.items():
            setattr(self, name, value)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        kwargs = {  # lists, not tuples: what the triggerer hands back after storing them
            name: list(value) if isinstance(value, tuple) else value
            for name, value in dataclasses.asdict(self.watch).items()
        }
        kwargs.update(hfhub_conn_id=self.hfhub_conn_id, deferred_at=self.deferred_at)
        kwargs.update({name: getattr(self, name) for name in self.extra_fields})
        return f"{type(self).__module__}.{type(self).__qualname__}", kwargs

    def forwarder(self) -> LogForwarder:
        """The task log's side of the stream, with this run's replay window."""
        return LogForwarder(self.log, replay_before=replay_before(self.deferred_at, time.time()))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            payload = await self.watch_once(hook_for(self.hfhub_conn_id), self.forwarder())
        except Exception as exc:
            # A crash would fail the task without execute_complete, so nothing would cancel the
            # remote work or say why: hand the failure to execute_complete as an error event.
            self.log.exception("Following %s failed", self.describe())
            payload = event("error", f"Following {self.describe()} failed: {exc!r}", **self.identity())
        yield TriggerEvent(payload)

    async def watch_once(self, hook: Any, forward: LogForwarder) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def identity(self) -> dict[str, Any]:
        """Event fields that name the remote resource, for an event built without its state."""
        return {}
