"""Operators that run, and cancel, Hugging Face Hub Jobs.

Cheap to import: the hook, httpx and the trigger load only when a task runs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException, conf

from airflow_provider_hfhub.hub.config import DEFAULT_UV_IMAGE
from airflow_provider_hfhub.hub.stages import JOB_FLAVORS
from airflow_provider_hfhub.links import JOB_URL_KEY, HfJobLink, JobLinked
from airflow_provider_hfhub.operators import job_attempts as attempts
from airflow_provider_hfhub.operators import validation as check
from airflow_provider_hfhub.operators.base import HfHubOperator, HfWatchingOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_hfhub.hooks.hfhub import HfHubHook
    from airflow_provider_hfhub.hub import JobInfo, Volume


class JobError(AirflowException):
    """The Hub Job did not end well; the message says how, with its last log lines."""


class HfRunJobOperator(HfWatchingOperator):
    """Run a Hub Job (a Docker image or a Space's image) and wait for its outcome.

    The Job's log streams into the task log while it runs; the task ends with the Job's outcome as
    soon as the Hub reports it. A retried task re-attaches to its running Job instead of starting
    another (a cleared one runs a new Job), and a killed or timed-out task cancels its Job.

    :param image: Docker image (``python:3.12``) or Space (``hf.co/spaces/user/name``).
    :param command: the command, a list of strings.
    :param env: environment variables (templated; visible in the Hub's UI).
    :param secrets: secret environment variables (not templated, masked in logs, never in XCom).
    :param flavor: hardware flavor, e.g. ``cpu-basic``, ``a10g-small``, ``h200``.
    :param timeout: the Hub-side limit: seconds, or ``"90m"``, ``"2h"``...
    :param labels: extra labels; ``airflow-*`` labels naming the task instance are added.
    :param volumes: buckets or repos to mount (``hub.Volume``).
    :param namespace: user or org to run the Job in (default: the connection's, else the token's user).
    :param name: the Job's name label (default: derived from image and command, as the official client).
    :param wait_for_completion: False returns once the Job is created.
    :param deferrable: wait on the triggerer instead of holding a worker slot.
    :param stream_logs: forward the Job's log into the task log.
    :param poll_interval: seconds between backstop stage checks.
    :param scheduling_timeout: fail (and cancel the Job) when it waits longer than this for hardware.
    :param cancel_on_kill: cancel the Job when the task is killed or times out.
    :param reattach_on_restart: on a retry, follow this task instance's running Job (or take the
        outcome of one an earlier try completed but died before recording) instead of starting a
        new Job; after a clear a new Job runs either way (rule in ``operators.job_attempts``).
    :param hfhub_conn_id: the Airflow connection to the Hub.
    """

    template_fields: Sequence[str] = (
        "image",
        "command",
        "env",
        "flavor",
        "timeout",
        "labels",
        "namespace",
        "name",
    )
    template_fields_renderers = {"command": "json", "env": "json", "labels": "json"}
    operator_extra_links = (HfJobLink(),)
    error_class = JobError

    def __init__(
        self,
        *,
        image: str,
        command: Sequence[str],
        env: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        flavor: str = "cpu-basic",
        timeout: int | float | str | None = None,
        labels: Mapping[str, str] | None = None,
        volumes: Sequence[Volume] | None = None,
        namespace: str | None = None,
        name: str | None = None,
        wait_for_completion: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        stream_logs: bool = True,
        poll_interval: float = 60.0,
        scheduling_timeout: float | None = None,
        cancel_on_kill: bool = True,
        reattach_on_restart: bool = True,
        hfhub_conn_id: str = "hfhub_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            deferrable=deferrable, stream_logs=stream_logs, poll_interval=poll_interval,
            hfhub_conn_id=hfhub_conn_id, **kwargs,
        )  # fmt: skip
        self.image = image
        self.command = command
        self.env = env
        self.secrets = secrets
        self.flavor = flavor
        self.timeout = timeout
        self.labels = labels
        self.volumes = volumes
        self.namespace = namespace
        self.name = name
        self.wait_for_completion = wait_for_completion
        self.scheduling_timeout = scheduling_timeout
        self.cancel_on_kill = cancel_on_kill
        self.reattach_on_restart = reattach_on_restart
        self.job_id: str | None = None
        self._cancelled: str | None = None
        self.job_namespace: str | None = None
        if scheduling_timeout is not None and scheduling_timeout <= 0:
            raise ValueError(f"scheduling_timeout must be positive seconds, got {scheduling_timeout!r}")
        self._check_arguments(rendered=False)

    # --- validation (before any Hub call) ------------------------------------------------------

    def _check_arguments(self, *, rendered: bool) -> None:
        """Check what is known; Jinja strings are checked again once rendered."""

        def ready(value: Any) -> bool:
            return rendered or not check.is_templated(value)

        if ready(self.image):
            check.check_image(self.image)
        if ready(self.command):
            check.check_command(self.command)
        if ready(self.timeout):
            check.check_timeout(self.timeout)
        if ready(self.labels):
            check.check_labels(self.labels)
        if ready(self.env):
            check.check_env("env", self.env)
        check.check_env("secrets", self.secrets, text_only=True)  # sent as given: strings only
        if self.namespace is not None and ready(self.namespace):
            check.check_namespace(self.namespace)
        if not isinstance(self.flavor, str) or not self.flavor:
            raise ValueError(
                f"flavor must be a hardware flavor name such as 'cpu-basic', got {self.flavor!r}"
            )

    def _check_flavor(self, hook: HfHubHook) -> None:
        """Known flavors pass at once; others are checked against the Hub's live list."""
        self._check_live_name(self.flavor, JOB_FLAVORS, hook.list_jobs_hardware, "flavor")

    # --- execution --------------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        self._mask_secrets()
        self._check_arguments(rendered=True)
        hook = self.hook
        self._check_flavor(hook)
        ti = context["ti"]
        owner = check.task_labels(ti.dag_id, ti.task_id, ti.run_id, ti.map_index)
        job = None
        if self.reattach_on_restart:
            job = attempts.earlier_job(
                hook, context, owner, namespace=self.namespace, retries=self.retries, log=self.log
            )
        if job is None:
            # The try's labels name this Job alone: a lost answer to the create is looked up by
            # them before the request is sent again (hub.flows.create), so it starts at most once.
            job = self._submit(
                hook, check.check_labels(self.labels), {**owner, attempts.TRY_LABEL: str(ti.try_number)}
            )
        self.job_id, self.job_namespace = job.id, job.owner.name
        try:
            return self._follow(context, job)
        except Exception as exc:
            # Whatever fails between the Job's start and its outcome (an XCom write, the deferral,
            # the worker's watch) must not leave it running unwatched.
            self._cancel(f"the task failed while following it ({type(exc).__name__})")
            raise

    def _follow(self, context: Context, job: JobInfo) -> dict[str, Any]:
        """Announce the Job, then wait for its outcome here or on the triggerer."""
        ti = context["ti"]
        attempts.remember(context, job)
        ti.xcom_push(key="job_id", value=job.id)
        ti.xcom_push(key=JOB_URL_KEY, value=job.url)
        self.log.info("Hub Job %s (%s, %s): %s", job.id, self.flavor, job.stage, job.url)
        if not self.wait_for_completion:
            from airflow_provider_hfhub.triggers.events import job_summary

            return job_summary(job)
        deadline = self._deadline(context)
        if self.deferrable and not job.stage.is_terminal:
            self._defer(job, deadline)
        return self.execute_complete(context, self._watch_here(job, deadline))

    def _job_env(self) -> dict[str, str]:
        """The Job's environment variables, as sent."""
        return check.check_env("env", self.env)

    def _submit(self, hook: HfHubHook, labels: dict[str, str], unique_labels: dict[str, str]) -> JobInfo:
        return hook.run_job(
            image=self.image, command=check.check_command(self.command), env=self._job_env(),
            secrets=self.secrets, flavor=self.flavor, timeout=self.timeout, labels=labels,
            volumes=self.volumes, name=self.name, namespace=self.namespace, unique_labels=unique_labels,
        )  # fmt: skip

    def _watch(self, job: JobInfo, deadline: float | None) -> Any:
        from airflow_provider_hfhub.triggers.job_watch import JobWatch

        return JobWatch(
            job_id=job.id, namespace=job.owner.name, stream_logs=self.stream_logs,
            poll_interval=self.poll_interval, scheduling_timeout=self.scheduling_timeout, execution_deadline=deadline,
        )  # fmt: skip

    def _watch_here(self, job: JobInfo, deadline: float | None) -> dict[str, Any]:
        """The sync path: the trigger's own watch loop, run in this worker."""
        from airflow_provider_hfhub.triggers.job_watch import watch_job

        return self._run_watch(lambda hook: watch_job(hook, self._watch(job, deadline), self.log))

    def _defer(self, job: JobInfo, deadline: float | None) -> None:
        from airflow_provider_hfhub.triggers.jobs import HfJobTrigger

        trigger = HfJobTrigger(
            job_id=job.id, namespace=job.owner.name, hfhub_conn_id=self.hfhub_conn_id,
            poll_interval=self.poll_interval, stream_logs=self.stream_logs,
            scheduling_timeout=self.scheduling_timeout, execution_deadline=deadline,
            deferred_at=time.time(), cancel_on_kill=self.cancel_on_kill,
            sealed_secrets=self._sealed_secrets(),
        )  # fmt: skip
        self._defer_to(trigger, deadline)

    def _sealed_secrets(self) -> str | None:
        """The secret values for the triggerer's masker, encrypted (``triggers/sealed.py``)."""
        from airflow_provider_hfhub.triggers.sealed import seal

        values = [str(value) for value in (self.secrets or {}).values()]
        sealed = seal(values)
        if values and sealed is None and self.stream_logs:
            self.log.warning(
                "No Fernet key is set ([core] fernet_key): a secret the Job prints is not masked in the "
                "log lines the triggerer forwards. Set a Fernet key, or deferrable=False."
            )
        return sealed

    def _on_event(self, event: dict[str, Any]) -> None:
        job = event.get("job") or {}
        # A resumed task is a fresh operator: the Job comes from the event, never from memory.
        self.job_id = job.get("id") or event.get("job_id") or self.job_id
        self.job_namespace = job.get("namespace") or event.get("namespace") or self.job_namespace
        if event["status"] in ("timeout", "scheduling_timeout", "error"):
            # The Job may still run: a deadline passed, or the Hub could not be followed.
            self._cancel(f"the task's {event['status'].replace('_', ' ')}")

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context) -> Any:
        """Cancel the Job when Airflow ends the deferral itself (its defer timeout, a failed trigger).

        Then ``execute_complete`` never runs (``BaseOperator.resume_execution`` raises at once for
        ``__fail__``); the Job's id is in the XCom pushed before the deferral, which a resume keeps.
        """
        if next_method == "__fail__":
            ti = context["ti"]
            self.job_id = ti.xcom_pull(task_ids=ti.task_id, key="job_id", map_indexes=ti.map_index)
            reason = (next_kwargs or {}).get("error", "unknown")
            self._cancel(f"Airflow ended the deferral ({reason})")
        return super().resume_execution(next_method, next_kwargs, context)

    def _result(self, event: dict[str, Any]) -> dict[str, Any]:
        return dict(event.get("job") or {})

    def _cancel(self, why: str) -> None:
        """Cancel the Job, best effort and once: a failing task may pass several ways out."""
        if not self.cancel_on_kill or not self.job_id or self.job_id == self._cancelled:
            return
        self._cancelled = self.job_id
        if not self.job_namespace:
            self.job_namespace = self.namespace or self.hook.default_namespace()
        self.log.info("Cancelling Hub Job %s: %s", self.job_id, why)
        try:
            self.hook.cancel_job(job_id=self.job_id, namespace=self.job_namespace)
        except Exception as exc:  # best effort: the task is failing anyway, say why the Job may live on
            from airflow_provider_hfhub.triggers.events import cancel_failed_text

            self.log.error("%s", cancel_failed_text(self.job_id, self.job_namespace, exc))

    def on_kill(self) -> None:
        self._cancel("the task was killed")


