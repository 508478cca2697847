"""Operators that run, and cancel, Hugging Face Hub Jobs.

Cheap to import: the hook, httpx and the trigger load only when a task runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_hfhub.hub.config import DEFAULT_UV_IMAGE
from airflow_provider_hfhub.hub.stages import JOB_FLAVORS
from airflow_provider_hfhub.links import JobLinked
from airflow_provider_hfhub.operators import job_attempts as attempts
from airflow_provider_hfhub.operators import validation as check
from airflow_provider_hfhub.operators.base import HfHubOperator
from airflow_provider_hfhub.operators.job_follow import HfJobFollowingOperator, JobError

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_hfhub.hooks.hfhub import HfHubHook
    from airflow_provider_hfhub.hub import JobInfo, Volume


__all__ = ["HfCancelJobOperator", "HfRunJobOperator", "HfRunUvJobOperator", "JobError"]


class HfRunJobOperator(HfJobFollowingOperator):
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
    :param attempts: how many times the *Hub* runs the Job, the first included, when it fails (Hub-side
        retries, on the same Job; the task sees only the last outcome). Airflow's ``retries`` start a
        new Job instead; use one or the other.
    :param expose: container ports reachable at ``https://<job id>--<port>.hf.jobs`` while the Job
        runs, for callers with a token that can read the namespace (e.g. a server a later task queries).
    :param expose_public: ports reachable there without any token: anyone with the URL. Billed extra
        ($0.01 an hour a Job, not in ``cost_usd``).
    :param network_group: join this network group: Jobs of the same namespace and resource group in
        it reach each other on every port (a multi-node training, a Job and its data server).
        Lower-case letters, digits and dashes, at most 46.
    :param network_aliases: names this Job claims in its group (``${HF_NETWORK_GROUP_PREFIX}<alias>``),
        e.g. ``["master"]``; needs ``network_group``. Lower-case letters, digits and dashes, at most 34.
    :param resource_group_id: run (and bill) the Job in this resource group of the organization
        ``namespace`` (Enterprise), e.g. a team's spending limit.
    :param reattach_on_restart: on a retry, follow this task instance's running Job (or take the
        outcome of one an earlier try completed but died before recording) instead of starting a
        new Job; after a clear a new Job runs either way (rule in ``operators.job_attempts``).

    Following the Job (``wait_for_completion``, ``deferrable``, ``stream_logs``, ``poll_interval``,
    ``scheduling_timeout``, ``cancel_on_kill``, ``collect_metrics``, ``max_cost_usd``,
    ``hfhub_conn_id``): see :class:`~airflow_provider_hfhub.operators.job_follow.HfJobFollowingOperator`.
    The result (XCom) is the Job's summary, with ``usage`` and ``cost_usd`` when known.
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
        attempts: int | None = None,
        expose: Sequence[int] | None = None,
        expose_public: Sequence[int] | None = None,
        network_group: str | None = None,
        network_aliases: Sequence[str] | None = None,
        resource_group_id: str | None = None,
        reattach_on_restart: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(namespace=namespace, **kwargs)
        self.image = image
        self.command = command
        self.env = env
        self.secrets = secrets
        self.flavor = flavor
        self.timeout = timeout
        self.labels = labels
        self.volumes = volumes
        self.name = name
        self.attempts = attempts
        self.expose = expose
        self.expose_public = expose_public
        self.network_group = network_group
        self.network_aliases = network_aliases
        self.resource_group_id = resource_group_id
        self.reattach_on_restart = reattach_on_restart
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
        check.check_run_options(**self._run_options())

    def _run_options(self) -> dict[str, Any]:
        """The official client's run options past the basics, as ``run_job`` takes them."""
        return {
            "attempts": self.attempts, "expose": self.expose, "expose_public": self.expose_public,
            "network_group": self.network_group, "network_aliases": self.network_aliases,
            "resource_group_id": self.resource_group_id,
        }  # fmt: skip

    def _check_flavor(self, hook: HfHubHook) -> None:
        """Known flavors pass at once; others are checked against the Hub's live list."""
        self._check_live_name(self.flavor, JOB_FLAVORS, hook.list_jobs_hardware, "flavor")

    # --- execution --------------------------------------------------------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        self._mask_secrets()
        self._check_arguments(rendered=True)
        hook = self.hook
        self._check_flavor(hook)
        if self.max_cost_usd is not None:  # the budget caps the create's timeout: its price first
            self._read_price(hook, self.flavor)
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
        return self._follow_started(context, job)

    def _job_env(self) -> dict[str, str]:
        """The Job's environment variables, as sent."""
        return check.check_env("env", self.env)

    def _submit(self, hook: HfHubHook, labels: dict[str, str], unique_labels: dict[str, str]) -> JobInfo:
        return hook.run_job(
            image=self.image, command=check.check_command(self.command), env=self._job_env(),
            secrets=self.secrets, flavor=self.flavor, timeout=self._capped_timeout(self.timeout), labels=labels,
            volumes=self.volumes, name=self.name, namespace=self.namespace, unique_labels=unique_labels,
            **self._run_options(),
        )  # fmt: skip


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
            timeout=self._capped_timeout(self.timeout), labels=labels, volumes=self.volumes, name=self.name,
            namespace=self.namespace, unique_labels=unique_labels, **self._run_options(),
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
