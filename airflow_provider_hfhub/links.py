"""Extra links: the Job's and the Space's page on the Hub, read from XCom.

The operators push the URL before they wait, so the link works while the task is deferred.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.common.compat.sdk import BaseOperatorLink, XCom

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
