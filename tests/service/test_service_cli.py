"""``netal service user add|token``: users and API tokens from the command line."""

from __future__ import annotations

from typer.testing import CliRunner

from netal.cli.main import app
from netal.service.auth import hash_token
from netal.service.database import open_database
from netal.service.tables import Token, User


def test_user_add_and_token(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'svc.sqlite'}"
    runner = CliRunner()
    monkeypatch.setenv("NETAL_PASSWORD", "agent-secret")
    added = runner.invoke(app, ["service", "user", "add", "walker", "--role", "agent", "--db", url])
    assert added.exit_code == 0 and "added agent 'walker'" in added.output
    again = runner.invoke(app, ["service", "user", "add", "walker", "--db", url])
    assert again.exit_code == 1 and "exists" in again.output
    short = runner.invoke(
        app, ["service", "user", "add", "x", "--db", url], env={"NETAL_PASSWORD": "short"}
    )
    assert short.exit_code == 1 and "8 characters" in short.output
    token = runner.invoke(app, ["service", "user", "token", "walker", "--db", url])
    assert token.exit_code == 0
    unknown = runner.invoke(app, ["service", "user", "token", "nobody", "--db", url])
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output
    engine, db, _ = open_database(url)
    with db() as session:
        (user,) = session.query(User).all()
        (stored,) = session.query(Token).all()
    engine.dispose()
    assert user.role == "agent" and user.password_hash.startswith("$argon2")
    assert stored.token_hash == hash_token(token.output.strip()) and stored.kind == "api"
