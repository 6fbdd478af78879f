"""Projects: a pool, a learner, a strategy, a budget and an annotation mode, run by one engine each.

Each project owns an :class:`~netal.loop.ActiveLearningLoop` (the run of a
:class:`~netal.experiments.tabular.RunSpec`, its knowledge base in
``STATE_DIR/project-<id>.sqlite``) and a worker thread, the only code that
touches it.  Requests only read and write the service database; the worker

* keeps the queue filled: when fewer than ``batch_size`` query tasks have a
  free slot it calls the engine's ``ask`` and stores each query as a task with
  what an annotator may see (features, place, the model's prediction and
  uncertainty);
* tells the engine the label of every task whose ``overlap`` answers are in
  (the joint estimate of :mod:`netal.service.quality`, which corrects each
  annotator's additive bias and weights them by their noise), which retrains in the worker every ``retrain_every`` labels
  (the engine's schedule), never in a request.

The worker holds the knowledge base's lock (:func:`netal.locks.hold_file`):
a second server on the same state folder leaves the project to the first.
Everything the worker does is idempotent: the engine refuses a second answer
to a query (a task told before a crash is marked told), and pending queries
without a task get one on restart.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from netal.errors import BusyError, DuplicateAnswerError, NetalError
from netal.experiments.tabular import RunSpec, build_loop, load_spec_dataset, prepare_tabular
from netal.locks import hold_file
from netal.loop import Answer
from netal.service.auth import now
from netal.service.categorical import dawid_skene
from netal.service.quality import Aggregate, aggregate, noise_weights
from netal.service.revision import revise_told
from netal.service.tables import Assignment, Project, Task

LOG = logging.getLogger("netal.service")
GOLD_OVERLAP = 1_000_000
"""A gold task may be answered by every annotator (once each)."""


def project_answers(
    session: Session, project_id: int
) -> tuple[list[tuple[int, int, float]], dict[int, float]]:
    """A project's answers ``(task, annotator, value)`` and its gold values by task."""
    rows = session.execute(
        select(Task.id, Assignment.user_id, Assignment.value, Task.kind, Task.gold_value)
        .join(Assignment, Assignment.task_id == Task.id)
        .where(Task.project_id == project_id, Assignment.status == "answered")
    ).all()
    gold = {task: value for task, _, _, kind, value in rows if kind == "gold"}
    return [(task, user, value) for task, user, value, _, _ in rows], gold


def project_aggregate(session: Session, project_id: int) -> Aggregate:
    """The joint fit of a project's answers: task values, and per annotator bias and noise.

    A categorical project (``target="categorical"``) is fitted by Dawid-Skene:
    the labels are the most probable classes, ``noise`` is an annotator's
    error rate (1 - accuracy) and there is no additive bias.
    """
    answers, gold = project_answers(session, project_id)
    project = session.get(Project, project_id)
    if project is not None and project.config.get("target") == "categorical":
        fit = dawid_skene(answers, gold)
        return Aggregate(
            labels=fit.labels,
            bias={},
            noise={a: 1.0 - accuracy for a, accuracy in fit.accuracy.items()},
            answers=fit.answers,
            flagged=fit.flagged,
            label_noise=dict(fit.noise),
        )
    return aggregate(answers, gold)


