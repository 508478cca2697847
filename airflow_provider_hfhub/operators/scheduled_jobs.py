"""Scheduled Hub Jobs from DAGs: create or update one by name, suspend, resume, delete, run one now.

A scheduled Job is found by its ``name`` label (the official client stores ``name=`` there,
``_jobs_api.py::_create_job_spec``), so a task that declares one is idempotent: run twice, one
scheduled Job. The Hub has no call that changes a scheduled Job's spec, so a changed one is
replaced (created anew, then the old one deleted). Cheap to import: the hook loads when a task runs.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException

from airflow_provider_hfhub.operators import validation as check
from airflow_provider_hfhub.operators.base import HfHubOperator
from airflow_provider_hfhub.operators.job_follow import HfJobFollowingOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_hfhub.hooks.hfhub import HfHubHook
    from airflow_provider_hfhub.hub import ScheduledJobInfo, Volume

# The official client's schedules (hf_api.py::HfApi.create_scheduled_job): these, or a CRON expression.
_NAMED_SCHEDULES = ("@annually", "@yearly", "@monthly", "@weekly", "@daily", "@hourly")
_NAME = re.compile(r"^[a-zA-Z0-9._-]{1,100}$")  # the official client's rule for Job names
# Spec keys compared when deciding whether a scheduled Job must be replaced; absent, empty and
# null are alike. ``secrets``: the Hub does not give values back, so any secret means "replace".
_SPEC_KEYS = ("dockerImage", "spaceId", "command", "arguments", "environment", "flavor", "timeoutSeconds",
              "attempts", "labels", "volumes", "expose", "resourceGroupId")  # fmt: skip


def check_schedule(schedule: object) -> str:
    if isinstance(schedule, str) and (schedule in _NAMED_SCHEDULES or len(schedule.split()) == 5):
        return schedule
    raise ValueError(
        f"schedule {schedule!r} must be one of {', '.join(_NAMED_SCHEDULES)} or a CRON expression "
        "of five fields, e.g. '0 3 * * *'"
    )


def scheduled_summary(item: ScheduledJobInfo, **extra: Any) -> dict[str, Any]:
    """What a scheduled-Job task returns: JSON-safe, never the spec's environment or secrets."""
    from airflow_provider_hfhub.hub.models import format_datetime

    return {
        "id": item.id,
        "name": (item.job_spec.get("labels") or {}).get("name"),
        "namespace": item.owner.name,
        "schedule": item.schedule,
        "suspend": item.suspend,
        "concurrency": item.concurrency,
        "next_run_at": format_datetime(item.next_job_run_at),
        "last_job_id": item.last_job_id,
        **extra,
    }


def find_by_name(hook: HfHubHook, name: str, namespace: str | None) -> list[ScheduledJobInfo]:
    """Scheduled Jobs whose ``name`` label is ``name`` (the list is not paginated and has no name filter)."""
    found = hook.list_scheduled_jobs(namespace=namespace)
    return [item for item in found if (item.job_spec.get("labels") or {}).get("name") == name]


