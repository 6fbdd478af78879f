"""Measure tasks on the page: the form takes the measured features, checked like the API's."""

from __future__ import annotations

import re

import numpy as np
import pytest

from netal.service.assign import SubmitError, check_features
from netal.service.tables import Assignment

CSRF = re.compile(r'name="csrf" value="([^"]*)"')
ERROR = re.compile(r'<p class="error" id="error">([^<]*)</p>')


def _page_session(client, svc, name: str) -> str:  # type: ignore[no-untyped-def]
    login = client.get("/ui/login")
    client.post(
        "/ui/login",
        data={"username": name, "password": svc.PASSWORD, "csrf": CSRF.search(login.text)[1]},
    )
    return CSRF.search(client.get("/ui/projects").text)[1]


def test_the_measure_form_reports_features_and_refuses_bad_ones(client, app, svc):
    walker = svc.add_user(app, "walker", "agent")
    project = svc.add_project(app, "drive", [walker], mode="measure")
    [task] = svc.add_tasks(app, project, 1, mode="measure")
    csrf = _page_session(client, svc, "walker")
    page = client.post(f"/ui/projects/{project}/next", data={"csrf": csrf})
    assert 'name="feature:rsrp"' in page.text and 'placeholder="-90"' in page.text
    url = f"/ui/projects/{project}/tasks/{task}/answer"
    for form, message in (
        ({"feature:rsrp": "loud"}, "feature 'rsrp' must be a number, got 'loud'"),
        ({"feature:rsrp": "inf"}, "feature 'rsrp' must be a finite number"),
        ({"feature:sinr": "3"}, "unknown features sinr; the task's are its 'features' keys"),
    ):
        bad = client.post(url, data={"csrf": csrf, "value": "55", **form})
        assert bad.status_code == 422
        assert ERROR.search(bad.text)[1].replace("&#39;", "'") == message
    done = client.post(
        url, data={"csrf": csrf, "value": "55", "cost": "12", "feature:rsrp": " -97.5 "}
    )
    assert done.status_code == 200 and "Answer recorded." in done.text
    with app.state.reader() as session:
        answer = session.query(Assignment).one()
    assert (answer.value, answer.cost, answer.features) == (55.0, 12.0, {"rsrp": -97.5})


def test_label_tasks_take_no_features_and_values_stay_in_the_pools_range():
    label = {"mode": "label", "features": {"rsrp": -90.0}}
    measure = {"mode": "measure", "features": {"rsrp": -90.0}}
    with pytest.raises(SubmitError, match="features apply to measure projects only"):
        check_features(label, {"rsrp": -91.0})
    check_features(label, None)
    bounds = {"rsrp": (-160.0, -20.0)}
    check_features(measure, {"rsrp": -140.0}, bounds)
    with pytest.raises(SubmitError, match="feature 'rsrp' = -90000 is far outside"):
        check_features(measure, {"rsrp": -90_000.0}, bounds)
    with pytest.raises(SubmitError, match="not a finite number"):
        check_features(measure, {"rsrp": np.nan})
