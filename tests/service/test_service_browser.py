"""The service's pages in headless Chromium against `netal serve` (a real uvicorn server).

An admin watches the dashboard, an annotator logs in and works through verify
tasks with the keyboard only (v accepts, a value and Enter corrects, s skips),
and the dashboard's numbers change: answers, labels spent, a new model version
on the learning curve.  Needs the Debian packages ``chromium`` and
``chromium-driver``; the test FAILS (never skips) when they are missing.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

# the report tests' Chromium helper (tests/report/_chrome.py): one place that finds the driver
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
from _chrome import start_chrome

ADMIN_PASSWORD = "admin-secret-1"
PASSWORD = "annotator-secret"
PROJECT = {
    "name": "walk",
    "dataset": "twin",
    "twin_rows": 400,
    "learner": "bagging_committee",
    "learner_params": {"n_members": 4},
    "strategy": "max_variance",
    "n_initial": 12,
    "batch_size": 4,
    "budget_labels": 12,
    "retrain_every": 4,
    "mode": "verify",
}


@pytest.fixture
def server(tmp_path: Path, svc) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """`netal serve` on a free port with an admin ``root``; its base URL."""
    with svc.netal_serve(tmp_path, ADMIN_PASSWORD) as url:
        yield url


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = start_chrome(tmp_path / "chrome-profile")
    try:
        yield driver
    finally:
        driver.quit()


def _setup(url: str) -> tuple[int, dict[str, str]]:
    """A verify project with members ann and bob; its id and bob's API headers."""
    with httpx.Client(base_url=url, timeout=30) as http:
        token = http.post("/token", data={"username": "root", "password": ADMIN_PASSWORD})
        admin = {"Authorization": f"Bearer {token.json()['access_token']}"}
        created = http.post("/projects", headers=admin, json=PROJECT)
        assert created.status_code == 201, created.text
        project = created.json()["id"]
        for name in ("ann", "bob"):
            user = http.post(
                "/users",
                headers=admin,
                json={"name": name, "password": PASSWORD, "role": "annotator"},
            )
            assert user.status_code == 201, user.text
            http.post(f"/projects/{project}/members", headers=admin, json={"user": name})
        deadline = time.monotonic() + 120
        while (body := http.get(f"/projects/{project}", headers=admin).json())[
            "status"
        ] != "running":
            assert body["status"] != "failed", body["message"]
            assert time.monotonic() < deadline, "the project did not start"
            time.sleep(0.3)
        bob = http.post("/token", data={"username": "bob", "password": PASSWORD}).json()
    return project, {"Authorization": f"Bearer {bob['access_token']}"}


def _wait(browser: Any, condition: Any, timeout: float = 60.0) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout, poll_frequency=0.2).until(condition)


def _replaced(old: Any) -> Any:
    """A wait condition: ``old`` left the page (the next page replaced it).

    Selenium's ``staleness_of`` knows only ``StaleElementReferenceException``;
    chromedriver also answers "node ... does not belong to the document" for a
    node of a page that was just replaced, which means the same.
    """
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    def left(_: Any) -> bool:
        try:
            old.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc.msg):
                return True
            raise
        return False

    return left


def _text(browser: Any, element_id: str) -> str:
    return browser.execute_script(
        "var e = document.getElementById(arguments[0]); return e ? e.textContent.trim() : null;",
        element_id,
    )


def _press(browser: Any, keys: str) -> None:
    """Type ``keys`` into the focused element and wait for the next page."""

    old = browser.find_element("tag name", "html")
    browser.switch_to.active_element.send_keys(keys)
    _wait(browser, _replaced(old))
    _wait(browser, lambda b: b.execute_script("return document.readyState") == "complete")


def _log_in(browser: Any, url: str, name: str, password: str) -> None:
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{url}/ui/projects")
    assert "/ui/login" in browser.current_url  # sent to the log-in page first
    browser.find_element("id", "username").send_keys(name)
    browser.find_element("id", "password").send_keys(password)
    _press(browser, Keys.ENTER)
    assert browser.current_url.endswith("/ui/projects"), browser.current_url


def _log_out(browser: Any) -> None:
    old = browser.find_element("tag name", "html")
    browser.find_element("css selector", "form[action='/ui/logout'] button").click()

    _wait(browser, _replaced(old))


def _task_page(browser: Any) -> str:
    """Press n until a task is on the page (the engine refills the queue in the background)."""
    deadline = time.monotonic() + 90
    while _text(browser, "task") is None:
        assert time.monotonic() < deadline, "no task came"
        if _text(browser, "message") and "No task" in _text(browser, "message"):
            time.sleep(0.5)
        _press(browser, "n")
    return browser.find_element("id", "task").get_attribute("data-task")


