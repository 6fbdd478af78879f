"""Headless Chromium for the report tests (Debian packages ``chromium`` and ``chromium-driver``).

A missing browser FAILS the test that asks for one (it is never skipped).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,2400",
)


def binary(*names: str) -> str:
    """The first of ``names`` on PATH; fail (never skip) when none is installed."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        f"none of {names} found on PATH: install the Debian packages with "
        "`apt-get install -y chromium chromium-driver` (the browser test must not be skipped)"
    )


def start_chrome(profile: Path) -> Any:
    """A headless Chromium driven by selenium, logging the browser console, with its own profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary("chromium", "chromium-browser")
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(
        options=options, service=Service(executable_path=binary("chromedriver"))
    )
