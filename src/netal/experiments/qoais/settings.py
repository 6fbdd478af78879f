"""The typed settings of ``netal qoais`` (the ``[qoais]`` table of a TOML file, flags on top)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netal._validation import check_positive_int
from netal.configfile import read_section
from netal.errors import InvalidInputError
from netal.experiments.qoais.models import check_model_params, model_factory
from netal.experiments.settings import Replication
from netal.experiments.sources import check_source
from netal.experiments.tabular import RunSpec
from netal.qoais import load_sla
from netal.transfer import TRANSFER_TASKS

DEFAULT_DRIFT: dict[str, str] = {
    "twin": "twin-scenario",
    "ucc5g": "ucc5g-static-driving",
    "umn-mmwave": "umn-combined-s20",
}
"""The shift that ``drift = "auto"`` scores a dataset's models on (a transfer task); others: none."""

NO_DRIFT = "none"
AUTO_DRIFT = "auto"


@dataclass(frozen=True)
class QoaisSettings(Replication):
    """Everything ``netal qoais`` runs.

    Parameters
    ----------
    dataset, dataset_options
        ``"twin"``, a name of :data:`netal.data.DATASETS`, or a user table
        (``--data``: its name and loader options).
    learners
        Models to score side by side: names of :data:`netal.models.LEARNERS`
        and ``lightgbm`` (the tuned gradient-boosted reference), each
        optionally with a variant label (``mc_dropout_mlp@wide``) so one
        learner can be scored in several configurations.
    learner_params
        Model name (with its variant) -> parameter table (over the defaults of
        :data:`netal.experiments.qoais.models.DEFAULT_PARAMS`).
    drift
        The shifted domain for drift resilience: a transfer task of
        :data:`netal.transfer.TRANSFER_TASKS` reading ``dataset``; ``"auto"``
        (the dataset's task in :data:`DEFAULT_DRIFT`, else none) or ``"none"``.
        With a task the models train on its source domain, are tested on
        held-out source groups and drift-tested on the target's test groups;
        without one they train and test on the dataset's own leakage-free split.
    sla
        SLA file (TOML, a table per tier); None: no pass/fail.
    twin_rows
        Twin rows generated (per domain with a drift task).
    max_train, max_test
        Caps on training and test rows (random subsets per seed).
    latency_repeats
        Timed single-row predictions per model (batched: a sixth, at least 10).
    data_dir
        Directory of the real datasets (default ``$NETAL_DATA_DIR``).
    from_run, run_out
        Score the latest model version of a ``netal run`` instead of training
        models: its TOML file and its output folder (default
        ``runs/<file stem>``, as ``netal run`` has it).  The model is restored
        from the run's knowledge base and scored as it is on the run's own
        split (no training time, no drift); ``learners`` and seeds do not apply.
    seeds, first_seed
        Replication seeds: indicators are reported as mean and 95 % t interval over them.
    source
        Where the settings came from (errors name it; not a setting).
    """

    dataset: str = "twin"
    dataset_options: dict[str, Any] = field(default_factory=dict)
    learners: tuple[str, ...] = ("mc_dropout_mlp", "deep_ensemble", "lightgbm")
    learner_params: dict[str, Any] = field(default_factory=dict)
    drift: str = AUTO_DRIFT
    sla: str | None = None
    twin_rows: int = 12_000
    max_train: int = 4000
    max_test: int = 1000
    latency_repeats: int = 200
    data_dir: str | None = None
    from_run: str | None = None
    run_out: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.from_run is not None:
            self.run_spec()  # the run's file, read and checked (one line naming it)
            if self.drift not in (AUTO_DRIFT, NO_DRIFT):
                raise InvalidInputError(
                    "drift", "a run's model is scored on the run's own split; drop it or use 'none'"
                )
        check_source(self.dataset, self.dataset_options)
        if not self.learners:
            raise InvalidInputError("learners", "names no model")
        if len(set(self.learners)) != len(self.learners):
            raise InvalidInputError("learners", f"names a model twice: {list(self.learners)}")
        for name in self.learners:
            model_factory(name)
        for name, params in self.learner_params.items():
            model_factory(name)
            if not isinstance(params, Mapping):
                raise InvalidInputError(
                    f"learner_params.{name}", f"must be a table, got {params!r}"
                )
            check_model_params(name, params)
        task = self.drift_task
        if task is not None:
            reads = {dataset for dataset, _ in TRANSFER_TASKS.create(task).files} or {"twin"}
            if self.dataset not in reads:
                raise InvalidInputError(
                    "drift", f"task {task!r} reads {', '.join(sorted(reads))}, not {self.dataset!r}"
                )
            if self.dataset_options:
                raise InvalidInputError(
                    "drift",
                    f"task {task!r} reads its own columns; loader options need drift = 'none'",
                )
        for name in ("max_train", "max_test", "latency_repeats"):
            check_positive_int(getattr(self, name), name, minimum=10)
        check_positive_int(self.twin_rows, "twin_rows", minimum=100)
        if self.sla is not None:
            load_sla(self.sla)  # one line naming the file and key, before any work

    @property
    def drift_task(self) -> str | None:
        """The transfer task that gives the shifted domain, or None."""
        if self.drift == NO_DRIFT or self.from_run is not None:
            return None
        if self.drift == AUTO_DRIFT:
            return DEFAULT_DRIFT.get(self.dataset)
        TRANSFER_TASKS.get(self.drift)
        return self.drift

    def run_spec(self) -> RunSpec:
        """The :class:`~netal.experiments.tabular.RunSpec` of ``from_run`` (``data_dir`` over the file's)."""
        if self.from_run is None:
            raise InvalidInputError("from_run", "names no run")
        overrides = {"data_dir": self.data_dir} if self.data_dir else {}
        return RunSpec.from_toml(self.from_run, **overrides)

    def run_folder(self) -> Path:
        """The output folder of ``from_run``: ``run_out``, else ``runs/<file stem>``."""
        if self.from_run is None:
            raise InvalidInputError("from_run", "names no run")
        return Path(self.run_out) if self.run_out else Path("runs") / Path(self.from_run).stem

    def params_of(self, name: str) -> dict[str, Any]:
        """The parameters given for model ``name`` (tuples for lists)."""
        params = dict(self.learner_params.get(name, {}))
        return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


def load_qoais(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> QoaisSettings:
    """``[qoais]`` of ``path`` (optional) with ``overrides`` (the given flags) on top."""
    (settings,) = read_section(
        path,
        "qoais",
        (QoaisSettings,),
        overrides,
        flags={
            "learners": "--learners",
            "seeds": "--seeds",
            "sla": "--sla",
            "drift": "--drift",
            "from_run": "--from-run",
            "run_out": "--run-out",
        },
        path_fields=("data_dir", "sla", "from_run", "run_out"),
    )
    return settings
