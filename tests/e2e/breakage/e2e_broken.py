"""Deliberately broken copies of the Job operator and trigger, for showing that e2e scenarios fail.

Used only when the e2e deployment runs with ``E2E_BREAK=<names>`` (see tests/e2e/README.md); the DAG
file then builds its Job tasks from ``broken_job_operator(names)``. Never imported otherwise.

| name | what breaks | the scenario that must fail |
|---|---|---|
| ``kill`` | the trigger's ``on_kill`` does nothing | user kill while deferred |
| ``timeout-cancel`` | the operator never cancels the Job (``_cancel`` is a no-op) | execution_timeout |
| ``timeout-deadline`` | no execution deadline goes into the trigger | execution_timeout |
| ``secret-log`` | secrets are not masked, and the operator logs them | secrets |
| ``secret-xcom`` | the returned summary (XCom ``return_value``) carries the secrets | secrets |
| ``secret-trigger`` | the secrets travel in the trigger's arguments | secrets |
| ``no-reattach`` | a retry starts a new Job instead of re-attaching | worker killed, retried |

And one proposed fix, applied to a copy, to show that a scenario marked ``xfail`` for a provider bug
passes once the bug is fixed (run with ``--runxfail``), and still fails when broken on top of it:

| name | what it fixes |
|---|---|
| ``fix-timeout-namespace`` | ``execute_complete`` knows the Job's namespace on a ``timeout`` event, so it cancels |
| ``fix-resume-mask`` | ``execute_complete`` registers the secrets with the masker again (a resumed task is a new process) |
"""

from __future__ import annotations

import time
from typing import Any

from airflow_provider_hfhub.operators.jobs import HfRunJobOperator
from airflow_provider_hfhub.triggers.jobs import HfJobTrigger


class NoKillTrigger(HfJobTrigger):
    """``kill``: a user kill of the deferred task leaves the Job running."""

    async def on_kill(self) -> None:
        self.log.info("E2E_BREAK=kill: on_kill does nothing")


class SecretCarryingTrigger(HfJobTrigger):
    """``secret-trigger``: the Job's secrets are stored with the trigger's arguments."""

    def __init__(self, *args: Any, carried_secrets: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.carried_secrets = carried_secrets

    def serialize(self) -> tuple[str, dict[str, Any]]:
        classpath, kwargs = super().serialize()
        return classpath, {**kwargs, "carried_secrets": self.carried_secrets}


def broken_job_operator(breaks: set[str]) -> type[HfRunJobOperator]:
    unknown = breaks - {
        "kill", "timeout-cancel", "timeout-deadline", "secret-log", "secret-xcom", "secret-trigger",
        "no-reattach", "fix-timeout-namespace", "fix-resume-mask",
    }  # fmt: skip
    if unknown:
        raise ValueError(f"unknown E2E_BREAK names: {sorted(unknown)}")

    class BrokenJobOperator(HfRunJobOperator):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            if "no-reattach" in breaks:
                self.reattach_on_restart = False

        def _mask_secrets(self) -> None:
            if "secret-log" not in breaks:
                super()._mask_secrets()

        def execute(self, context: Any) -> dict[str, Any]:
            if "secret-log" in breaks:
                self.log.info("E2E_BREAK=secret-log: the secrets are %s", dict(self.secrets or {}))
            return super().execute(context)

        def _deadline(self, context: Any) -> float | None:
            return None if "timeout-deadline" in breaks else super()._deadline(context)

        def _cancel(self, why: str) -> None:
            if "timeout-cancel" in breaks:
                self.log.info("E2E_BREAK=timeout-cancel: not cancelling Job %s (%s)", self.job_id, why)
                return
            super()._cancel(why)

        def _defer(self, job: Any, deadline: float | None) -> None:
            if not breaks & {"kill", "secret-trigger"}:
                return super()._defer(job, deadline)
            cls: type[HfJobTrigger] = NoKillTrigger
            extra: dict[str, Any] = {}
            if "secret-trigger" in breaks:
                cls, extra = SecretCarryingTrigger, {"carried_secrets": dict(self.secrets or {})}
            trigger = cls(
                job_id=job.id, namespace=job.owner.name, hfhub_conn_id=self.hfhub_conn_id,
                poll_interval=self.poll_interval, stream_logs=self.stream_logs,
                scheduling_timeout=self.scheduling_timeout, execution_deadline=deadline,
                deferred_at=time.time(), cancel_on_kill=self.cancel_on_kill, **extra,
            )  # fmt: skip
            self.defer(trigger=trigger, method_name="execute_complete", timeout=None)

        def execute_complete(self, context: Any, event: Any = None) -> dict[str, Any]:
            if "fix-resume-mask" in breaks:
                self._mask_secrets()
            if "fix-timeout-namespace" in breaks and isinstance(event, dict) and "job" not in event:
                # The resumed operator is a fresh object: take the namespace from the event, else
                # the one the Job was started in (the operator's, else the token's user).
                self.job_namespace = event.get("namespace") or self.namespace or self.hook.default_namespace()
            result = super().execute_complete(context, event)
            if "secret-xcom" in breaks:
                result = {**result, "secrets": dict(self.secrets or {})}
            return result

    return BrokenJobOperator
