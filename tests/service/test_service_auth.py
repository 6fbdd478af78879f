"""Auth of the annotation service: tokens, roles, membership, what an annotator may see."""

from __future__ import annotations

from netal.service.auth import hash_token


def test_no_token_is_401_and_openapi_loads(client):
    assert client.get("/openapi.json").status_code == 200
    for method, path in [
        ("get", "/me"),
        ("get", "/projects"),
        ("post", "/projects/1/tasks/next"),
        ("get", "/users"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
        assert "token" in response.json()["detail"]
    bad = {"Authorization": "Bearer not-a-token"}
    assert client.get("/me", headers=bad).status_code == 401


def test_wrong_password_is_401(client, app, svc):
    svc.add_user(app, "ann", "annotator")
    response = client.post("/token", data={"username": "ann", "password": "wrong password"})
    assert response.status_code == 401
    response = client.post("/token", data={"username": "nobody", "password": "wrong password"})
    assert response.status_code == 401


def test_roles_membership_and_what_an_annotator_sees(client, app, svc):
    svc.add_user(app, "root", "admin")
    ann = svc.add_user(app, "ann", "annotator")
    bob = svc.add_user(app, "bob", "annotator")
    mine = svc.add_project(app, "mine", [ann, bob], overlap=2)
    other = svc.add_project(app, "other", [bob])
    svc.add_tasks(app, mine, 1, overlap=2)
    gold = svc.add_tasks(app, mine, 1, gold=True)
    svc.add_tasks(app, other, 1)
    admin, as_ann, as_bob = (svc.login(client, n) for n in ("root", "ann", "bob"))
    bodies = []

    # wrong project: 403; unknown project: 404; admin-only routes: 403
    response = client.post(f"/projects/{other}/tasks/next", headers=as_ann)
    assert response.status_code == 403 and "not a member" in response.json()["detail"]
    assert client.get(f"/projects/{other}", headers=as_ann).status_code == 403
    assert client.get("/projects/999", headers=as_ann).status_code == 404
    for path in ("/users", f"/projects/{mine}/annotators"):
        assert client.get(path, headers=as_ann).status_code == 403
    assert [p["name"] for p in client.get("/projects", headers=as_ann).json()] == ["mine"]

    # the annotator's tasks: the query first, then the gold one; no trace of gold or others
    first = client.post(f"/projects/{mine}/tasks/next", headers=as_ann)
    second = client.post(f"/projects/{mine}/tasks/next", headers=as_ann)
    assert client.post(f"/projects/{mine}/tasks/next", headers=as_ann).status_code == 204
    assert second.json()["task_id"] == gold[0]
    for response in (first, second):
        body = response.json()
        bodies.append(response.text)
        assert set(body) == {
            "task_id",
            "project",
            "mode",
            "lease_expires",
            "features",
            "place",
            "prediction",
            "uncertainty",
            "model_version",
        }
        assert "123.456" not in response.text  # the gold answer
    bob_task = client.post(f"/projects/{mine}/tasks/next", headers=as_bob).json()
    assert bob_task["task_id"] == first.json()["task_id"]  # overlap 2: both get it
    answer = client.post(
        f"/projects/{mine}/tasks/{bob_task['task_id']}/answer", headers=as_bob, json={"value": 77.5}
    )
    assert answer.status_code == 200
    mine_list = client.get(f"/projects/{mine}/tasks/mine", headers=as_ann)
    bodies.append(mine_list.text)
    assert "77.5" not in mine_list.text and all(t["value"] is None for t in mine_list.json())
    # ann cannot answer a task that is not hers (bob's other-project task)
    response = client.post(f"/projects/{mine}/tasks/999/answer", headers=as_ann, json={"value": 1})
    assert response.status_code == 404

    # the admin sees quality, users; never a hash
    users = client.get("/users", headers=admin)
    created = client.post(
        "/users", headers=admin, json={"name": "agent7", "password": "x" * 12, "role": "agent"}
    )
    assert created.status_code == 201
    token = client.post(f"/users/{created.json()['id']}/tokens", headers=admin, json={"name": "a"})
    assert token.status_code == 201
    as_agent = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert client.get("/me", headers=as_agent).json()["name"] == "agent7"
    duplicate = client.post(
        "/users", headers=admin, json={"name": "agent7", "password": "x" * 12, "role": "agent"}
    )
    assert duplicate.status_code == 409
    quality = client.get(f"/projects/{mine}/annotators", headers=admin)
    assert quality.status_code == 200
    bodies += [users.text, created.text, quality.text, client.get("/me", headers=as_ann).text]
    for text in [*bodies, client.get("/openapi.json").text]:
        assert "$argon2" not in text and "password_hash" not in text
    with app.state.db() as session:  # tokens are stored hashed
        from sqlalchemy import select

        from netal.service.tables import Token

        stored = set(session.scalars(select(Token.token_hash)))
    raw = token.json()["access_token"]
    assert raw not in stored and hash_token(raw) in stored


def test_admin_cannot_claim_and_bad_input_is_422(client, app, svc):
    svc.add_user(app, "root", "admin")
    project = svc.add_project(app, "p", [])
    admin = svc.login(client, "root")
    assert client.post(f"/projects/{project}/tasks/next", headers=admin).status_code == 403
    bad = client.post("/projects", headers=admin, json={"name": "x", "mode": "paint"})
    assert bad.status_code == 422
    bad = client.post("/projects", headers=admin, json={"name": "x", "strategy": "no-such"})
    assert bad.status_code == 422 and "no-such" in bad.text