class ProjectSettings(BaseModel):
    """What an admin gives to create a project (the engine's run plus the service's rules)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    dataset: str = Field("twin", description="'twin', a netal dataset, or a user table's name")
    dataset_options: dict[str, Any] = Field(
        default_factory=dict, description="loader options; a user table's TableSpec fields"
    )
    twin_rows: int = Field(2000, ge=50, le=1_000_000)
    max_pool: int | None = Field(None, ge=1)
    learner: str = "bagging_committee"
    learner_params: dict[str, Any] = Field(default_factory=dict)
    strategy: str = "max_variance"
    strategy_params: dict[str, Any] = Field(default_factory=dict)
    n_initial: int = Field(20, ge=2)
    batch_size: int = Field(10, ge=1, le=10_000)
    budget_labels: int = Field(100, ge=1)
    retrain_every: int = Field(10, ge=1, description="train a new model version every k labels")
    target: Literal["numeric", "categorical"] = Field(
        "numeric",
        description="numeric: answers are values (joint bias and noise fit); categorical: "
        "answers are class codes (Dawid-Skene)",
    )
    mode: Literal["label", "measure", "verify"] = Field(
        "label",
        description="label: give the target; measure: go and measure it; "
        "verify: accept the model's prediction or correct it",
    )
    overlap: int = Field(1, ge=1, le=100, description="annotators per task")
    gold_rate: float = Field(0.0, ge=0.0, le=1.0, description="share of claims given gold")
    n_gold: int = Field(0, ge=0, description="gold tasks, from the initial labeled set")
    lease_s: float = Field(600.0, gt=0, le=7 * 86400)
    seed: int = Field(0, ge=0)
    label_weights: Literal["noise", "none"] = Field(
        "noise",
        description="noise: the learner trains on each aggregated label weighted by the inverse "
        "of its estimated noise (learners whose fit takes sample_weight); none: unweighted",
    )
    revise_tolerance: float | None = Field(
        None,
        ge=0,
        allow_inf_nan=False,
        description="revise a told label when the re-fitted answers move it by more than this "
        "(target units; default 1 % of the told labels' standard deviation)",
    )

    def run_spec(self, knowledge_base: Path) -> RunSpec:
        """The engine's run (checked by :class:`RunSpec`)."""
        return RunSpec(
            dataset=self.dataset,
            dataset_options=dict(self.dataset_options),
            twin_rows=self.twin_rows,
            max_pool=self.max_pool,
            learner=self.learner,
            learner_params=dict(self.learner_params),
            strategy=self.strategy,
            strategy_params=dict(self.strategy_params),
            n_initial=self.n_initial,
            batch_size=self.batch_size,
            iterations=self.budget_labels + 1,
            budget_labels=self.budget_labels,
            retrain_every=self.retrain_every,
            knowledge_base=str(knowledge_base),
            run_name="service",
            seed=self.seed,
        )