class HfRunUvJobOperator(HfRunJobOperator):
    """Run a Python script with uv on the Hub: a URL (as the official client runs it) or inline text.

    :param script: a script URL, a command (``lighteval``), or the script's text (multi-line; sent
        in an environment variable, no upload).
    :param script_args: arguments after the script.
    :param dependencies: extra packages (``uv run --with``).
    :param python: Python version for uv (``--python``).
    :param image: defaults to the official client's uv image.

    Every other argument is :class:`HfRunJobOperator`'s.
    """

    template_fields: Sequence[str] = (
        *HfRunJobOperator.template_fields,
        "script",
        "script_args",
        "dependencies",
    )

    def __init__(
        self,
        *,
        script: str,
        script_args: Sequence[str] | None = None,
        dependencies: Sequence[str] | None = None,
        python: str | None = None,
        image: str = DEFAULT_UV_IMAGE,
        **kwargs: Any,
    ) -> None:
        self.script = script
        self.script_args = script_args
        self.dependencies = dependencies
        self.python = python
        super().__init__(image=image, command=["uv", "run"], **kwargs)

    def _check_arguments(self, *, rendered: bool) -> None:
        super()._check_arguments(rendered=rendered)
        if not isinstance(self.script, str) or not self.script.strip():
            raise ValueError("script must be a script URL, a command, or the script's text")
        if rendered or not check.is_templated(self.script):
            check.check_uv_script(self.script)
        for name in ("script_args", "dependencies"):
            value = getattr(self, name)
            if value is None or not (rendered or not check.is_templated(value)):
                continue
            if isinstance(value, str) or not all(isinstance(item, str) for item in value):
                raise ValueError(f"{name} must be a list of strings, got {value!r}")

    def _submit(self, hook: HfHubHook, labels: dict[str, str], unique_labels: dict[str, str]) -> JobInfo:
        return hook.run_uv_job(
            self.script, script_args=self.script_args, dependencies=self.dependencies, python=self.python,
            image=self.image, env=self._job_env(), secrets=self.secrets, flavor=self.flavor,
            timeout=self.timeout, labels=labels, volumes=self.volumes, name=self.name, namespace=self.namespace,
            unique_labels=unique_labels,
        )  # fmt: skip


