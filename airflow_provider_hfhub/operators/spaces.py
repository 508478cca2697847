"""Operators that manage Hugging Face Spaces: restart, hardware, pause, sleep time, secrets, variables, copy.

Each checks its arguments before any Hub call, pushes the Space's URL (XCom ``space_url``, the
"Hugging Face Space" link) before it waits, and returns a JSON-safe summary (``space_summary``).
Cheap to import: the hook, httpx and the trigger load only when a task runs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_hfhub.operators import validation as check
from airflow_provider_hfhub.operators.space_base import (
    SpaceError,
    _check_hardware_name,
    _check_keys,
    _WaitingSpaceOperator,
)
from airflow_provider_hfhub.operators.space_deploy import HfDeploySpaceOperator
from airflow_provider_hfhub.operators.space_settings import (
    HfPauseSpaceOperator,
    HfSetSpaceSleepTimeOperator,
    HfSpaceSecretsOperator,
    HfSpaceVariablesOperator,
)
from airflow_provider_hfhub.operators.space_smoke import HfSpaceSmokeTestOperator

if TYPE_CHECKING:
    from airflow.sdk import Context


# The task state store's record (Airflow 3.3+) of the copy a try asked for, written before asking.
_DUPLICATE_KEY = "hfhub_duplicate"
_NO_STORE = object()  # before Airflow 3.3: no task state store to ask

__all__ = [
    "HfDeploySpaceOperator",
    "HfDuplicateSpaceOperator",
    "HfPauseSpaceOperator",
    "HfRequestSpaceHardwareOperator",
    "HfRestartSpaceOperator",
    "HfSetSpaceSleepTimeOperator",
    "HfSpaceSecretsOperator",
    "HfSpaceSmokeTestOperator",
    "HfSpaceVariablesOperator",
    "SpaceError",
]


class HfRestartSpaceOperator(_WaitingSpaceOperator):
    """Restart a Space and wait until its new run is RUNNING, streaming the build and run logs.

    A RUNNING reported right after the restart (the Hub can show the old run for a moment, and its
    runtime has no build id to tell the runs apart) is not taken for success: unless the restart's
    own answer was another stage, the Space must first be seen outside RUNNING (BUILDING,
    RUNNING_BUILDING, APP_STARTING...). Never seen so, it ends as a ``startup_timeout`` failure
    (``triggers/space_watch.py``: ``UNSEEN_RESTART_SECONDS``), never as a success.

    :param repo_id: the Space, ``namespace/name`` (templated).
    :param factory_reboot: rebuild from scratch, without the Hub's build cache.
    :param wait_for_running: False returns once the restart is requested.
    :param deferrable: wait on the triggerer instead of holding a worker slot.
    :param stream_logs: forward the build log, then the run log, into the task log.
    :param startup_timeout: fail when the Space is not RUNNING this many seconds after the request.
    :param poll_interval: seconds between backstop stage checks (the end of a log stream checks sooner).
    :param hfhub_conn_id: the Airflow connection to the Hub.
    """

    def __init__(self, *, factory_reboot: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factory_reboot = factory_reboot
        self._check_arguments(rendered=False)

    def execute(self, context: Context) -> dict[str, Any]:
        self._check_arguments(rendered=True)
        self._push_url(context, self.repo_id)
        requested_at = time.time()
        runtime = self.hook.restart_space(self.repo_id, factory_reboot=self.factory_reboot)
        kind = "Factory-rebooted" if self.factory_reboot else "Restarted"
        self.log.info("%s Space %s: %s", kind, self.repo_id, runtime.stage)
        return self._wait(context, self.repo_id, runtime, requested_at, after_restart=True)


class HfRequestSpaceHardwareOperator(_WaitingSpaceOperator):
    """Move a Space to other hardware and wait until it is RUNNING on it (current == requested).

    :param repo_id: the Space (templated).
    :param hardware: the flavor, e.g. ``t4-small`` (templated); names the provider does not know are
        checked against the Hub's live list.
    :param sleep_time: seconds of inactivity before the Space sleeps (-1: never).

    ``wait_for_running``, ``deferrable``, ``stream_logs``, ``startup_timeout``, ``poll_interval`` and
    ``hfhub_conn_id`` are as in :class:`HfRestartSpaceOperator`.
    """

    template_fields: Sequence[str] = ("repo_id", "hardware")

    def __init__(self, *, hardware: str, sleep_time: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hardware = hardware
        self.sleep_time = sleep_time
        self._check_arguments(rendered=False)

    def _check_arguments(self, *, rendered: bool) -> None:
        super()._check_arguments(rendered=rendered)
        if self._ready(self.hardware, rendered):
            _check_hardware_name(self.hardware)
        if self.sleep_time is not None:
            check.check_sleep_time(self.sleep_time)

    def execute(self, context: Context) -> dict[str, Any]:
        self._check_arguments(rendered=True)
        self._check_hardware(self.hardware)
        self._push_url(context, self.repo_id)
        requested_at = time.time()
        runtime = self.hook.request_space_hardware(self.repo_id, self.hardware, sleep_time=self.sleep_time)
        if self.sleep_time is not None:
            self._warn_if_free(runtime)
        self.log.info(
            "Requested %s for Space %s (%s on %s)",
            self.hardware,
            self.repo_id,
            runtime.stage,
            runtime.hardware,
        )
        return self._wait(context, self.repo_id, runtime, requested_at, hardware=self.hardware)


class HfDuplicateSpaceOperator(_WaitingSpaceOperator):
    """Copy a Space, with its own hardware, sleep time, secrets and variables; by default wait for it to run.

    :param repo_id: the Space to copy (templated).
    :param to_id: the copy: ``namespace/name``, or a name in the token's namespace (default: the
        source's name there) (templated). Its URL is the one pushed to XCom.
    :param private: make the copy private (default: the Hub's choice).
    :param hardware: the copy's hardware flavor (templated).
    :param storage: persistent storage tier, ``small``, ``medium`` or ``large``.
    :param sleep_time: seconds of inactivity before the copy sleeps (-1: never).
    :param secrets: the copy's secrets, names to values (not templated, masked, never returned).
    :param variables: the copy's variables, names to values (templated).

    ``wait_for_running``, ``deferrable``, ``stream_logs``, ``startup_timeout``, ``poll_interval`` and
    ``hfhub_conn_id`` are as in :class:`HfRestartSpaceOperator`.

    A retry takes over its own earlier copy. The Hub answers 409 Conflict to a copy onto a Space
    that exists, and nothing on the Hub says who made it, so the copy is taken as this task's own
    only when all of these hold, else the task fails and says which one did not:

    * this is not the task instance's first try (``ti.try_number > 1``: a retry or a cleared
      re-run), so an earlier try may have sent the request. A first try never takes over a Space
      it did not create, however similar;
    * on Airflow 3.3+, the task state store records that an earlier try asked for this very copy
      (written before the request, so a try that died right after it still counts);
    * the Space looks like a copy of this source made by this request: the same ``sdk`` as the
      source, the requested ``hardware`` and ``storage``, and each of ``variables`` with its value.

    Then it waits for the copy as a first try would (it may well be RUNNING already). A Space of the
    same name that someone else made between two tries and that passes all of these is taken over:
    give ``to_id`` a name only this task uses.
    """

    template_fields: Sequence[str] = ("repo_id", "to_id", "hardware", "variables")
    template_fields_renderers = {"variables": "json"}

    def __init__(
        self,
        *,
        to_id: str | None = None,
        private: bool | None = None,
        hardware: str | None = None,
        storage: str | None = None,
        sleep_time: int | None = None,
        secrets: Mapping[str, str] | None = None,
        variables: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.to_id = to_id
        self.private = private
        self.hardware = hardware
        self.storage = storage
        self.sleep_time = sleep_time
        self.secrets = secrets
        self.variables = variables
        self._check_arguments(rendered=False)

    def _check_arguments(self, *, rendered: bool) -> None:
        super()._check_arguments(rendered=rendered)
        if self.to_id is not None and self._ready(self.to_id, rendered):
            check.check_repo_id(self.to_id if "/" in str(self.to_id) else f"namespace/{self.to_id}")
        if self.hardware is not None and self._ready(self.hardware, rendered):
            _check_hardware_name(self.hardware)
        if self.storage is not None:
            check.check_storage(self.storage)
        if self.sleep_time is not None:
            check.check_sleep_time(self.sleep_time)
        for what, values in (("secrets", self.secrets), ("variables", self.variables)):
            if self._ready(values, rendered):
                _check_keys(what, values)

    def execute(self, context: Context) -> dict[str, Any]:
        self._mask_secrets()  # before anything can log them
        self._check_arguments(rendered=True)
        if self.hardware is not None:
            self._check_hardware(self.hardware)
        requested_at = time.time()
        secrets, variables = (
            _check_keys("secrets", self.secrets)[0],
            _check_keys("variables", self.variables)[0],
        )
        from airflow_provider_hfhub.hub import ConflictError

        repo_id = self._target()
        store = context.get("task_state_store")
        earlier = store.get(_DUPLICATE_KEY) if store is not None else _NO_STORE
        if store is not None:  # before the request: a try that dies right after it still counts
            store.set(_DUPLICATE_KEY, {"from": self.repo_id, "to": repo_id})
        try:
            self.hook.duplicate_space(
                self.repo_id, repo_id, private=self.private, hardware=self.hardware, storage=self.storage,
                sleep_time=self.sleep_time, secrets=[{"key": k, "value": v} for k, v in secrets.items()],
                variables=[{"key": k, "value": v} for k, v in variables.items()],
            )  # fmt: skip
        except ConflictError as exc:
            self._take_over(context, repo_id, variables, earlier, exc)
        else:
            self.log.info("Copied Space %s to %s", self.repo_id, repo_id)
        self._push_url(context, repo_id)
        return self._wait(context, repo_id, self.hook.get_space_runtime(repo_id), requested_at)

    def _target(self) -> str:
        """The copy's ``namespace/name``: ``to_id`` as given, or in the token's namespace."""
        name = str(self.to_id or self.repo_id).rsplit("/", 1)[-1]
        return (
            str(self.to_id)
            if self.to_id and "/" in str(self.to_id)
            else f"{self.hook.default_namespace()}/{name}"
        )

    def _take_over(
        self, context: Context, repo_id: str, variables: Mapping[str, str], earlier: object, exc: Exception
    ) -> None:
        """The 409's Space when it is this task's copy from an earlier try (the class's rule); else raise.

        ``earlier``: what the task state store held before this try wrote to it (``_NO_STORE``: none).
        """
        try_number = context["ti"].try_number
        refusal = self._not_ours(repo_id, variables, earlier, try_number)
        if refusal:
            raise SpaceError(
                f"Space {repo_id} already exists ({exc}), and {refusal}: not taking it over. Delete it "
                "or choose another to_id"
            ) from exc
        self.log.info(
            "Space %s already exists, made by an earlier try of this task (try %s): waiting for it",
            repo_id,
            try_number,
        )

    def _not_ours(
        self, repo_id: str, variables: Mapping[str, str], earlier: object, try_number: int
    ) -> str | None:
        """Why the existing Space is not this task's copy, or None when it is."""
        if try_number <= 1:
            return "this is the task's first try, so no earlier try made it"
        if earlier is not _NO_STORE and earlier != {"from": self.repo_id, "to": repo_id}:
            return "no earlier try of this task asked for it (task state store)"
        source, copy = self.hook.get_space_runtime(self.repo_id), self.hook.get_space_runtime(repo_id)
        source_sdk, copy_sdk = source.raw.get("sdk"), copy.raw.get("sdk")
        if source_sdk and copy_sdk and source_sdk != copy_sdk:
            return f"its sdk is {copy_sdk}, not the source's {source_sdk}"
        if self.hardware is not None and copy.requested_hardware != self.hardware:
            return f"its requested hardware is {copy.requested_hardware}, not {self.hardware}"
        if self.storage is not None and copy.storage != self.storage:
            return f"its storage is {copy.storage}, not {self.storage}"
        if variables:
            found = {
                key: (entry or {}).get("value")
                for key, entry in self.hook.get_space_variables(repo_id).items()
            }
            differ = sorted(key for key, value in variables.items() if found.get(key) != value)
            if differ:
                return f"its variables {differ} are not the ones asked for"
        return None