class ProjectRunner:
    """The engine of one project and the worker thread that drives it.

    Parameters
    ----------
    db
        Session factory of the service database.
    project_id
        The project's id.
    settings
        Its settings.
    state_dir
        Folder of the engines' knowledge bases.
    poll_s
        Seconds between the worker's looks at the queue when nobody nudges it.
    """

    def __init__(
        self,
        db: sessionmaker[Session],
        project_id: int,
        settings: ProjectSettings,
        state_dir: Path,
        poll_s: float = 1.0,
    ) -> None:
        self.db = db
        self.project_id = project_id
        self.settings = settings
        self.knowledge_base = Path(state_dir) / f"project-{project_id}.sqlite"
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._main, name=f"netal-project-{project_id}", daemon=True
        )
        self.loop: Any = None
        self.prepared: Any = None
        self._learner: tuple[int, Any] | None = None
        self._directions: np.ndarray | None = None
        self._answers_fitted = -1
        self._fit: Aggregate | None = None
        self._weights: dict[int, float] = {}
        self._weighed: tuple[int, int] | None = None
        self._bounds: dict[str, tuple[float, float]] | None = None
        self._progress: dict[str, Any] = {
            "model_version": None,
            "labeled": 0,
            "spent_labels": 0,
            "done": False,
        }

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the worker (it prepares the data and opens the engine first)."""
        self._thread.start()

    def nudge(self) -> None:
        """Wake the worker now (an answer came in)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the worker after its current step."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _set_status(self, status: str, message: str = "") -> None:
        with self.db.begin() as session:
            session.execute(
                update(Project)
                .where(Project.id == self.project_id)
                .values(status=status, message=message[:1000])
            )

    def _main(self) -> None:
        self.knowledge_base.parent.mkdir(parents=True, exist_ok=True)
        try:
            lock = hold_file(self.knowledge_base, "another netal serve runs this project")
            lock.__enter__()
        except BusyError as exc:  # another server drives this engine: leave the project alone
            LOG.error("project %s: %s", self.project_id, exc)
            return
        try:
            self._work()
        finally:
            lock.__exit__(None, None, None)

    def _work(self) -> None:
        try:
            self._open()
        except Exception as exc:  # the project cannot run: say why, keep serving
            LOG.exception("project %s failed to start", self.project_id)
            self._set_status("failed", f"{type(exc).__name__}: {exc}")
            return
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # a failed step is retried at the next wake-up
                LOG.exception("project %s: worker step failed", self.project_id)
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def _open(self) -> None:
        spec = self.settings.run_spec(self.knowledge_base)
        self.prepared = prepare_tabular(spec)
        frame = load_spec_dataset(spec).frame
        if "trajectory_direction" in frame.columns:  # where a measurement agent goes, and how
            directions = frame["trajectory_direction"].astype(str).to_numpy()
            self._directions = directions[np.asarray(self.prepared.rows)]
        self.loop = build_loop(spec, self.prepared).open()
        self.loop.train()
        self._make_gold()
        self._adopt_pending()
        self._set_status("running")

    # ------------------------------------------------------------ the queue

    def _payload(self, sample_ids: np.ndarray) -> list[dict[str, Any]]:
        """What an annotator sees of each sample: features, place, prediction, uncertainty."""
        version = self.loop.model_version
        learner = self._current_learner()
        X = self.prepared.X[sample_ids]
        if hasattr(learner, "predict_proba"):  # a classifier: its class and 1 - its confidence
            proba = np.asarray(learner.predict_proba(X), dtype=float)
            classes = np.asarray(getattr(learner, "classes_", np.arange(proba.shape[1])))
            mean = classes[np.argmax(proba, axis=1)].astype(float)
            std = 1.0 - proba.max(axis=1)
        elif hasattr(learner, "predict_dist"):
            dist = learner.predict_dist(X)
            mean = np.asarray(dist.mean, dtype=float).reshape(len(X), -1)[:, 0]
            std = np.sqrt(np.asarray(dist.epistemic_var, dtype=float).reshape(len(X), -1)[:, 0])
        else:
            mean = np.asarray(learner.predict(X), dtype=float).reshape(len(X), -1)[:, 0]
            std = np.full(len(X), np.nan)
        places = self.prepared.places
        payloads = []
        for i, sample in enumerate(sample_ids):
            place = None
            if places is not None:
                row = places.iloc[int(sample)]
                place = {
                    "latitude": float(row["latitude"]),
                    "longitude": float(row["longitude"]),
                    "mobility_mode": str(row["mobility_mode"]),
                }
                if self._directions is not None:
                    place["trajectory_direction"] = str(self._directions[int(sample)])
            payloads.append(
                {
                    "mode": self.settings.mode,
                    "features": dict(
                        zip(self.prepared.feature_names, map(float, X[i]), strict=True)
                    ),
                    "place": place,
                    "prediction": float(mean[i]),
                    "uncertainty": None if np.isnan(std[i]) else float(std[i]),
                    "model_version": int(version),
                }
            )
        return payloads

    def _current_learner(self) -> Any:
        """The engine's latest model version (restored once per version)."""
        version = self.loop.model_version
        if self._learner is None or self._learner[0] != version:
            self._learner = (version, self.loop.learner())
        return self._learner[1]

    def _add_tasks(self, session: Session, kind: str, rows: list[tuple[int | None, int]]) -> None:
        if not rows:
            return
        payloads = self._payload(np.array([sample for _, sample in rows], dtype=np.int64))
        overlap = GOLD_OVERLAP if kind == "gold" else self.settings.overlap
        for (query_id, sample), payload in zip(rows, payloads, strict=True):
            gold = float(self.prepared.y[sample]) if kind == "gold" else None
            session.add(
                Task(
                    project_id=self.project_id,
                    kind=kind,
                    query_id=query_id,
                    sample_id=int(sample),
                    payload=payload,
                    gold_value=gold,
                    overlap=overlap,
                    n_active=0,
                    n_answers=0,
                    status="open",
                    created_at=now(),
                )
            )

    def _make_gold(self) -> None:
        with self.db.begin() as session:
            have = session.scalar(
                select(func.count()).where(Task.project_id == self.project_id, Task.kind == "gold")
            )
            if have or not self.settings.n_gold:
                return
            ids = self.prepared.initial_ids[: self.settings.n_gold]
            self._add_tasks(session, "gold", [(None, int(i)) for i in ids])

    def _adopt_pending(self) -> None:
        """Pending engine queries without a task (a crash between ask and commit) get one."""
        pending = self.loop.pending()
        with self.db.begin() as session:
            known = set(
                session.scalars(
                    select(Task.query_id).where(
                        Task.project_id == self.project_id, Task.kind == "query"
                    )
                )
            )
            self._add_tasks(
                session,
                "query",
                [(q.query_id, q.sample_id) for q in pending if q.query_id not in known],
            )

    def step(self) -> None:
        """Revise told labels the answers moved, tell every complete task, refill the queue."""
        self._revise()
        self._tell_complete()
        self._reweigh()
        self._refill()
        self._progress = {
            "model_version": int(self.loop.model_version),
            "labeled": len(self.loop.labeled_ids),
            "spent_labels": int(self.loop.spent_labels),
            "done": bool(self.loop.done),
        }

    def _revise(self) -> None:
        """Re-fit the answers when new ones came in; revise the told labels that moved."""
        with self.db() as session:
            seen = session.scalar(
                select(func.count())
                .select_from(Assignment)
                .join(Task, Task.id == Assignment.task_id)
                .where(Task.project_id == self.project_id, Assignment.status == "answered")
            )
            if seen == self._answers_fitted:
                return
            fit = project_aggregate(session, self.project_id)
        revise_told(self.db, self.loop, self.project_id, fit, self.settings.revise_tolerance)
        self._answers_fitted = seen
        self._fit = fit

    def _reweigh(self) -> None:
        """Weigh every told label by its estimated noise (the learner uses it if it can)."""
        fit = self._fit
        key = (id(fit), int(self.loop.model_version))
        if fit is None or self.settings.label_weights == "none" or key == self._weighed:
            return
        self._weighed = key
        with self.db() as session:
            told = [
                (int(sample), fit.label_noise[task])
                for task, sample in session.execute(
                    select(Task.id, Task.sample_id).where(
                        Task.project_id == self.project_id,
                        Task.kind == "query",
                        Task.status == "told",
                    )
                )
                if task in fit.label_noise
            ]
        if not told:
            return
        samples = np.array([sample for sample, _ in told], dtype=np.int64)
        weights = noise_weights(
            [noise for _, noise in told],
            categorical=self.settings.target == "categorical",
            reference=self._aleatoric(samples),
        )
        changed = {
            int(sample): float(weight)
            for sample, weight in zip(samples, weights, strict=True)
            if abs(weight - self._weights.get(int(sample), 1.0)) > 0.02 * weight
        }
        if changed:
            self.loop.weigh(changed, reason="aggregated label noise")
            self._weights.update(changed)

    def _aleatoric(self, samples: np.ndarray) -> float | None:
        """The current model's mean aleatoric variance at ``samples`` (None if it gives none)."""
        learner = self._current_learner()
        if not hasattr(learner, "predict_dist") or self.settings.target == "categorical":
            return None
        variance = float(np.mean(learner.predict_dist(self.prepared.X[samples]).aleatoric_var))
        return variance if np.isfinite(variance) and variance > 0 else None

    def _tell_complete(self) -> None:
        """Tell the engine the aggregated label of every task whose answers are all in."""
        with self.db() as session:
            complete = session.scalars(
                select(Task.id).where(
                    Task.project_id == self.project_id,
                    Task.kind == "query",
                    Task.status == "complete",
                )
            ).all()
            if not complete:
                return
            fit = project_aggregate(session, self.project_id)
            tasks = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_(complete)))}
            costs = dict(
                session.execute(
                    select(Assignment.task_id, func.sum(Assignment.cost))
                    .where(Assignment.task_id.in_(complete), Assignment.status == "answered")
                    .group_by(Assignment.task_id)
                ).all()
            )
            measured: dict[int, list[dict[str, float]]] = {}
            for task_id, features in session.execute(
                select(Assignment.task_id, Assignment.features).where(
                    Assignment.task_id.in_(complete),
                    Assignment.status == "answered",
                    Assignment.features.is_not(None),
                )
            ):
                if features:  # a JSON null is not SQL NULL
                    measured.setdefault(task_id, []).append(features)
        for task_id in complete:
            label = fit.labels[task_id]
            cost = costs.get(task_id)
            row = self._measured_row(tasks[task_id].sample_id, measured.get(task_id, []))
            try:
                self.loop.tell([Answer(tasks[task_id].query_id, label, cost or None, row)])
            except DuplicateAnswerError:
                pass  # told before a crash
            with self.db.begin() as session:
                session.execute(
                    update(Task).where(Task.id == task_id).values(status="told", value=label)
                )

    def _measured_row(self, sample: int, reports: list[dict[str, float]]) -> np.ndarray | None:
        """The pool row with the measured features (mean over the answers) in place; None if none."""
        if not reports:
            return None
        row = np.array(self.prepared.X[sample], dtype=np.float64, copy=True)
        column = {name: i for i, name in enumerate(self.prepared.feature_names)}
        for name in sorted({name for report in reports for name in report}):
            values = [float(r[name]) for r in reports if name in r]
            row[column[name]] = float(np.mean(values))
        return row

    def _refill(self) -> None:
        with self.db() as session:
            open_slots = session.scalar(
                select(func.count()).where(
                    Task.project_id == self.project_id,
                    Task.kind == "query",
                    Task.status == "open",
                    Task.n_active < Task.overlap,
                )
            )
        if open_slots >= self.settings.batch_size or self.loop.done:
            return
        queries = self.loop.ask(self.settings.batch_size)
        if queries:
            with self.db.begin() as session:
                self._add_tasks(session, "query", [(q.query_id, q.sample_id) for q in queries])
        elif self.loop.done:
            self._set_status("finished", self.loop.stop_reason or "")

    def feature_bounds(self) -> dict[str, tuple[float, float]] | None:
        """Per feature, the measured values accepted: the pool's range widened by its span on
        each side (a unit slip such as kbit/s for Mbit/s or a sign lost falls outside); None
        before the worker has read the pool."""
        if self._bounds is None and self.prepared is not None:
            X = np.asarray(self.prepared.X, dtype=float).reshape(len(self.prepared.X), -1)
            low, high = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
            span = np.maximum(high - low, 1.0)
            self._bounds = {
                name: (float(lo - sp), float(hi + sp))
                for name, lo, hi, sp in zip(
                    self.prepared.feature_names, low, high, span, strict=True
                )
            }
        return self._bounds

    def progress(self) -> dict[str, Any]:
        """The engine's state after the worker's last step (read without touching the engine)."""
        return dict(self._progress)


