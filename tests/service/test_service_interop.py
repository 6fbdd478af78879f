"""Label Studio task JSON: export, import, the round trip, ``netal service export|import``."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from netal.cli.main import app as cli
from netal.service import create_app
from netal.service.tables import Assignment, Task, User


def _answered(app, project: int) -> dict[tuple[int, str], float]:  # type: ignore[no-untyped-def]
    with app.state.db() as session:
        rows = session.execute(
            select(Assignment.task_id, User.name, Assignment.value)
            .join(User, User.id == Assignment.user_id)
            .join(Task, Task.id == Assignment.task_id)
            .where(Task.project_id == project, Assignment.status == "answered")
        ).all()
    return {(t, name): v for t, name, v in rows}


def _service(tmp_path: Path, name: str, svc):  # type: ignore[no-untyped-def]
    app = create_app(
        f"sqlite:///{tmp_path / f'{name}.sqlite'}", state_dir=tmp_path / name, start_workers=False
    )
    ann = svc.add_user(app, "ann", "annotator")
    bob = svc.add_user(app, "bob", "annotator")
    project = svc.add_project(app, "p", [ann, bob], overlap=2)
    tasks = svc.add_tasks(app, project, 4, overlap=2)
    gold = svc.add_tasks(app, project, 1, gold=True)
    return app, project, tasks, gold


def test_export_import_round_trip_through_the_cli(tmp_path: Path, svc):
    source, project, tasks, gold = _service(tmp_path, "a", svc)
    with TestClient(source) as client:
        for name, value in (("ann", 10.0), ("bob", 12.5)):
            headers = svc.login(client, name)
            for _ in range(3):
                task = client.post(f"/projects/{project}/tasks/next", headers=headers).json()
                answer = {"value": value + task["task_id"]}
                sent = client.post(
                    f"/projects/{project}/tasks/{task['task_id']}/answer",
                    headers=headers,
                    json=answer,
                )
                assert sent.status_code == 200
    given = _answered(source, project)
    assert len(given) == 6
    runner = CliRunner()
    out, config = tmp_path / "ls.json", tmp_path / "config.xml"
    args = ["service", "export", "p", "--db", str(source.state.engine.url), "--out", str(out)]
    exported = runner.invoke(cli, [*args, "--label-config", str(config)])
    assert exported.exit_code == 0, exported.output
    items = json.loads(out.read_text())
    assert '<Number name="value" toName="sample"' in config.read_text()

    # Label Studio's documented task shape: data, annotations with number regions, predictions
    assert [item["id"] for item in items] == [*tasks, *gold]
    first = items[0]
    assert first["data"]["rsrp"] == -90.0 and "summary" in first["data"]
    assert first["predictions"][0]["result"][0]["value"] == {"number": 100.0}
    for item in items:
        for annotation in item["annotations"]:
            (region,) = annotation["result"]
            assert region["type"] == "number" and region["from_name"] == "value"
            name = item["meta"]["annotators"][str(annotation["completed_by"])]
            assert given[(item["id"], name)] == region["value"]["number"]
    assert sum(len(item["annotations"]) for item in items) == 6
    assert items[-1]["meta"]["kind"] == "gold" and items[-1]["meta"]["gold_value"] == 123.456

    # into a second service with the same queue: the same answers, complete tasks complete
    target, project_b, _, _ = _service(tmp_path, "b", svc)
    url = str(target.state.engine.url)
    imported = runner.invoke(cli, ["service", "import", str(project_b), str(out), "--db", url])
    assert imported.exit_code == 0, imported.output
    assert "imported 6, unchanged 0, conflicts 0, skipped 0" in imported.output
    assert _answered(target, project_b) == given
    with source.state.db() as a, target.state.db() as b:
        status = {t.id: (t.status, t.n_answers) for t in a.scalars(select(Task))}
        assert status == {t.id: (t.status, t.n_answers) for t in b.scalars(select(Task))}
    again = runner.invoke(cli, ["service", "import", "p", str(out), "--db", url])
    assert "imported 0, unchanged 6" in again.output  # idempotent

    # an annotation made in Label Studio by a new annotator, one that contradicts, one cancelled
    items[1]["annotations"] = [
        {
            "completed_by": {"id": 7, "email": "carol@example.org"},
            "result": items[0]["predictions"][0]["result"],
        },
        {**items[0]["annotations"][0], "result": [{"type": "number", "value": {"number": -1.0}}]},
        {"completed_by": 3, "was_cancelled": True, "result": []},
    ]
    items[1]["annotations"][1]["completed_by"] = items[0]["annotations"][0]["completed_by"]
    items[1]["meta"]["annotators"] = items[0]["meta"]["annotators"]
    out.write_text(json.dumps(items[1:2]))
    edited = runner.invoke(cli, ["service", "import", "p", str(out), "--db", url])
    assert edited.exit_code == 0, edited.output
    after = _answered(target, project_b)
    assert after[(items[1]["id"], "carol@example.org")] == 100.0
    name = items[0]["meta"]["annotators"][str(items[0]["annotations"][0]["completed_by"])]
    conflict = (items[1]["id"], name)
    assert after[conflict] == given[conflict]  # a conflicting answer leaves the old one
    assert "imported 1, unchanged 0, conflicts 1, skipped 1" in edited.output


def test_bad_import_input_is_one_line(tmp_path: Path, svc):
    target, _, _, _ = _service(tmp_path, "c", svc)
    url = str(target.state.engine.url)
    runner = CliRunner()
    (tmp_path / "x.json").write_text('{"not": "a list"}')
    (tmp_path / "y.json").write_text("[1, 2")
    for args, words in [
        (["nope", str(tmp_path / "x.json")], "no project 'nope'"),
        (["p", str(tmp_path / "x.json")], "list of tasks"),
        (["p", str(tmp_path / "y.json")], "is not JSON"),
        (["p", str(tmp_path / "missing.json")], "cannot read"),
    ]:
        result = runner.invoke(cli, ["service", "import", *args, "--db", url])
        assert result.exit_code == 1, result.output
        assert words in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1
