"""Creating a project from the pages (admins): a form with a pool or an uploaded CSV.

``GET /ui/projects/new`` shows the form: the project's name, its pool (the
twin, a netal dataset, or a CSV file uploaded with the form and its target
column), learner, acquisition function, budgets, annotation mode and target
type, overlap and gold tasks.  ``POST`` checks the CSRF token first, then
every setting with the same rules as ``POST /projects``
(:func:`netal.service.projects.create_project`) before any data is read; a bad
setting or file comes back as the same form, filled in, with one line naming
the field or the column.  An uploaded table is kept in the state folder
(``uploads/``) and read as a user table (:class:`netal.data.table.TableSpec`).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from netal.data import DATASETS
from netal.models import LEARNERS
from netal.service.projects import ProjectError, ProjectSettings, create_project, start_runner
from netal.service.webcommon import PageError, check_csrf, page, page_user
from netal.strategies import STRATEGIES

router = APIRouter(include_in_schema=False)

UPLOAD = "upload"
"""The pool choice meaning "the CSV file sent with the form"."""
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
NUMBERS = ("twin_rows", "n_initial", "batch_size", "budget_labels", "retrain_every", "overlap",
           "n_gold", "gold_rate")  # fmt: skip
DEFAULTS: dict[str, Any] = {
    name: field.default
    for name, field in ProjectSettings.model_fields.items()
    if name in (*NUMBERS, "learner", "strategy", "mode", "target", "dataset")
}


def _choices() -> dict[str, list[str]]:
    return {
        "datasets": ["twin", *sorted(DATASETS)],
        "learners": sorted(LEARNERS),
        "strategies": sorted(STRATEGIES),
    }


def _admin(request: Request) -> Any:
    with request.app.state.reader() as session:
        user = page_user(request, session)
    if user.role != "admin":
        raise PageError(403, "creating projects is for admins")
    return user


def _form(request: Request, user: Any, values: dict[str, Any], error: str, status: int) -> Response:
    context = {"values": {**DEFAULTS, **values}, "error": error, "upload": UPLOAD, **_choices()}
    return page(request, "new_project.html", context, status=status, user=user)


@router.get("/ui/projects/new")
def new_project_page(request: Request) -> Response:
    """The form that creates a project (admins)."""
    return _form(request, _admin(request), {}, "", 200)


def _validation_line(exc: ValidationError) -> str:
    """The first error of a settings check as one line naming the field."""
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error.get("loc", ())) or "settings"
    return f"{field}: {error.get('msg', 'invalid')}"


def _save_upload(request: Request, upload: UploadFile, target_column: str) -> tuple[str, dict]:
    """Keep the uploaded CSV in the state folder; its table name and user-table options.

    The header and first rows are read (and the target column checked) now;
    the whole table is read when the project starts.
    """
    filename = Path(upload.filename or "table.csv").name
    if not filename.lower().endswith(".csv"):
        raise ProjectError(422, f"file {filename!r}: upload a .csv file")
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(filename).stem).strip("._-")[:60] or "table"
    folder = request.app.state.state_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(6)}-{stem}.csv"
    size = 0
    with path.open("wb") as out:
        while chunk := upload.file.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                raise ProjectError(413, f"file {filename!r} is larger than 200 MB")
            out.write(chunk)
    try:
        head = pd.read_csv(path, nrows=20)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        path.unlink(missing_ok=True)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ProjectError(
            422, f"file {filename!r} is not a readable CSV table: {reason}"
        ) from None
    if not target_column:
        path.unlink(missing_ok=True)
        raise ProjectError(422, f"file {filename!r}: give the target column")
    if target_column not in head.columns:
        path.unlink(missing_ok=True)
        columns = ", ".join(map(str, head.columns[:20]))
        raise ProjectError(
            422, f"file {filename!r} has no column {target_column!r} (columns: {columns})"
        )
    return stem, {"path": str(path), "target": target_column, "name": stem}


@router.post("/ui/projects/new")
def create_project_page(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    dataset: Annotated[str, Form()] = "twin",
    target_column: Annotated[str, Form()] = "",
    table: Annotated[UploadFile | None, File()] = None,
    learner: Annotated[str, Form()] = "",
    strategy: Annotated[str, Form()] = "",
    mode: Annotated[str, Form()] = "label",
    target: Annotated[str, Form()] = "numeric",
    twin_rows: Annotated[str, Form()] = "",
    n_initial: Annotated[str, Form()] = "",
    batch_size: Annotated[str, Form()] = "",
    budget_labels: Annotated[str, Form()] = "",
    retrain_every: Annotated[str, Form()] = "",
    overlap: Annotated[str, Form()] = "",
    n_gold: Annotated[str, Form()] = "",
    gold_rate: Annotated[str, Form()] = "",
) -> Response:
    """Create the project of the form; back to the form with one line when a setting is wrong."""
    user = _admin(request)
    check_csrf(request, csrf)
    numbers = {
        "twin_rows": twin_rows, "n_initial": n_initial, "batch_size": batch_size,
        "budget_labels": budget_labels, "retrain_every": retrain_every, "overlap": overlap,
        "n_gold": n_gold, "gold_rate": gold_rate,
    }  # fmt: skip
    values: dict[str, Any] = {
        "name": name.strip(), "dataset": dataset, "target_column": target_column.strip(),
        "learner": learner, "strategy": strategy, "mode": mode, "target": target,
        **{key: text.strip() for key, text in numbers.items() if text.strip()},
    }  # fmt: skip
    fields = {k: v for k, v in values.items() if k != "target_column"}
    try:
        if dataset == UPLOAD:
            if table is None or not table.filename:
                raise ProjectError(422, "table: choose a CSV file to upload")
            fields["dataset"], fields["dataset_options"] = _save_upload(
                request, table, values["target_column"]
            )
            if target == "categorical":
                fields["dataset_options"]["task"] = "classification"
        settings = ProjectSettings(**fields)
        project = create_project(request.app.state.db, settings)
    except ValidationError as exc:
        return _form(request, user, values, _validation_line(exc), 422)
    except ProjectError as exc:
        return _form(request, user, values, exc.detail, exc.status)
    start_runner(request.app.state, project)
    return RedirectResponse(f"/ui/projects/{project.id}/dashboard?m=created", status_code=303)
