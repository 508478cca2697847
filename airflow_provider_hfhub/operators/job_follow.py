"""Following a Job a task started, to its end: what ``HfRunJobOperator`` and ``HfTriggerScheduledJobOperator`` share.

However the Job came to be (created, or a scheduled Job run now), the task announces it (XCom,
link), waits for it here or on the triggerer, reports its usage and cost, and cancels it when the
task ends without success. Cheap to import: the hook, httpx and the trigger load only when a task runs.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import AirflowException, conf

from airflow_provider_hfhub.links import JOB_URL_KEY, HfJobLink
from airflow_provider_hfhub.operators import job_attempts as attempts
from airflow_provider_hfhub.operators import validation as check
from airflow_provider_hfhub.operators.base import HfWatchingOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_hfhub.hooks.hfhub import HfHubHook
    from airflow_provider_hfhub.hub import JobInfo

# What a Job may run for when its create sets no timeout: "the default timeout is set to 30 minutes"
# (https://huggingface.co/docs/hub/jobs-pricing, "Set timeout limits"). A budget caps it only when tighter.
HUB_DEFAULT_TIMEOUT_SECONDS = 30 * 60


class JobError(AirflowException):
    """The Hub Job did not end well; the message says how, with its last log lines."""


class HfJobFollowingOperator(HfWatchingOperator):
    """A task that follows one Hub Job to its end (subclasses start it).

    :param namespace: user or org of the Job (default: the connection's, else the token's user).
    :param wait_for_completion: False returns once the Job is started.
    :param deferrable: wait on the triggerer instead of holding a worker slot.
    :param stream_logs: forward the Job's log into the task log.
    :param poll_interval: seconds between backstop stage checks.
    :param scheduling_timeout: fail (and cancel the Job) when it waits longer than this for hardware.
    :param cancel_on_kill: cancel the Job when the task is killed or times out.
    :param collect_metrics: follow the Job's metrics beside its log; the result's ``usage`` sums them
        up (peak and mean CPU, memory, each GPU, network) and the task log warns about idle GPUs.
        False sends no metrics request at all.
    :param max_cost_usd: a budget: once the Job's running cost (the flavor's price, every started
        minute billed) reaches it, the Job is cancelled and the task fails saying so. It also caps
        the Job's ``timeout`` when that is tighter.
    :param hfhub_conn_id: the Airflow connection to the Hub.
    """

    operator_extra_links = (HfJobLink(),)
    error_class = JobError

    def __init__(
        self,
        *,
        namespace: str | None = None,
        wait_for_completion: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        stream_logs: bool = True,
        poll_interval: float = 60.0,
        scheduling_timeout: float | None = None,
        cancel_on_kill: bool = True,
        collect_metrics: bool = True,
        max_cost_usd: float | None = None,
        hfhub_conn_id: str = "hfhub_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            deferrable=deferrable, stream_logs=stream_logs, poll_interval=poll_interval,
            hfhub_conn_id=hfhub_conn_id, **kwargs,
        )  # fmt: skip
        self.namespace = namespace
        self.wait_for_completion = wait_for_completion
        self.scheduling_timeout = scheduling_timeout
        self.cancel_on_kill = cancel_on_kill
        self.collect_metrics = check.check_flag("collect_metrics", collect_metrics)
        self.max_cost_usd = check.check_budget(max_cost_usd)
        self.job_id: str | None = None
        self.job_namespace: str | None = None
        self.price_per_minute: float | None = None
        self._cancelled: str | None = None
        if scheduling_timeout is not None and scheduling_timeout <= 0:
            raise ValueError(f"scheduling_timeout must be positive seconds, got {scheduling_timeout!r}")

    # --- price and budget (before the Job starts) -------------------------------------------------

    def _read_price(self, hook: HfHubHook, flavor: str) -> float | None:
        """The flavor's price of a billed minute (the hardware list, read once per client), or None.

        Unknown only costs the ``cost_usd`` line, unless there is a budget: then nothing may start.
        """
        from airflow_provider_hfhub.hub.cost import price_per_minute

        try:
            price = price_per_minute(hook.job_hardware(flavor))
        except Exception as exc:
            if self.max_cost_usd is not None:
                raise JobError(
                    f"max_cost_usd needs {flavor}'s price, and the Hub's hardware list failed: {exc}"
                ) from exc
            self.log.warning("Could not read the price of %s (%s): no cost_usd", flavor, exc)
            return None
        if price is None and self.max_cost_usd is not None:
            raise JobError(
                f"max_cost_usd is set, but the Hub's hardware list gives no price for {flavor}: "
                "the budget could not be enforced. Remove max_cost_usd or pick a listed flavor."
            )
        self.price_per_minute = price
        return price

    def _capped_timeout(self, timeout: int | float | str | None) -> int | float | str | None:
        """The Job's ``timeout``, capped to what ``max_cost_usd`` pays for when that is tighter."""
        from airflow_provider_hfhub.hub.calls import parse_timeout
        from airflow_provider_hfhub.hub.cost import Budget

        if self.max_cost_usd is None or self.price_per_minute is None:
            return timeout
        cap = Budget(self.max_cost_usd, self.price_per_minute).timeout_seconds()
        current = parse_timeout(timeout) or HUB_DEFAULT_TIMEOUT_SECONDS
        if cap is None or cap >= current:
            return timeout
        self.log.info(
            "max_cost_usd=$%g pays for %d min at $%.6f/min: the Job's timeout is capped to %d s (was %s)",
            self.max_cost_usd, cap // 60, self.price_per_minute, cap,
            f"{current} s" if timeout else f"the Hub's default, {current} s",
        )  # fmt: skip
        return cap

    # --- following -------------------------------------------------------------------------------

    def _follow_started(self, context: Context, job: JobInfo) -> dict[str, Any]:
        """Follow a Job this task started; whatever fails on the way cancels it."""
        self.job_id, self.job_namespace = job.id, job.owner.name
        try:
            if self.price_per_minute is None and job.flavor:  # for cost_usd; a budget read it before
                self._read_price(self.hook, job.flavor)
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
        self.log.info("Hub Job %s (%s, %s): %s", job.id, job.flavor, job.stage, job.url)
        if not self.wait_for_completion:
            from airflow_provider_hfhub.triggers.events import job_summary

            return job_summary(job)
        deadline = self._deadline(context)
        if self.deferrable and not job.stage.is_terminal:
            self._defer(job, deadline)
        return self.execute_complete(context, self._watch_here(job, deadline))

    def _watch(self, job: JobInfo, deadline: float | None) -> Any:
        from airflow_provider_hfhub.triggers.job_watch import JobWatch

        return JobWatch(
            job_id=job.id, namespace=job.owner.name, stream_logs=self.stream_logs,
            poll_interval=self.poll_interval, scheduling_timeout=self.scheduling_timeout,
            execution_deadline=deadline, collect_metrics=self.collect_metrics,
            price_per_minute=self.price_per_minute, max_cost_usd=self.max_cost_usd,
        )  # fmt: skip

    def _watch_here(self, job: JobInfo, deadline: float | None) -> dict[str, Any]:
        """The sync path: the trigger's own watch loop, run in this worker."""
        from airflow_provider_hfhub.triggers.job_watch import watch_job

        return self._run_watch(lambda hook: watch_job(hook, self._watch(job, deadline), self.log))

    def _defer(self, job: JobInfo, deadline: float | None) -> None:
        import dataclasses

        from airflow_provider_hfhub.triggers.jobs import HfJobTrigger

        trigger = HfJobTrigger(
            **dataclasses.asdict(self._watch(job, deadline)), hfhub_conn_id=self.hfhub_conn_id,
            deferred_at=time.time(), cancel_on_kill=self.cancel_on_kill, sealed_secrets=self._sealed_secrets(),
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
        from airflow_provider_hfhub.triggers.usage import report

        job = event.get("job") or {}
        # A resumed task is a fresh operator: the Job comes from the event, never from memory.
        self.job_id = job.get("id") or event.get("job_id") or self.job_id
        self.job_namespace = job.get("namespace") or event.get("namespace") or self.job_namespace
        report(self.log, job)
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
