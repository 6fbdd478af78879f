"""The active-learning loop, oracles, budgets, stopping criteria and knowledge base."""

from netal.loop.budget import Budget
from netal.loop.callbacks import Callback, IterationContext, TestSetMetrics
from netal.loop.knowledge import KnowledgeBase
from netal.loop.loop import ActiveLearningLoop, LearnerFactory, LoopResult, derive_seed
from netal.loop.oracle import Oracle, OracleAnswer, ReplayOracle
from netal.loop.retrain import (
    RETRAIN_POLICIES,
    RetrainPolicy,
    ScratchRetrain,
    WarmStartRetrain,
    make_retrain_policy,
)
from netal.loop.stopping import (
    BudgetExhausted,
    LoopState,
    MaxIterations,
    PoolExhausted,
    StoppingCriterion,
    UncertaintyPlateau,
)

__all__ = [
    "RETRAIN_POLICIES",
    "ActiveLearningLoop",
    "Budget",
    "BudgetExhausted",
    "Callback",
    "IterationContext",
    "KnowledgeBase",
    "LearnerFactory",
    "LoopResult",
    "LoopState",
    "MaxIterations",
    "Oracle",
    "OracleAnswer",
    "PoolExhausted",
    "ReplayOracle",
    "RetrainPolicy",
    "ScratchRetrain",
    "StoppingCriterion",
    "TestSetMetrics",
    "UncertaintyPlateau",
    "WarmStartRetrain",
    "derive_seed",
    "make_retrain_policy",
]
