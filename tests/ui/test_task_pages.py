"""A deferred Job task and a Space task in the Airflow UI: the log view, the links, the XCom summary.

Both runs start with the session (conftest.py's ``task_runs``), so their waits overlap the connection
checks; the Job is held RUNNING by the fake Hub until the checks that need it deferred are done.
"""

from __future__ import annotations

import re

import pytest

from airflow_provider_hfhub.testing import FakeHub
from tests.e2e.deployment import AirflowApi

from .browser import Browser
from .conftest import JOB_DAG, JOB_TASK, SPACE_DAG, SPACE_TASK, Runs

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def runs(api: AirflowApi, ui_hub: FakeHub, task_runs: Runs) -> Runs:
    api.wait_ti(JOB_DAG, task_runs.job_run, JOB_TASK, "deferred", timeout=120)
    [task_runs.job] = ui_hub.jobs()
    return task_runs


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
    href = link_href(browser, "Hugging Face Job")  # the button the README promises
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
    assert link_href(browser, "Hugging Face Space") == f"{ui_hub.url}/spaces/{runs.repo_id}"
    browser.check("space-link")
