"""Property-based fuzzing of the REST API from its OpenAPI schema (schemathesis).

Every operation gets schema-valid and schema-violating requests (hypothesis),
as an admin, an annotator, an agent or nobody: no response is a 5xx, every 4xx
says why in a non-empty ``detail``, and a 2xx conforms to the documented schema.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from netal.service import create_app

EXAMPLES = 25
"""Requests per operation and generation mode (the suite's time budget)."""


def _detail_is_clear(body: object) -> bool:
    if not isinstance(body, dict) or "detail" not in body:
        return False
    detail = body["detail"]
    if isinstance(detail, str):
        return bool(detail.strip())
    return isinstance(detail, list) and all(
        isinstance(item, dict) and str(item.get("msg", "")).strip() for item in detail
    )


@pytest.fixture
def fuzzed(tmp_path: Path, svc):  # type: ignore[no-untyped-def]
    """An app with users of every role, a project with tasks, and their bearer headers."""
    app = create_app(
        f"sqlite:///{tmp_path / 'fuzz.sqlite'}", state_dir=tmp_path / "state", start_workers=False
    )
    svc.add_user(app, "root", "admin")
    ann = svc.add_user(app, "ann", "annotator")
    agent = svc.add_user(app, "agent", "agent")
    project = svc.add_project(app, "p", [ann, agent], overlap=2)
    svc.add_tasks(app, project, 5, overlap=2)
    svc.add_tasks(app, project, 2, gold=True)
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        heads = {name: svc.login(client, name) for name in ("root", "ann", "agent")}
    return app, heads


def _probe(operation, mode: GenerationMode, who, failures: list[str]):  # type: ignore[no-untyped-def]
    """A hypothesis test of ``operation``: requests of ``mode`` as any of ``who``."""

    @given(case=operation.as_strategy(generation_mode=mode), headers=who)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def probe(case, headers):  # type: ignore[no-untyped-def]
        response = case.call(headers={**(case.headers or {}), **headers})
        label = f"{case.method} {case.path} {mode.value} -> {response.status_code}"
        if response.status_code >= 500:
            failures.append(f"{label}: {response.text[:200]}")
        elif response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = None
            if not _detail_is_clear(body):
                failures.append(f"{label} without a clear detail: {response.text[:200]}")
        elif response.status_code != 204:
            try:
                operation.validate_response(response)
            except Exception as exc:  # the check's own message says what differs
                failures.append(f"{label} breaks the schema: {str(exc)[:200]}")

    return probe


def test_no_request_makes_the_server_fail(fuzzed):
    app, heads = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    who = st.sampled_from([*heads.values(), {}])
    failures: list[str] = []
    ran = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 13
    for operation in operations:
        for mode in GenerationMode:
            try:
                _probe(operation, mode, who, failures)()
            except Unsatisfiable:  # nothing violates the schema of an operation without inputs
                assert mode is GenerationMode.NEGATIVE, operation.label
            else:
                ran += 1
    assert ran >= 20, ran
    assert not failures, "\n".join(sorted(set(failures))[:20])
