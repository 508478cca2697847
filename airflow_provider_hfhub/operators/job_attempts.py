"""Which Job a try of a Job task follows: an earlier try's, or a new one.

Airflow's own bookkeeping tells a retry from a clear. Clearing a task instance starts a new
*series* of tries: ``clear_task_instances`` sets ``max_tries = try_number + retries``
(``airflow/models/taskinstance.py`` in 3.1.8, 3.2.2 and 3.3.2), so the series' first try is
``max_tries - retries + 1``, the formula the task runner itself uses to find a sensor's first
try (``RuntimeTaskInstance.get_first_reschedule_date``). A retry keeps ``max_tries``. Within a
series every earlier try ended without recording success (success ends the series), hence:

* an earlier try's Job of this series that still runs is followed again;
* one that COMPLETED gives its outcome: its try died before it could record success;
* a failed one, and every Job of an earlier series, is left alone: a cleared task runs again.

Why not a "delivered" mark: the Hub can replace a Job's labels (``PUT /api/jobs/{ns}/{id}/labels``,
``HfApi.update_job_labels``), but that write could fail or race the worker's death after success;
a task's XComs are deleted at the start of every try, retry or clear alike (``xcom_keys_to_clear``
in the execution API's ``ti_run``); and 3.3's task state store survives a clear (apache/airflow
PR #72100 is open) and is off below 3.3. The store only names the Job; this rule judges it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_hfhub.hub.stages import JobStage
from airflow_provider_hfhub.operators.validation import LABEL_PREFIX

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_hfhub.hooks.hfhub import HfHubHook
    from airflow_provider_hfhub.hub import JobInfo

TRY_LABEL = f"{LABEL_PREFIX}try"
# Airflow 3.3's task state store keeps the Job across tries (survives a worker crash); the labels
# are the fallback on every version.
STATE_KEY = "hfhub_job"


def series_start(ti: Any, retries: int | None) -> int:
    """The first try number of the task instance's current series (a new run, or a clear)."""
    max_tries = getattr(ti, "max_tries", None)
    if not isinstance(max_tries, int) or max_tries < 0:
        return int(ti.try_number)  # unknown: treat this try as a first one (a new Job, never a stale one)
    return max(1, max_tries - (retries or 0) + 1)


def try_of(job: JobInfo) -> int | None:
    value = (job.labels or {}).get(TRY_LABEL, "")
    return int(value) if value.isdigit() else None


def earlier_job(
    hook: HfHubHook,
    context: Context,
    owner: Mapping[str, str],
    *,
    namespace: str | None,
    retries: int | None,
    log: Any,
) -> JobInfo | None:
    """The Job of an earlier try of this series worth following, if any (see the module rule)."""
    ti = context["ti"]
    tries = range(series_start(ti, retries), ti.try_number)
    if not tries:
        return None  # the first try of a run or of a clear: any earlier Job belongs to a finished series
    return _stored(hook, context, tries, log) or _labelled(hook, owner, namespace, tries, log)


def _worth(job: JobInfo, tries: range, source: str, log: Any) -> bool:
    if try_of(job) not in tries:
        return False
    if not job.stage.is_terminal:
        log.info("Re-attaching to Job %s (%s), still %s from try %s", job.id, source, job.stage, try_of(job))
        return True
    if job.stage is JobStage.COMPLETED:
        log.info("Job %s (%s) of try %s already completed: taking its outcome", job.id, source, try_of(job))
        return True
    return False  # it failed: this retry runs it again


def _stored(hook: HfHubHook, context: Context, tries: range, log: Any) -> JobInfo | None:
    """The Job an earlier try saved in the task state store (Airflow 3.3+), if worth following."""
    from airflow_provider_hfhub.hub import NotFoundError

    store = context.get("task_state_store")
    saved = store.get(STATE_KEY) if store is not None else None
    if not isinstance(saved, dict) or not saved.get("id"):
        return None
    namespace = saved.get("namespace")
    try:
        job = hook.inspect_job(job_id=str(saved["id"]), namespace=str(namespace) if namespace else None)
    except NotFoundError:
        return None
    return job if _worth(job, tries, "task state store", log) else None


def _labelled(
    hook: HfHubHook, owner: Mapping[str, str], namespace: str | None, tries: range, log: Any
) -> JobInfo | None:
    """This task instance's Job from an earlier try of the series, found by its labels."""
    jobs = sorted(
        hook.list_jobs(labels=owner, namespace=namespace),
        key=lambda job: job.created_at.timestamp() if job.created_at else 0.0,
        reverse=True,
    )
    running = [job for job in jobs if not job.stage.is_terminal]
    done = [job for job in jobs if job.stage is JobStage.COMPLETED]
    return next((job for job in running + done if _worth(job, tries, "labels", log)), None)


def remember(context: Context, job: JobInfo) -> None:
    store = context.get("task_state_store")
    if store is not None:
        store.set(STATE_KEY, {"id": job.id, "namespace": job.owner.name})