@pytest.mark.slow
def test_log_in_annotate_with_the_keyboard_and_watch_the_dashboard(server, browser, tmp_path):
    from selenium.webdriver.common.keys import Keys

    url = server
    project, bob = _setup(url)

    # the admin's dashboard before any answer
    _log_in(browser, url, "root", ADMIN_PASSWORD)
    browser.get(f"{url}/ui/projects/{project}/dashboard")
    assert _text(browser, "q-answers") == "0" and _text(browser, "spent") == "0"
    assert _text(browser, "version") == "0"
    assert len(browser.find_elements("css selector", "#curve-table tbody tr")) == 1
    # an answer elsewhere (bob, through the API) shows up without a reload
    with httpx.Client(base_url=url, timeout=30) as http:
        task = http.post(f"/projects/{project}/tasks/next", headers=bob).json()
        http.post(
            f"/projects/{project}/tasks/{task['task_id']}/answer",
            headers=bob,
            json={"accept": True},
        )
    _wait(browser, lambda b: _text(b, "q-answers") == "1")
    assert browser.execute_script("return document.getElementById('live').dataset.updated")
    _log_out(browser)

    # ann works through tasks with the keyboard only
    _log_in(browser, url, "ann", PASSWORD)
    browser.find_element("link text", "annotate").click()
    _wait(browser, lambda b: _text(b, "next-form") is not None)
    _task_page(browser)
    assert browser.find_elements("css selector", "svg#map circle#here")  # the twin's place
    assert re.fullmatch(r"\((9|10):\d\d left\)", _text(browser, "lease-left"))  # of 600 s
    assert browser.find_element("id", "prediction").text
    assert browser.find_element("id", "features").find_elements("tag name", "tr")
    for keys, words in (
        ("v", "Answer recorded."),
        ("123.5" + Keys.ENTER, "Answer recorded."),
        ("s", "Task skipped"),
        ("v", "Answer recorded."),
        ("v", "Answer recorded."),
    ):
        _task_page(browser)
        _press(browser, keys)
        assert words in (_text(browser, "message") or ""), (keys, _text(browser, "error"))
    assert _text(browser, "answered") == "4"
    assert browser.find_elements("css selector", "svg#map circle.stop")  # her route so far
    assert browser.save_screenshot(str(tmp_path / "annotate.png"))
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(r => r.name)"
    )
    assert resources and all(r.startswith(url) for r in resources), resources
    _log_out(browser)

    # the dashboard has changed: 5 answers, 1 skip, a new model version on the curve
    _log_in(browser, url, "root", ADMIN_PASSWORD)
    browser.get(f"{url}/ui/projects/{project}/dashboard")
    _wait(browser, lambda b: _text(b, "version") == "1")
    assert _text(browser, "q-answers") == "5" and _text(browser, "q-skipped") == "1"
    assert int(_text(browser, "spent")) >= 4
    assert len(browser.find_elements("css selector", "#curve-table tbody tr")) >= 2
    assert browser.find_elements("css selector", "svg#curve polyline")
    rows = {
        r.get_attribute("data-user"): r.find_element("class name", "answers").text
        for r in browser.find_elements("css selector", "#annotators tbody tr")
    }
    assert rows == {"ann": "4", "bob": "1"}
    assert browser.save_screenshot(str(tmp_path / "dashboard.png"))


@pytest.mark.slow
def test_an_admin_creates_a_project_from_the_form_with_a_csv(server, browser, tmp_path):
    """The new-project form in Chromium: a bad setting is one line, a CSV upload starts a project."""
    import numpy as np
    import pandas as pd
    from selenium.webdriver.support.ui import Select

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"rsrp": rng.normal(-90, 5, 400), "sinr": rng.normal(10, 3, 400)})
    table["mbps"] = 3 * table["sinr"] + rng.normal(0, 1, 400)
    csv = tmp_path / "drive.csv"
    table.to_csv(csv, index=False)
    url = server
    _log_in(browser, url, "root", ADMIN_PASSWORD)
    browser.find_element("id", "new-project-link").click()
    _wait(browser, lambda b: b.find_elements("id", "new-project"))

    def fill(values: dict[str, str]) -> None:
        for field, value in values.items():
            element = browser.find_element("id", field)
            if element.tag_name == "select":
                Select(element).select_by_value(value)
            else:
                element.clear()
                element.send_keys(value)

    fill({"name": "drive", "dataset": "upload", "target_column": "mbps", "learner":
          "bagging_committee", "strategy": "max_variance", "n_initial": "12", "batch_size": "4",
          "budget_labels": "8", "retrain_every": "4", "overlap": "2", "n_gold": "30"})  # fmt: skip
    browser.find_element("id", "table").send_keys(str(csv))
    old = browser.find_element("tag name", "html")
    browser.find_element("id", "create").click()

    _wait(browser, _replaced(old))
    assert _text(browser, "error") == "n_gold (30) must not exceed n_initial (12)"
    assert browser.find_element("id", "overlap").get_attribute("value") == "2"  # kept
    fill({"n_gold": "2"})
    browser.find_element("id", "table").send_keys(str(csv))  # a file input is never refilled
    old = browser.find_element("tag name", "html")
    browser.find_element("id", "create").click()
    _wait(browser, _replaced(old))
    assert "/dashboard" in browser.current_url, _text(browser, "error")
    assert _text(browser, "message") == "Project created; its engine is starting."
    deadline = time.monotonic() + 120
    while _text(browser, "status") != "running":
        assert _text(browser, "status") != "failed", _text(browser, "status-message")
        assert time.monotonic() < deadline, "the project did not start"
        time.sleep(1)
        browser.refresh()
    assert browser.save_screenshot(str(tmp_path / "new-project.png"))
