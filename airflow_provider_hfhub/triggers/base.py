"""What the Job and Space triggers share: arguments derived from their watch, one guarded run.

A trigger's arguments are its watch dataclass's fields plus a few of the trigger's own, so the
fields are listed once (in the dataclass) and ``serialize()`` cannot forget one. Arguments are
JSON primitives only: never a token (the connection is looked up on the triggerer), never a
secret in plaintext (``sealed.py``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_hfhub.triggers import runtime
from airflow_provider_hfhub.triggers.events import event, failure_text
from airflow_provider_hfhub.triggers.log_stream import LogForwarder, hook_for, replay_before
from airflow_provider_hfhub.triggers.sealed import Redactor, unseal

# Airflow 3.1-3.3.2 can fail a task whose trigger fires within seconds of the deferral: the
# executor's late "finished" event for the worker that deferred is applied to the resumed try
# (apache/airflow#66374, #71580, #72716; fixed for SCHEDULED only, in 3.2.2). Nothing shows when
# that event has been processed, so an event this early is held until the deferral is this old
# (reported delays: 6 to 27 s). [hfhub] early_event_hold_seconds overrides it; 0 turns it off.
EARLY_EVENT_HOLD_SECONDS = 30.0
# Asking Airflow whether an earlier run of this deferral started: tries before giving up.
NOTE_START_ATTEMPTS = 2
_OWN_FIELDS = ("hfhub_conn_id", "deferred_at", "sealed_secrets")


def _early_event_hold() -> float:
    from airflow.providers.common.compat.sdk import conf

    return conf.getfloat("hfhub", "early_event_hold_seconds", fallback=EARLY_EVENT_HOLD_SECONDS)


class HfWatchTrigger(BaseTrigger):
    """Run the watch of ``watch_class`` on the triggerer and fire its event.

    :param hfhub_conn_id: the Airflow connection to the Hub.
    :param deferred_at: epoch seconds of the deferral.
    :param sealed_secrets: secret values the remote work may print, sealed (``sealed.seal``):
        masked in the task log and in the event.
    :param watch_fields: the fields of ``watch_class``, and of ``extra_fields``.
    """

    watch_class: ClassVar[type[Any]]
    extra_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *,
        hfhub_conn_id: str = "hfhub_default",
        deferred_at: float | None = None,
        sealed_secrets: str | None = None,
        **fields: Any,
    ) -> None:
        super().__init__()
        extra = {name: fields.pop(name) for name in self.extra_fields if name in fields}
        self.watch = self.watch_class(**fields)
        self.hfhub_conn_id = hfhub_conn_id
        self.deferred_at = deferred_at
        self.sealed_secrets = sealed_secrets
        self.fired = False
        self.cancelled = False
        for name, value in extra.items():
            setattr(self, name, value)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        kwargs = {  # lists, not tuples: what the triggerer hands back after storing them
            name: list(value) if isinstance(value, tuple) else value
            for name, value in dataclasses.asdict(self.watch).items()
        }
        kwargs.update({name: getattr(self, name) for name in (*_OWN_FIELDS, *self.extra_fields)})
        return f"{type(self).__module__}.{type(self).__qualname__}", kwargs

    async def run(self) -> AsyncIterator[TriggerEvent]:
        secrets = unseal(self.sealed_secrets)
        if secrets:
            await runtime.mask(secrets)
        forward = LogForwarder(self.log, replay_before=await self._replay_before(), redact=Redactor(secrets))
        try:
            payload = await self.watch_once(hook_for(self.hfhub_conn_id), forward)
        except Exception as exc:
            # A crash would fail the task without execute_complete, so nothing would cancel the
            # remote work or say why: hand the failure to execute_complete as an error event.
            self.log.exception("Following %s failed", self.describe())
            payload = event("error", f"Following {self.describe()} failed: {exc!r}", **self.identity())
        if payload["status"] != "success":
            # Said here too: when Airflow fails a task without resuming it (see the hold below), the
            # task log still tells why.
            self.log.error("%s", failure_text(payload))
        await self._hold_early_event()
        self.fired = True
        yield TriggerEvent(payload)

    async def _replay_before(self) -> float | None:
        """For a run that is not the first of this deferral, the epoch up to which lines may be shown."""
        if not getattr(self.watch, "stream_logs", False):
            return None
        now = time.time()
        failure: Exception | None = None
        for _ in range(NOTE_START_ATTEMPTS):
            try:
                earlier = await runtime.note_start(self)
                break
            except Exception as exc:  # a triggerer busy starting can leave the channel silent for long
                failure = exc
        else:
            # Unknown whether an earlier run showed lines: mark them, so none is shown twice unmarked.
            self.log.warning(
                "Could not tell a restart from a first run (%r): lines the Hub replays from before now "
                "are marked [replayed]",
                failure,
            )
            return now
        if isinstance(earlier, runtime.Unknown):  # no triggerer (dag.test()): the deferral's age tells
            return replay_before(self.deferred_at, now)
        return now if earlier else None

    async def _hold_early_event(self) -> None:
        if self.deferred_at is None:
            return
        hold = self.deferred_at + _early_event_hold() - time.time()
        if hold > 0:
            self.log.info(
                "Holding the outcome %.0f s: Airflow can fail a task resumed within seconds of its "
                "deferral (apache/airflow#72716)",
                hold,
            )
            await asyncio.sleep(hold)

    async def on_kill(self) -> None:
        """A user killed the deferred task (Airflow 3.3+): stop the remote work, if any."""
        if self.fired or self.cancelled or await self._still_deferred():
            return  # our own event ended it, or the trigger only moved to another triggerer
        await self.cancel("the task was killed while deferred")

    async def cleanup(self) -> None:
        """Runs on every exit, triggerer restarts included: cancels only once the task left DEFERRED.

        Before Airflow 3.3 there is no trigger ``on_kill``, and on 3.3 the defer timeout calls
        none: a kill, a clear or that timeout end the task while this trigger runs, which the
        task's live state tells (the pattern of cncf.kubernetes' ``KubernetesPodTrigger.cleanup``).
        """
        if self.fired or self.cancelled:
            return
        try:
            state = await runtime.task_state(self)
        except Exception as exc:
            self.log.warning("Could not read the task's state (%s): leaving %s alone", exc, self.describe())
            return
        if isinstance(state, runtime.Unknown) or state == "deferred":
            return  # a triggerer restart or a move: the task still waits for this trigger
        await self.cancel(f"the task is {state or 'cleared'}")

    async def _still_deferred(self) -> bool:
        try:
            return await runtime.task_state(self) == "deferred"
        except Exception:
            return False  # unknown: the user asked to kill, so act on it

    async def watch_once(self, hook: Any, forward: LogForwarder) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def identity(self) -> dict[str, Any]:
        """Event fields that name the remote resource, for an event built without its state."""
        return {}

    async def cancel(self, why: str) -> None:
        """Stop the remote work (best effort, once); nothing by default."""
        self.cancelled = True