class HfCancelJobOperator(JobLinked, HfHubOperator):
    """Cancel a Hub Job; returns its summary (a Job that already ended is left as it is).

    :param job_id: the Job (templated, e.g. ``{{ ti.xcom_pull('train', key='job_id') }}``).
    :param namespace: its user or org (default: the connection's, else the token's user).
    """

    def __init__(
        self,
        *,
        job_id: str,
        namespace: str | None = None,
        hfhub_conn_id: str = "hfhub_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(hfhub_conn_id=hfhub_conn_id, **kwargs)
        self.job_id = job_id
        self.namespace = namespace

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_hfhub.triggers.events import job_summary

        if not isinstance(self.job_id, str) or not self.job_id.strip():
            raise ValueError(f"job_id must be a Hub Job id, got {self.job_id!r}")
        if self.namespace is not None:
            check.check_namespace(self.namespace)
        hook = self.hook
        job = self._inspect_job(hook, context)
        if job.stage.is_terminal:
            self.log.info("Job %s already ended %s: nothing to cancel", job.id, job.stage)
        else:
            hook.cancel_job(job_id=job.id, namespace=job.owner.name)
            job = hook.inspect_job(job_id=job.id, namespace=job.owner.name)
            self.log.info("Cancelled Job %s (now %s)", job.id, job.stage)
        return job_summary(job)
