"""The service's web pages through TestClient: log-in, CSRF, who sees what, the forms' effects."""

from __future__ import annotations

import re

import krippendorff
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from netal.service import create_app
from netal.service.tables import Assignment, Token

CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found and found.group(1), html[:2000]
    return found.group(1)


def _log_in(client, name: str, password: str, next_path: str = "") -> object:  # type: ignore[no-untyped-def]
    page = client.get("/ui/login")
    return client.post(
        "/ui/login",
        data={"username": name, "password": password, "csrf": _csrf(page.text), "next": next_path},
        follow_redirects=False,
    )


def _page_session(client, svc, name: str) -> str:  # type: ignore[no-untyped-def]
    """Log ``name`` in through the form; the CSRF token of their pages."""
    response = _log_in(client, name, svc.PASSWORD)
    assert response.status_code == 303, response.text
    return _csrf(client.get("/ui/projects").text)


def _assignments(app) -> list[tuple[int, int, str, float | None]]:  # type: ignore[no-untyped-def]
    with app.state.reader() as session:
        return [
            (a.task_id, a.user_id, a.status, a.value)
            for a in session.scalars(select(Assignment).order_by(Assignment.id))
        ]


def test_pages_send_strangers_to_the_login_and_back(client, app, svc):
    svc.add_user(app, "ann", "annotator")
    assert client.get("/", follow_redirects=False).headers["location"] == "/ui/projects"
    for path in ("/ui/projects", "/ui/projects/1/annotate", "/ui/projects/1/dashboard"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/ui/login?next={path}"
    response = client.post("/ui/projects/1/next", data={"csrf": "x"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/ui/login")
    # a log-in goes back where it was asked for, but never to another host
    response = _log_in(client, "ann", svc.PASSWORD, "/ui/projects/7/annotate")
    assert response.headers["location"] == "/ui/projects/7/annotate"
    response = _log_in(client, "ann", svc.PASSWORD, "//evil.example/ui/")
    assert response.headers["location"] == "/ui/projects"


def test_login_cookie_csrf_and_security_headers(client, app, svc):
    svc.add_user(app, "ann", "annotator")
    page = client.get("/ui/login")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert re.findall(r'(?:src|href)="(https?:)?//', page.text) == []  # nothing from elsewhere
    for static in ("/static/netal.js", "/static/netal.css"):
        assert client.get(static).status_code == 200
    # no login cookie (a forged cross-site post): refused, no session
    client.cookies.clear()
    forged = client.post(
        "/ui/login", data={"username": "ann", "password": svc.PASSWORD, "csrf": "guess"}
    )
    assert forged.status_code == 403 and "netal_session" not in forged.headers.get("set-cookie", "")
    wrong = _log_in(client, "ann", "not the password")
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
    right = _log_in(client, "ann", svc.PASSWORD)
    assert right.status_code == 303
    cookie = right.headers["set-cookie"].lower()
    assert "netal_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    # the session cookie is a service token: stored only as its hash
    token = client.cookies.get("netal_session")
    with app.state.reader() as session:
        assert token not in {t.token_hash for t in session.scalars(select(Token))}
    assert "ann (annotator)" in client.get("/ui/projects").text


def test_annotator_pages_show_the_task_never_gold_or_others(client, app, svc):
    ann = svc.add_user(app, "ann", "annotator")
    bob = svc.add_user(app, "bob", "annotator")
    project = svc.add_project(app, "mine", [ann, bob], overlap=2)
    [query] = svc.add_tasks(app, project, 1, overlap=2)
    [gold] = svc.add_tasks(app, project, 1, gold=True)
    as_bob = svc.login(client, "bob")  # bob answers the query task first, through the API
    assert client.post(f"/projects/{project}/tasks/next", headers=as_bob).json()["task_id"] == query
    client.post(f"/projects/{project}/tasks/{query}/answer", headers=as_bob, json={"value": 77.5})

    csrf = _page_session(client, svc, "ann")
    listing = client.get("/ui/projects").text
    assert f"/ui/projects/{project}/annotate" in listing and "dashboard" not in listing
    page = client.get(f"/ui/projects/{project}/annotate")
    assert 'id="next-form"' in page.text and 'id="task"' not in page.text
    pages = []
    for expected, value in ((query, "101.25"), (gold, "99.5")):
        page = client.post(f"/ui/projects/{project}/next", data={"csrf": csrf})
        assert page.status_code == 200 and f'data-task="{expected}"' in page.text
        assert 'id="prediction">100<' in page.text and 'id="uncertainty">5<' in page.text
        assert "rsrp" in page.text
        pages.append(page.text)
        done = client.post(
            f"/ui/projects/{project}/tasks/{expected}/answer", data={"csrf": csrf, "value": value}
        )
        assert done.status_code == 200 and "Answer recorded." in done.text
        pages.append(done.text)
    assert "No task for you right now" in done.text and 'id="answered">2<' in done.text
    for html in pages:  # no gold answer, no gold marker, no one else's answer
        assert "123.456" not in html and "gold" not in html.lower() and "77.5" not in html
    mine = [(t, v) for t, u, s, v in _assignments(app) if u == ann and s == "answered"]
    assert mine == [(query, 101.25), (gold, 99.5)]


def test_forms_refuse_a_wrong_csrf_token_and_bad_values(client, app, svc):
    ann = svc.add_user(app, "ann", "annotator")
    project = svc.add_project(app, "mine", [ann])
    [task] = svc.add_tasks(app, project, 1)
    csrf = _page_session(client, svc, "ann")
    assert client.post(f"/ui/projects/{project}/next", data={"csrf": "0" * 64}).status_code == 403
    assert _assignments(app) == []
    client.post(f"/ui/projects/{project}/next", data={"csrf": csrf})
    url = f"/ui/projects/{project}/tasks/{task}/answer"
    refused = client.post(url, data={"csrf": "", "value": "5"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    for data, status, words in (
        ({"value": "abc"}, 422, "value must be a number"),
        ({"value": "nan"}, 422, "finite"),
        ({"value": ""}, 422, "give a value"),
        ({"accept": "1"}, 422, "accept applies to verify projects only"),
        ({"value": "5", "cost": "-1"}, 422, "cost must not be negative"),
    ):
        response = client.post(url, data={"csrf": csrf, **data})
        assert response.status_code == status and words in response.text, data
        assert f'data-task="{task}"' in response.text  # the task stays on the page
    assert _assignments(app) == [(task, ann, "leased", None)]


def test_skip_gives_the_task_to_someone_else(client, app, svc):
    ann = svc.add_user(app, "ann", "annotator")
    bob = svc.add_user(app, "bob", "annotator")
    project = svc.add_project(app, "mine", [ann, bob])
    [task] = svc.add_tasks(app, project, 1)
    csrf = _page_session(client, svc, "ann")
    client.post(f"/ui/projects/{project}/next", data={"csrf": csrf})
    skipped = client.post(f"/ui/projects/{project}/tasks/{task}/skip", data={"csrf": csrf})
    assert "Task skipped. No task for you right now" in skipped.text
    assert 'id="next-form"' in skipped.text  # nothing else to do for ann
    page = client.post(f"/ui/projects/{project}/next", data={"csrf": csrf})
    assert "No task for you right now" in page.text  # never the same task again
    as_bob = svc.login(client, "bob")
    assert client.post(f"/projects/{project}/tasks/next", headers=as_bob).json()["task_id"] == task
    assert [(u, s) for _, u, s, _ in _assignments(app)] == [(ann, "skipped"), (bob, "leased")]


def test_verify_mode_accepts_the_prediction(client, app, svc):
    ann = svc.add_user(app, "ann", "annotator")
    project = svc.add_project(app, "check", [ann], mode="verify")
    tasks = svc.add_tasks(app, project, 2, mode="verify")
    csrf = _page_session(client, svc, "ann")
    page = client.post(f"/ui/projects/{project}/next", data={"csrf": csrf})
    assert 'id="accept-form"' in page.text and "<kbd>v</kbd>" in page.text
    url = f"/ui/projects/{project}/tasks/{tasks[0]}/answer"
    both = client.post(url, data={"csrf": csrf, "accept": "1", "value": "3"})
    assert both.status_code == 422 and "not both" in both.text
    accepted = client.post(url, data={"csrf": csrf, "accept": "1"})
    assert "Answer recorded." in accepted.text and f'data-task="{tasks[1]}"' in accepted.text
    corrected = client.post(
        f"/ui/projects/{project}/tasks/{tasks[1]}/answer", data={"csrf": csrf, "value": "90"}
    )
    assert corrected.status_code == 200
    assert [(t, v) for t, _, s, v in _assignments(app)] == [(tasks[0], 100.0), (tasks[1], 90.0)]


def test_wrong_project_is_403_and_the_dashboard_is_for_admins(client, app, svc):
    svc.add_user(app, "root", "admin")
    ann = svc.add_user(app, "ann", "annotator")
    bob = svc.add_user(app, "bob", "annotator")
    mine = svc.add_project(app, "mine", [ann])
    other = svc.add_project(app, "other", [bob])
    svc.add_tasks(app, other, 1)
    csrf = _page_session(client, svc, "ann")
    for path in (f"/ui/projects/{other}/annotate", f"/ui/projects/{mine}/dashboard"):
        response = client.get(path)
        assert response.status_code == 403, path
    assert "not a member of project" in client.get(f"/ui/projects/{other}/annotate").text
    assert client.post(f"/ui/projects/{other}/next", data={"csrf": csrf}).status_code == 403
    for huge in (999, 2**31, 2**63):  # past a PostgreSQL integer: a 404 page, not a 500
        assert client.get(f"/ui/projects/{huge}/annotate").status_code == 404
        answer = client.post(f"/ui/projects/{mine}/tasks/{huge}/answer", data={"csrf": csrf})
        assert answer.status_code == 404 and f"no task {huge}" in answer.text
    assert "other" not in client.get("/ui/projects").text
    assert _assignments(app) == []

    csrf = _page_session(client, svc, "root")
    assert client.get(f"/ui/projects/{mine}/annotate").status_code == 403  # admins do not annotate
    board = client.get(f"/ui/projects/{other}/dashboard")
    assert board.status_code == 200
    assert 'id="q-open">1<' in board.text and 'id="q-answers">0<' in board.text
    assert "No model version yet" in board.text and "No answers yet" in board.text
    assert "Agreement: not yet" in board.text
    added = client.post(f"/ui/projects/{mine}/members", data={"csrf": csrf, "name": "bob"})
    assert "Member added." in added.text and 'id="members">ann, bob<' in added.text
    missing = client.post(f"/ui/projects/{mine}/members", data={"csrf": csrf, "name": "eve"})
    assert missing.status_code == 404


def test_dashboard_shows_answers_bias_and_flags(client, app, svc):
    svc.add_user(app, "root", "admin")
    ids = [svc.add_user(app, n, "annotator") for n in ("ann", "bob")]
    project = svc.add_project(app, "mine", ids)
    svc.add_tasks(app, project, 3, gold=True)  # gold answer 123.456
    for name, offset in (("ann", 0.0), ("bob", 40.0)):
        headers = svc.login(client, name)
        for noise in (-0.5, 0.4, 0.1):  # ann: unbiased; bob: 40 too high
            task = client.post(f"/projects/{project}/tasks/next", headers=headers).json()
            client.post(
                f"/projects/{project}/tasks/{task['task_id']}/answer",
                headers=headers,
                json={"value": 123.456 + offset + noise},
            )
    _page_session(client, svc, "root")
    board = client.get(f"/ui/projects/{project}/dashboard").text
    rows = dict(re.findall(r'<tr data-user="(\w+)"( class="flagged")?', board))
    assert rows == {"ann": "", "bob": ' class="flagged"'}
    api = {
        a["user"]: a
        for a in client.get(
            f"/projects/{project}/annotators", headers=svc.login(client, "root")
        ).json()
    }
    assert api["bob"]["flagged"] and not api["ann"]["flagged"]
    assert f"{round(api['bob']['gold_bias'], 3):+.3g}" in board
    assert 'id="q-answers">6<' in board
    # agreement over the 3 tasks both answered: bob's 40 offset is systematic disagreement
    expected = krippendorff.alpha(
        reliability_data=[[123.456 + n + offset for n in (-0.5, 0.4, 0.1)] for offset in (0, 40)],
        level_of_measurement="interval",
    )
    assert expected < 0 and f'id="alpha">{expected:.3f}<' in board
    assert "(interval)" in board and "(6 answers to 3 tasks, gold included)" in board


def test_logout_revokes_the_session(client, app, svc):
    svc.add_user(app, "ann", "annotator")
    csrf = _page_session(client, svc, "ann")
    token = client.cookies.get("netal_session")
    assert client.post("/ui/logout", data={"csrf": "x"}).status_code == 403
    out = client.post("/ui/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/ui/login"
    client.cookies.set("netal_session", token)
    response = client.get("/ui/projects", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/ui/login")


def test_pages_on_sqlite_and_postgresql(db_url, tmp_path, svc):
    app = create_app(db_url, state_dir=tmp_path / "state", start_workers=False)
    with TestClient(app) as client:
        svc.add_user(app, "root", "admin")
        ann = svc.add_user(app, "ann", "annotator")
        project = svc.add_project(app, "mine", [ann])
        tasks = svc.add_tasks(app, project, 3)
        [gold] = svc.add_tasks(app, project, 1, gold=True)
        csrf = _page_session(client, svc, "ann")
        page = client.post(f"/ui/projects/{project}/next", data={"csrf": csrf})
        assert f'data-task="{tasks[0]}"' in page.text
        url = f"/ui/projects/{project}/tasks"
        page = client.post(f"{url}/{tasks[0]}/answer", data={"csrf": csrf, "value": "7"})
        assert "Answer recorded." in page.text and f'data-task="{tasks[1]}"' in page.text
        page = client.post(f"{url}/{tasks[1]}/skip", data={"csrf": csrf})
        assert "Task skipped" in page.text and f'data-task="{tasks[2]}"' in page.text
        page = client.post(f"{url}/{tasks[2]}/answer", data={"csrf": csrf, "value": "8"})
        assert f'data-task="{gold}"' in page.text and "123.456" not in page.text
        assert 'id="answered">2<' in page.text
        _page_session(client, svc, "root")
        board = client.get(f"/ui/projects/{project}/dashboard").text
        for name, count in (
            ("answers", 2),
            ("skipped", 1),
            ("leased", 1),
            ("open", 1),
            ("complete", 2),
        ):
            assert f'id="q-{name}">{count}<' in board, name


@pytest.mark.slow
def test_dashboard_reads_the_curve_of_a_project_without_a_running_engine(tmp_path, svc):
    """After a restart a finished project has no worker; its curve comes from its knowledge base."""
    url, state = f"sqlite:///{tmp_path / 's.sqlite'}", tmp_path / "state"
    app = create_app(url, state_dir=state)
    small = {"dataset": "twin", "twin_rows": 400, "learner_params": {"n_members": 4}}
    with TestClient(app) as client:
        svc.add_user(app, "root", "admin")
        admin = svc.login(client, "root")
        body = {"name": "p", **small, "n_initial": 12, "batch_size": 4, "budget_labels": 4}
        project = client.post("/projects", headers=admin, json=body).json()["id"]
        svc.wait_for(
            lambda: client.get(f"/projects/{project}", headers=admin).json()["status"] == "running"
        )
        _page_session(client, svc, "root")
        live = client.get(f"/ui/projects/{project}/dashboard").text
    again = create_app(url, state_dir=state, start_workers=False)
    with TestClient(again) as client:
        assert again.state.runners[project].loop is None  # its engine is not open
        _page_session(client, svc, "root")
        board = client.get(f"/ui/projects/{project}/dashboard").text
    table = re.compile(r'<table class="numbers" id="curve-table">.*?</table>', re.S)
    assert table.search(live) and table.search(live).group() == table.search(board).group()
    assert "<td>0</td><td>12</td>" in table.search(board).group()


def test_a_categorical_project_asks_for_a_class_code(client, app, svc):
    ann = svc.add_user(app, "ann", "annotator")
    project = svc.add_project(app, "classes", [ann], target="categorical")
    [task] = svc.add_tasks(app, project, 1)
    csrf = _page_session(client, svc, "ann")
    page = client.post(f"/ui/projects/{project}/next", data={"csrf": csrf})
    assert f'data-task="{task}"' in page.text and "class code" in page.text
    done = client.post(
        f"/ui/projects/{project}/tasks/{task}/answer", data={"csrf": csrf, "value": "2"}
    )
    assert "Answer recorded." in done.text
    assert _assignments(app) == [(task, ann, "answered", 2.0)]
