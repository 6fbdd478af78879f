"""Creating a project from the pages: the form, its checks (one line each), a CSV upload."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netal.service.tables import Project

CSRF = re.compile(r'name="csrf" value="([^"]*)"')
ERROR = re.compile(r'<p class="error" id="error">([^<]*)</p>')


def _admin_csrf(client, app, svc) -> str:  # type: ignore[no-untyped-def]
    svc.add_user(app, "root", "admin")
    login = client.get("/ui/login")
    client.post(
        "/ui/login",
        data={"username": "root", "password": svc.PASSWORD, "csrf": CSRF.search(login.text)[1]},
    )
    return CSRF.search(client.get("/ui/projects/new").text)[1]


FORM = {"name": "walk", "dataset": "twin", "learner": "bagging_committee", "twin_rows": "400",
        "strategy": "max_variance", "mode": "label", "target": "numeric", "n_initial": "12",
        "batch_size": "4", "budget_labels": "8", "retrain_every": "4", "overlap": "2",
        "n_gold": "2", "gold_rate": "0.1"}  # fmt: skip


def _error(response) -> str:  # type: ignore[no-untyped-def]
    found = ERROR.search(response.text)
    assert found, response.text[:3000]
    return found[1].replace("&#39;", "'")


def test_an_admin_creates_a_project_from_the_form(client, app, svc):
    csrf = _admin_csrf(client, app, svc)
    page = client.get("/ui/projects/new")
    assert page.status_code == 200 and 'value="mc_dropout_classifier"' in page.text
    assert 'value="entropy"' in page.text and 'value="sutd5g"' in page.text
    response = client.post("/ui/projects/new", data={**FORM, "csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303, _error(response)
    assert response.headers["location"] == "/ui/projects/1/dashboard?m=created"
    with app.state.reader() as session:
        project = session.get(Project, 1)
        assert project.status == "starting"
        config = project.config
    assert config["overlap"] == 2 and config["gold_rate"] == 0.1 and config["twin_rows"] == 400
    assert config["learner"] == "bagging_committee" and config["budget_labels"] == 8


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"overlap": "0"}, 422, "overlap: Input should be greater than or equal to 1"),
        ({"name": "bad name"}, 422, "name: String should match pattern"),
        ({"learner": "nope"}, 422, "unknown learner 'nope'"),
        ({"n_gold": "20"}, 422, "n_gold (20) must not exceed n_initial (12)"),
        ({"gold_rate": "lots"}, 422, "gold_rate: Input should be a valid number"),
        ({"dataset": "upload"}, 422, "table: choose a CSV file to upload"),
    ],
)
def test_a_bad_setting_is_one_line_and_the_form_keeps_its_values(
    client, app, svc, changes, status, message
):
    csrf = _admin_csrf(client, app, svc)
    response = client.post("/ui/projects/new", data={**FORM, **changes, "csrf": csrf})
    assert response.status_code == status
    assert _error(response).startswith(message)
    assert 'value="400"' in response.text  # twin_rows kept
    with app.state.reader() as session:
        assert session.query(Project).count() == 0


def test_csrf_admins_and_a_taken_name(client, app, svc):
    csrf = _admin_csrf(client, app, svc)
    assert client.post("/ui/projects/new", data={**FORM, "csrf": "x"}).status_code == 403
    with app.state.reader() as session:
        assert session.query(Project).count() == 0
    client.post("/ui/projects/new", data={**FORM, "csrf": csrf})
    again = client.post("/ui/projects/new", data={**FORM, "csrf": csrf})
    assert again.status_code == 409 and _error(again) == "project 'walk' exists"
    svc.add_user(app, "ann", "annotator")
    client.post("/ui/logout", data={"csrf": csrf})
    login = client.get("/ui/login")
    client.post(
        "/ui/login",
        data={"username": "ann", "password": svc.PASSWORD, "csrf": CSRF.search(login.text)[1]},
    )
    assert client.get("/ui/projects/new").status_code == 403


def test_a_csv_upload_becomes_the_pool(client, app, svc, tmp_path: Path):
    csrf = _admin_csrf(client, app, svc)
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"rsrp": rng.normal(-90, 5, 300), "sinr": rng.normal(10, 3, 300)})
    table["mbps"] = 3 * table["sinr"] + rng.normal(0, 1, 300)
    path = tmp_path / "my drive.csv"
    table.to_csv(path, index=False)
    form = {**FORM, "dataset": "upload", "csrf": csrf}
    with path.open("rb") as file:
        missing = client.post(
            "/ui/projects/new",
            data={**form, "target_column": "dl"},
            files={"table": ("my drive.csv", file, "text/csv")},
        )
    assert missing.status_code == 422
    assert _error(missing) == "file 'my drive.csv' has no column 'dl' (columns: rsrp, sinr, mbps)"
    with path.open("rb") as file:
        created = client.post(
            "/ui/projects/new",
            data={**form, "target_column": "mbps"},
            files={"table": ("my drive.csv", file, "text/csv")},
            follow_redirects=False,
        )
    assert created.status_code == 303, _error(created)
    with app.state.reader() as session:
        config = session.query(Project).one().config
    assert config["dataset"] == "my_drive"
    assert config["dataset_options"]["target"] == "mbps"
    saved = Path(config["dataset_options"]["path"])
    assert saved.parent == app.state.state_dir / "uploads"
    pd.testing.assert_frame_equal(pd.read_csv(saved), pd.read_csv(path))
    with (tmp_path / "bin.csv").open("wb") as file:
        file.write(b"\x00\xff\xfe" * 10)
    with (tmp_path / "bin.csv").open("rb") as file:
        broken = client.post(
            "/ui/projects/new",
            data={**form, "target_column": "mbps", "name": "b"},
            files={"table": ("bin.csv", file, "text/csv")},
        )
    assert broken.status_code == 422 and _error(broken).startswith("file 'bin.csv'")
