"""Debian's headless Chromium driven through its chromedriver by Selenium, for the browser tests.

Nothing is downloaded: the browser and its driver are the system's (``apt-get install chromium
chromium-driver``), so their versions always match.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

CHROMIUM = os.environ.get("HFHUB_UI_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HFHUB_UI_CHROMEDRIVER", "/usr/bin/chromedriver")
T = TypeVar("T")


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    absent = [path for path in (CHROMIUM, CHROMEDRIVER) if not shutil.which(path)]
    if absent:
        return f"{' and '.join(absent)} not found (as root: apt-get install chromium chromium-driver)"
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


class Browser:
    """One headless Chromium window on the Airflow UI, with screenshots into ``shots``."""

    def __init__(self, base_url: str, shots: Path, every_check: bool = False) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--window-size=1400,1000",
        ):
            options.add_argument(argument)
        self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        self.base_url = base_url
        self.shots = shots
        self.every_check = every_check

    def quit(self) -> None:
        self.driver.quit()

    def open(self, path: str) -> None:
        self.driver.get(f"{self.base_url}{path}")

    def wait(self, what: str, probe: Callable[[], T | None], timeout: float = 20) -> T:
        """Call ``probe`` until it returns something truthy (the page renders and refetches on its own)."""
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
        from selenium.webdriver.support.wait import WebDriverWait

        ignored = (NoSuchElementException, StaleElementReferenceException, AssertionError)
        wait = WebDriverWait(self.driver, timeout, poll_frequency=0.25, ignored_exceptions=ignored)
        return wait.until(lambda _: probe(), message=f"waiting {timeout:g} s for {what}")

    def find(self, xpath: str, within: Any = None) -> Any:
        """The first element at ``xpath``, once it is there (raises NoSuchElement inside ``wait``)."""
        from selenium.webdriver.common.by import By

        return (within or self.driver).find_element(By.XPATH, xpath)

    def element(self, what: str, xpath: str, within: Any = None, timeout: float = 20) -> Any:
        return self.wait(what, lambda: self.find(xpath, within), timeout)

    def click(self, what: str, xpath: str, within: Any = None) -> None:
        self.element(what, xpath, within).click()

    def text(self, within: Any = None) -> str:
        return str((within or self.find("//body")).text)

    def shot(self, name: str) -> Path:
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        self.driver.save_screenshot(str(path))
        return path

    def check(self, name: str) -> None:
        """A check passed: its screenshot, when a reviewer asked for them (``make ui-shots``)."""
        if self.every_check:
            self.shot(name)
