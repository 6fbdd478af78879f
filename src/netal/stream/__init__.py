"""Stream-based active learning (seed paper, sec. II.C): decide on each sample as it arrives.

* :func:`stream_from_frame` / :func:`stream_from_dataset` put a table in
  arrival (time) order as features and labels;
* budget managers (:data:`BUDGET_MANAGERS`: ``fixed_rate``,
  ``variable_uncertainty``, ``split``; Zliobaite et al., IEEE TNNLS 2014)
  decide whether to buy each label, never exceeding the budget rate;
* :func:`run_stream` runs the learner over the stream with prequential
  (test-then-train) evaluation and held-out checkpoints.

Example::

    from netal.models import BaggingCommittee
    from netal.stream import make_budget_manager, run_stream, stream_from_frame
    from netal.twin import generate

    frame = generate(3000, seed=0)
    data = stream_from_frame(frame, "Throughput", ["latitude", "longitude", "movingSpeed"],
                             categorical=["mobility_mode"])
    result = run_stream(BaggingCommittee(n_members=5, random_state=0), data.X, data.y,
                        make_budget_manager("variable_uncertainty", budget=0.05),
                        rng=np.random.default_rng(0), update="refit", update_every=10)
    result.to_frame()
"""

from netal.stream import fixed_rate, split, variable_uncertainty  # noqa: F401  (registration)
from netal.stream.budget import (
    BUDGET_MANAGERS,
    BudgetManager,
    RunningBudget,
    make_budget_manager,
)
from netal.stream.data import StreamData, stream_from_dataset, stream_from_frame
from netal.stream.fixed_rate import FixedRate
from netal.stream.run import UPDATES, StreamResult, epistemic_std, run_stream
from netal.stream.split import Split
from netal.stream.variable_uncertainty import AdaptiveThreshold, VariableUncertainty

__all__ = [
    "BUDGET_MANAGERS",
    "UPDATES",
    "AdaptiveThreshold",
    "BudgetManager",
    "FixedRate",
    "RunningBudget",
    "Split",
    "StreamData",
    "StreamResult",
    "VariableUncertainty",
    "epistemic_std",
    "make_budget_manager",
    "run_stream",
    "stream_from_dataset",
    "stream_from_frame",
]
