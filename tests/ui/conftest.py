"""The browser tests: the provider in the Airflow UI, in Debian's headless Chromium.

One Airflow deployment (tests/e2e/deployment.py, with the connection Test button enabled) and one
browser for the session. Where Chromium or chromedriver is missing the tests are skipped, and the
session's summary says so loudly: skipped is not passed. A failing test's screenshot is saved and its
path printed in the report; with ``HFHUB_UI_SHOTS=<dir>`` (``make ui-shots``) every check saves one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_hfhub.testing import FakeHub
from tests.e2e.deployment import AirflowApi, AirflowDeployment, running
from tests.e2e.helpers import job_lines

from .browser import Browser, missing

UI_DIR = Path(__file__).resolve().parent
SHOTS_ENV = "HFHUB_UI_SHOTS"
_not_run: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ui: browser tests of the Airflow UI (Debian's Chromium)")
    config.addinivalue_line("markers", "e2e: end-to-end scenarios on a real Airflow deployment")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if UI_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.ui)
            item.add_marker(pytest.mark.e2e)  # a real deployment too: ``-m "not e2e"`` leaves them out


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _not_run:
        terminalreporter.write_sep("!", "BROWSER TESTS NOT RUN", red=True, bold=True)
        terminalreporter.write_line(f"tests/ui did not run: {_not_run[0]}", red=True, bold=True)


class UiDeployment(AirflowDeployment):
    """The e2e deployment with the connection form's Test button on (Airflow has it off by default)."""

    def _base_env(self) -> dict[str, str]:
        env = super()._base_env()
        env["AIRFLOW__CORE__TEST_CONNECTION"] = "Enabled"
        return env


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get(SHOTS_ENV)
    return Path(chosen).resolve() if chosen else tmp_path_factory.getbasetemp() / "ui-shots"


@pytest.fixture(scope="session")
def chromium() -> None:
    reason = missing()
    if reason:
        _not_run.append(reason)
        pytest.skip(f"browser tests not run: {reason}")


@pytest.fixture(scope="session")
def airflow_ui(chromium: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowDeployment]:
    """The session's Airflow; stopped (every process group, by id) even if a test fails."""
    with running(UiDeployment(tmp_path_factory.mktemp("airflow-ui")), "ui") as deployment:
        yield deployment


@pytest.fixture(scope="session")
def session_browser(airflow_ui: AirflowDeployment, shots_dir: Path) -> Iterator[Browser]:
    browser = Browser(airflow_ui.api.base_url, shots_dir, every_check=bool(os.environ.get(SHOTS_ENV)))
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
def browser(session_browser: Browser) -> Browser:
    return session_browser


@pytest.fixture(scope="session")
def api(airflow_ui: AirflowDeployment) -> AirflowApi:
    return airflow_ui.api


@pytest.fixture(scope="session")
def ui_hub(airflow_ui: AirflowDeployment) -> Iterator[FakeHub]:
    handle = FakeHub(airflow_ui.hub_url, token=airflow_ui.token)
    handle.reset()
    try:
        yield handle
    finally:
        handle.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    browser = getattr(item, "funcargs", {}).get("browser")
    if report.failed and report.when == "call" and isinstance(browser, Browser):
        try:
            path = browser.shot(f"FAILED-{item.name}")
            report.sections.append(("UI screenshot", f"the page at the failure: {path}"))
        except Exception as exc:  # the browser itself may be what failed
            report.sections.append(("UI screenshot", f"none could be taken: {exc!r}"))
    return report


JOB_DAG, JOB_TASK = "e2e_job_deferred", "job"
SPACE_DAG, SPACE_TASK = "e2e_space_restart", "restart"


@dataclass
class Runs:
    """The Job run (held RUNNING) and the Space run the task-page checks look at."""

    job_run: str
    lines: list[str]
    space_run: str
    repo_id: str
    job: dict[str, Any] = field(default_factory=dict)  # the Hub's Job, once the task deferred

    def job_page(self, tab: str = "") -> str:
        return f"/dags/{JOB_DAG}/runs/{self.job_run}/tasks/{JOB_TASK}{tab}"

    def space_page(self, tab: str = "") -> str:
        return f"/dags/{SPACE_DAG}/runs/{self.space_run}/tasks/{SPACE_TASK}{tab}"


@pytest.fixture(scope="session", autouse=True)
def task_runs(api: AirflowApi, ui_hub: FakeHub) -> Runs:
    """Start the runs first, so that Airflow schedules them while the connection checks go on."""
    lines = job_lines("ui", 5)
    ui_hub.add_job_scenario("ui-job", lines=lines, line_interval=0.1, hold=True)
    repo_id = f"{ui_hub.user}/ui-space"
    ui_hub.add_space(repo_id, stage="RUNNING", line_interval=0.2, build_seconds=2)
    job_run = api.trigger(JOB_DAG, {"scenario": "ui-job"})
    space_run = api.trigger(SPACE_DAG, {"repo_id": repo_id})
    return Runs(job_run, lines, space_run, repo_id)
