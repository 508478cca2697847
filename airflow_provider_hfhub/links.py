"""Extra links: the Job's and the Space's page on the Hub, read from XCom.

The operators push the URL before they wait, so the link works while the task is deferred.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperatorLink, XCom

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_hfhub.hooks.hfhub import HfHubHook
    from airflow_provider_hfhub.hub import JobInfo

JOB_URL_KEY = "job_url"
SPACE_URL_KEY = "space_url"


class HfJobLink(BaseOperatorLink):
    """The Hub Job's page."""

    name = "Hugging Face Job"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        return XCom.get_value(key=JOB_URL_KEY, ti_key=ti_key) or ""


class HfSpaceLink(BaseOperatorLink):
    """The Space's page."""

    name = "Hugging Face Space"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        return XCom.get_value(key=SPACE_URL_KEY, ti_key=ti_key) or ""


class JobLinked:
    """A task about one existing Job (cancel, sense): its id and namespace templated, its page linked."""

    template_fields: Collection[str] = ("job_id", "namespace")
    operator_extra_links: Collection[BaseOperatorLink] = (HfJobLink(),)
    job_id: str
    namespace: str | None

    def _inspect_job(self, hook: HfHubHook, context: Context) -> JobInfo:
        """The Job as it is now; its page's URL goes to XCom at once, for the link."""
        job = hook.inspect_job(job_id=self.job_id, namespace=self.namespace)
        context["ti"].xcom_push(key=JOB_URL_KEY, value=job.url)
        return job