class ProjectError(Exception):
    """A project that cannot be created: ``status`` is the HTTP status, ``detail`` why (one line)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def create_project(db: sessionmaker[Session], settings: ProjectSettings) -> Project:
    """Check ``settings`` (before any data is read) and store a new project, status ``starting``.

    Raises
    ------
    ProjectError
        422 when the engine's run is invalid (the message names the setting),
        409 when the name is taken.
    """
    try:
        settings.run_spec(Path("check.sqlite"))
    except NetalError as exc:
        raise ProjectError(422, str(exc)) from None
    if settings.n_gold > settings.n_initial:
        raise ProjectError(
            422, f"n_gold ({settings.n_gold}) must not exceed n_initial ({settings.n_initial})"
        )
    with db.begin() as session:
        if session.scalar(select(Project).where(Project.name == settings.name)) is not None:
            raise ProjectError(409, f"project {settings.name!r} exists")
        project = Project(
            name=settings.name,
            config=settings.model_dump(),
            status="starting",
            message="",
            created_at=now(),
        )
        session.add(project)
        session.flush()
        session.expunge(project)
    return project


def start_runner(state: Any, project: Project) -> ProjectRunner:
    """Register (and, unless the app's workers are off, start) the engine worker of ``project``.

    ``state`` is the FastAPI app's ``state`` (``db``, ``state_dir``, ``runners``,
    ``start_workers``).
    """
    runner = ProjectRunner(state.db, project.id, ProjectSettings(**project.config), state.state_dir)
    state.runners[project.id] = runner
    if state.start_workers:
        runner.start()
    return runner