class HfScheduledJobOperator(HfHubOperator):
    """Create a scheduled Job, or update the one of the same ``name``; returns its summary.

    Idempotent: when the scheduled Job named ``name`` already has this spec and schedule, nothing
    changes. When it differs (or ``secrets`` are given: the Hub never returns their values to
    compare), a new one is created and the old one deleted, so its id changes.

    :param name: the scheduled Job's name (its ``name`` label), unique in the namespace.
    :param schedule: ``@hourly``, ``@daily``... or a CRON expression (``0 3 * * *``).
    :param suspend: create it suspended (no runs until resumed).
    :param concurrency: allow a run to start while the previous one still runs.

    The Job's spec (``image``, ``command``, ``env``, ``secrets``, ``flavor``, ``timeout``,
    ``labels``, ``volumes``, ``attempts``, ``expose``, ``expose_public``, ``resource_group_id``,
    ``namespace``) means what it means for
    :class:`~airflow_provider_hfhub.operators.jobs.HfRunJobOperator`.
    """

    template_fields: Sequence[str] = ("name", "image", "command", "schedule", "env", "flavor", "timeout",
                                      "labels", "namespace")  # fmt: skip
    template_fields_renderers = {"command": "json", "env": "json", "labels": "json"}

    def __init__(
        self,
        *,
        name: str,
        image: str,
        command: Sequence[str],
        schedule: str,
        suspend: bool | None = None,
        concurrency: bool | None = None,
        env: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        flavor: str = "cpu-basic",
        timeout: int | float | str | None = None,
        labels: Mapping[str, str] | None = None,
        volumes: Sequence[Volume] | None = None,
        attempts: int | None = None,
        expose: Sequence[int] | None = None,
        expose_public: Sequence[int] | None = None,
        resource_group_id: str | None = None,
        namespace: str | None = None,
        hfhub_conn_id: str = "hfhub_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(hfhub_conn_id=hfhub_conn_id, **kwargs)
        self.name, self.image, self.command, self.schedule = name, image, command, schedule
        self.suspend, self.concurrency = suspend, concurrency
        self.env, self.secrets, self.flavor, self.timeout = env, secrets, flavor, timeout
        self.labels, self.volumes, self.attempts = labels, volumes, attempts
        self.expose, self.expose_public, self.resource_group_id = expose, expose_public, resource_group_id
        self.namespace = namespace
        self._check_arguments(rendered=False)

    def _check_arguments(self, *, rendered: bool) -> None:
        def ready(value: Any) -> bool:
            return rendered or not check.is_templated(value)

        if ready(self.name) and not (isinstance(self.name, str) and _NAME.match(self.name)):
            raise ValueError(f"name {self.name!r}: letters, digits, '.', '_' and '-', at most 100 characters")
        for value, checker in [(self.image, check.check_image), (self.command, check.check_command),
                               (self.schedule, check_schedule), (self.timeout, check.check_timeout),
                               (self.labels, check.check_labels)]:  # fmt: skip
            if ready(value):
                checker(value)
        if ready(self.env):
            check.check_env("env", self.env)
        check.check_env("secrets", self.secrets, text_only=True)
        if self.labels and "name" in self.labels:
            raise ValueError("labels must not have a 'name' key: the scheduled Job's name is `name`")
        if self.namespace is not None and ready(self.namespace):
            check.check_namespace(self.namespace)
        check.check_run_options(attempts=self.attempts, expose=self.expose, expose_public=self.expose_public,
                                resource_group_id=self.resource_group_id)  # fmt: skip

    def _spec(self) -> dict[str, Any]:
        from airflow_provider_hfhub.hub.calls import JobSpec

        return JobSpec(
            image=self.image, command=check.check_command(self.command), env=check.check_env("env", self.env),
            secrets=self.secrets, flavor=self.flavor, timeout=self.timeout, labels=self.labels or None,
            volumes=self.volumes, name=self.name, attempts=self.attempts, expose=self.expose,
            expose_public=self.expose_public, resource_group_id=self.resource_group_id,
        ).to_json()  # fmt: skip

    def _differs(self, item: ScheduledJobInfo, spec: Mapping[str, Any]) -> str | None:
        """What differs between the Hub's scheduled Job and this task's, in words; None when alike."""
        if spec.get("secrets"):
            return "secrets are given (the Hub does not return their values to compare)"
        theirs = dict(item.job_spec)
        theirs.setdefault(
            "timeoutSeconds", theirs.get("timeout")
        )  # the Hub's key is uncertain (docs/hub-api.md)
        for key in _SPEC_KEYS:
            if (spec.get(key) or None) != (theirs.get(key) or None):
                return f"its {key} differs"
        if theirs.get("secrets"):
            return "it has secrets and this task has none"
        if item.schedule != self.schedule:
            return f"its schedule is {item.schedule!r}"
        for flag in ("suspend", "concurrency"):
            wanted = getattr(self, flag)
            if wanted is not None and bool(getattr(item, flag)) != wanted:
                return f"its {flag} is {getattr(item, flag)}"
        return None

    def execute(self, context: Context) -> dict[str, Any]:
        self._mask_secrets()
        self._check_arguments(rendered=True)
        hook = self.hook
        spec = self._spec()
        existing = find_by_name(hook, self.name, self.namespace)
        if len(existing) > 1:
            ids = ", ".join(item.id for item in existing)
            raise AirflowException(
                f"{len(existing)} scheduled Jobs are named {self.name!r} ({ids}): delete all but one "
                "(HfDeleteScheduledJobOperator or `hf jobs scheduled delete`), then run this task again"
            )
        if existing:
            why = self._differs(existing[0], spec)
            if why is None:
                self.log.info("Scheduled Job %r (%s) is up to date", self.name, existing[0].id)
                return scheduled_summary(existing[0], changed=False)
            self.log.info("Replacing scheduled Job %r (%s): %s", self.name, existing[0].id, why)
        created = hook.create_scheduled_job(
            image=self.image, command=spec["command"], schedule=self.schedule, suspend=self.suspend,
            concurrency=self.concurrency, env=spec["environment"], secrets=self.secrets, flavor=self.flavor,
            timeout=self.timeout, attempts=self.attempts, labels=self.labels or None, volumes=self.volumes,
            expose=self.expose, expose_public=self.expose_public, resource_group_id=self.resource_group_id,
            name=self.name, namespace=self.namespace,
        )  # fmt: skip
        for old in existing:  # after the create: a failed create leaves the old one in place
            hook.delete_scheduled_job(scheduled_job_id=old.id, namespace=old.owner.name)
        self.log.info("Scheduled Job %r is %s (%s)", self.name, created.id, created.schedule)
        return scheduled_summary(created, changed=True)


class _NamedScheduledJob:
    """A task about one existing scheduled Job, given by id or by name.

    :param scheduled_job_id: its id (templated).
    :param name: or its name (templated), as :class:`HfScheduledJobOperator` set it.
    :param namespace: its user or org (default: the connection's, else the token's user).
    """

    template_fields: Collection[str] = ("scheduled_job_id", "name", "namespace")
    scheduled_job_id: str | None
    name: str | None
    namespace: str | None

    def _init_target(self, scheduled_job_id: str | None, name: str | None, namespace: str | None) -> None:
        if (scheduled_job_id is None) == (name is None):
            raise ValueError("give exactly one of scheduled_job_id and name")
        self.scheduled_job_id, self.name, self.namespace = scheduled_job_id, name, namespace
        if namespace is not None and not check.is_templated(namespace):
            check.check_namespace(namespace)

    def _resolve(self, hook: HfHubHook, *, missing_ok: bool = False) -> ScheduledJobInfo | None:
        """The scheduled Job; None when it does not exist and ``missing_ok``."""
        from airflow_provider_hfhub.hub import NotFoundError

        if self.scheduled_job_id is not None:
            try:
                return hook.inspect_scheduled_job(
                    scheduled_job_id=self.scheduled_job_id, namespace=self.namespace
                )
            except NotFoundError:
                if missing_ok:
                    return None
                raise
        found = find_by_name(hook, str(self.name), self.namespace)
        if len(found) == 1 or (not found and missing_ok):
            return found[0] if found else None
        raise AirflowException(f"{len(found)} scheduled Jobs are named {self.name!r}: name exactly one")


class _ScheduledJobAction(_NamedScheduledJob, HfHubOperator):
    action = ""

    def __init__(
        self,
        *,
        scheduled_job_id: str | None = None,
        name: str | None = None,
        namespace: str | None = None,
        hfhub_conn_id: str = "hfhub_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(hfhub_conn_id=hfhub_conn_id, **kwargs)
        self._init_target(scheduled_job_id, name, namespace)

    def execute(self, context: Context) -> dict[str, Any]:
        hook = self.hook
        item = self._resolve(hook)
        assert item is not None
        getattr(hook, f"{self.action}_scheduled_job")(scheduled_job_id=item.id, namespace=item.owner.name)
        item = hook.inspect_scheduled_job(scheduled_job_id=item.id, namespace=item.owner.name)
        self.log.info("Scheduled Job %s: %s (suspend=%s)", item.id, self.action, item.suspend)
        return scheduled_summary(item)


class HfSuspendScheduledJobOperator(_ScheduledJobAction):
    """Suspend a scheduled Job (no runs until resumed); returns its summary. Takes ``scheduled_job_id`` or ``name``."""

    action = "suspend"


class HfResumeScheduledJobOperator(_ScheduledJobAction):
    """Resume a suspended scheduled Job; returns its summary. Takes ``scheduled_job_id`` or ``name``."""

    action = "resume"


class HfDeleteScheduledJobOperator(_ScheduledJobAction):
    """Delete a scheduled Job; one that does not exist is already what the task wants (logged).

    Takes ``scheduled_job_id`` or ``name``. Jobs it already started are left alone.
    """

    def execute(self, context: Context) -> dict[str, Any]:
        hook = self.hook
        item = self._resolve(hook, missing_ok=True)
        if item is None:
            self.log.info("No scheduled Job %s: nothing to delete", self.scheduled_job_id or repr(self.name))
            return {"id": self.scheduled_job_id, "name": self.name, "deleted": False}
        hook.delete_scheduled_job(scheduled_job_id=item.id, namespace=item.owner.name)
        self.log.info("Deleted scheduled Job %s", item.id)
        return scheduled_summary(item, deleted=True)


class HfTriggerScheduledJobOperator(_NamedScheduledJob, HfJobFollowingOperator):
    """Run a scheduled Job now and follow that Job like ``HfRunJobOperator`` (logs, deferrable, budget).

    Takes ``scheduled_job_id`` or ``name``; returns the Job's summary. The Hub refuses (409) a run
    while one is running unless the scheduled Job allows concurrency. A retried task runs it again
    (the Hub labels the Job from the scheduled spec, so an earlier try's run cannot be found).

    Following the Job: see :class:`~airflow_provider_hfhub.operators.job_follow.HfJobFollowingOperator`.
    """

    template_fields: Sequence[str] = ("scheduled_job_id", "name", "namespace")

    def __init__(
        self,
        *,
        scheduled_job_id: str | None = None,
        name: str | None = None,
        namespace: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(namespace=namespace, **kwargs)
        self._init_target(scheduled_job_id, name, namespace)

    def execute(self, context: Context) -> dict[str, Any]:
        hook = self.hook
        item = self._resolve(hook)
        assert item is not None
        if self.max_cost_usd is not None:  # a budget without a price fails here, before the run
            self._read_price(hook, str(item.job_spec.get("flavor") or "cpu-basic"))
        job = hook.trigger_scheduled_job(scheduled_job_id=item.id, namespace=item.owner.name)
        self.log.info("Scheduled Job %s started Job %s", item.id, job.id)
        return self._follow_started(context, job)
