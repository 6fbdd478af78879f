"""Checks a tabular run makes before any work: parameter types, its outputs, its knowledge base.

``netal run``, ``netal loop ...`` and ``netal bench`` call these right after
reading their configuration, before any data is loaded:

* :func:`check_spec_params` checks the learner's and the strategy's
  parameters against the types their constructors declare, so ``hidden =
  "big"`` is one :class:`~netal.errors.ConfigError` naming
  ``[learner.params.hidden]`` now, not a traceback at the first training step;
* :func:`claim_run_outputs` refuses an output folder that is a file, takes the
  locks of the folder and of the knowledge base (a second process gets one
  :class:`~netal.errors.BusyError` line) and checks the knowledge base
  (:func:`~netal.loop.knowledge.check_knowledge_base`: ``quick_check`` and the
  schema revision).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netal.configfile import check_call_params
from netal.errors import ConfigError, InvalidInputError, KnowledgeBaseError
from netal.experiments.tabular.spec import RunSpec
from netal.locks import hold_file, hold_folder
from netal.loop.knowledge import check_knowledge_base
from netal.models import LEARNERS
from netal.strategies import STRATEGIES

if TYPE_CHECKING:
    from netal.experiments.tabular.bench import BenchPlan

KB_HINT = "wait for it to finish, or give this run another knowledge base or --out"


def check_spec_params(
    spec: RunSpec,
    path: str | Path,
    *,
    learner_key: str = "learner.params",
    strategy_key: str = "strategy.params",
) -> None:
    """Check the types of ``spec``'s learner and strategy parameters (from the file ``path``).

    Raises
    ------
    ConfigError
        Naming ``path`` and ``[learner.params.NAME]`` (or the strategy's key).
    """
    check_call_params(LEARNERS.get(spec.learner), spec.learner_params, path, learner_key)
    check_call_params(STRATEGIES.get(spec.strategy), spec.strategy_params, path, strategy_key)
    check_learner_values(spec, path, learner_key)


def check_learner_values(spec: RunSpec, path: str | Path, key: str = "learner.params") -> None:
    """Build the learner and let it check its parameter values (``dropout = 2.0``, ``lr = -1``).

    Raises
    ------
    ConfigError
        Naming ``path`` and ``[learner.params.NAME]``.
    """
    learner = LEARNERS.create(spec.learner, **spec.learner_params)
    check = getattr(learner, "check_params", None)
    if check is None:
        return
    try:
        check()
    except InvalidInputError as exc:
        raise ConfigError(str(path), f"{key}.{exc.parameter}", exc.problem) from None


def check_strategy_params(
    params: Mapping[str, Mapping[str, Any]], path: str | Path, section: str
) -> None:
    """Check per-strategy parameter tables (strategy name -> parameters) found at ``[section.NAME]``."""
    for name, values in params.items():
        check_call_params(STRATEGIES.get(name), values, path, f"{section}.{name}")


@contextlib.contextmanager
def claim_run_outputs(spec: RunSpec, out_dir: str | Path) -> Iterator[RunSpec]:
    """Hold ``out_dir`` and the run's knowledge base, checked, while the block runs.

    Yields the spec with its knowledge base set (``OUT/kb.sqlite`` unless the
    configuration names one).

    Raises
    ------
    DataError
        ``out_dir`` is a file or cannot be created.
    BusyError
        Another process holds ``out_dir`` or the knowledge base.
    KnowledgeBaseError
        The knowledge base cannot be created, is damaged, or was written by a
        newer netal.
    """
    out = Path(out_dir)
    if spec.knowledge_base is None:
        spec = spec.replace(knowledge_base=str(out / "kb.sqlite"))
    kb = Path(spec.knowledge_base)
    with hold_folder(out):
        _make_folder_of(kb)
        with hold_file(kb, KB_HINT):
            check_knowledge_base(kb)
            yield spec


def _make_folder_of(kb: Path) -> None:
    """Create the knowledge base's folder, or say in one line why it cannot be."""
    try:
        kb.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KnowledgeBaseError(
            f"{kb}: cannot create its folder {kb.parent} ({exc.strerror or exc}); "
            "point the knowledge base elsewhere"
        ) from None


def check_plan_params(plan: BenchPlan, path: str | Path | None) -> None:
    """Check a bench's learner parameters and per-strategy parameters read from ``path``.

    Nothing to check without a file (the defaults are right by construction).

    Raises
    ------
    ConfigError
        Naming ``path`` and ``[learner.params.NAME]`` or
        ``[bench.strategy_params.STRATEGY.NAME]``.
    """
    if path is None:
        return
    base = plan.base
    check_call_params(LEARNERS.get(base.learner), base.learner_params, path, "learner.params")
    check_strategy_params(plan.strategy_params, path, "bench.strategy_params")
