"""A deferred Job task and a Space task in the Airflow UI: the log view, the links, the XCom summary.

The Job and the Space start together (one fixture) so their waits overlap; the Job is held RUNNING
by the fake Hub until the checks that need it deferred are done.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from airflow_provider_hfhub.links import HfJobLink, HfSpaceLink
from airflow_provider_hfhub.testing import FakeHub
from tests.e2e.deployment import AirflowApi
from tests.e2e.helpers import job_lines

from .browser import Browser

pytestmark = pytest.mark.timeout(180)

JOB_DAG, JOB_TASK = "e2e_job_deferred", "job"
SPACE_DAG, SPACE_TASK = "e2e_space_restart", "restart"


@dataclass
class Runs:
    job_run: str
    job: dict[str, Any]
    lines: list[str]
    space_run: str
    repo_id: str

    def job_page(self, tab: str = "") -> str:
        return f"/dags/{JOB_DAG}/runs/{self.job_run}/tasks/{JOB_TASK}{tab}"

    def space_page(self, tab: str = "") -> str:
        return f"/dags/{SPACE_DAG}/runs/{self.space_run}/tasks/{SPACE_TASK}{tab}"


@pytest.fixture(scope="module")
def runs(api: AirflowApi, ui_hub: FakeHub) -> Runs:
    lines = job_lines("ui", 5)
    ui_hub.add_job_scenario("ui-job", lines=lines, line_interval=0.1, hold=True)
    repo_id = f"{ui_hub.user}/ui-space"
    ui_hub.add_space(repo_id, stage="RUNNING", line_interval=0.2, build_seconds=2)
    job_run = api.trigger(JOB_DAG, {"scenario": "ui-job"})
    space_run = api.trigger(SPACE_DAG, {"repo_id": repo_id})
    api.wait_ti(JOB_DAG, job_run, JOB_TASK, "deferred", timeout=120)
    [job] = ui_hub.jobs()
    return Runs(job_run, job, lines, space_run, repo_id)


def _with_all(text: str, parts: list[str]) -> str | None:
    return text if all(part in text for part in parts) else None


def link_href(browser: Browser, name: str) -> str:
    return str(
        browser.element(f"the {name!r} link", f"//a[normalize-space(.)='{name}']").get_attribute("href")
    )


def test_the_log_view_shows_the_jobs_lines_while_deferred(
    browser: Browser, api: AirflowApi, runs: Runs
) -> None:
    browser.open(runs.job_page())
    # The page refetches the log of a deferred task on its own: no reload here.
    shown = browser.wait("every Job line in the log view", lambda: _with_all(browser.text(), runs.lines), 60)
    assert "Deferred" in shown
    assert api.ti(JOB_DAG, runs.job_run, JOB_TASK)["state"] == "deferred"  # held RUNNING by the fake Hub
    for line in runs.lines:
        assert shown.count(line) == 1, f"{line!r} is not shown once"
    browser.check("job-log-while-deferred")


def test_the_job_link_points_at_the_job_while_deferred(
    browser: Browser, api: AirflowApi, ui_hub: FakeHub, runs: Runs
) -> None:
    browser.open(runs.job_page("/details"))
    href = link_href(browser, HfJobLink.name)
    assert href == f"{ui_hub.url}/jobs/{ui_hub.user}/{runs.job['id']}"
    assert api.ti(JOB_DAG, runs.job_run, JOB_TASK)["state"] == "deferred"
    browser.check("job-link")


def test_the_xcom_tab_shows_the_jobs_summary(
    browser: Browser, api: AirflowApi, ui_hub: FakeHub, runs: Runs
) -> None:
    ui_hub.finish_job(runs.job["id"], "COMPLETED")
    api.wait_ti(JOB_DAG, runs.job_run, JOB_TASK, "success", timeout=90)
    browser.open(runs.job_page("/xcom"))
    row = browser.element("the return_value row", "//tr[.//td[normalize-space(.)='return_value']]")
    browser.click("Expand all", "//button[@aria-label='Expand all extra JSON']")
    summary = browser.wait(
        "the Job's summary", lambda: _with_all(browser.text(row), ['"stage": "COMPLETED"'])
    )
    compact = re.sub(r"\s+", "", summary)  # the editor wraps long lines
    assert f'"id":"{runs.job["id"]}"' in compact, summary
    assert f'"url":"{ui_hub.url}/jobs/{ui_hub.user}/{runs.job["id"]}"' in compact, summary
    assert ui_hub.token not in browser.text()
    browser.check("job-xcom-summary")


def test_the_space_link_points_at_the_space(
    browser: Browser, api: AirflowApi, ui_hub: FakeHub, runs: Runs
) -> None:
    api.wait_ti(SPACE_DAG, runs.space_run, SPACE_TASK, "success", timeout=120)
    browser.open(runs.space_page("/details"))
    assert link_href(browser, HfSpaceLink.name) == f"{ui_hub.url}/spaces/{runs.repo_id}"
    browser.check("space-link")
