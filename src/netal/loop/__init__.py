"""The active-learning loop, oracles, budgets, stopping criteria and knowledge base."""

from netal.loop.budget import Budget
from netal.loop.callbacks import Callback, IterationContext, TestSetMetrics
from netal.loop.knowledge import KnowledgeBase
from netal.loop.loop import ActiveLearningLoop, LearnerFactory, LoopResult
from netal.loop.oracle import Oracle, OracleAnswer, ReplayOracle
from netal.loop.queries import Answer, Query, TellResult
from netal.loop.retrain import (
    RETRAIN_POLICIES,
    RetrainPolicy,
    ScratchRetrain,
    WarmStartRetrain,
    make_retrain_policy,
)
from netal.loop.schedule import (
    EveryKAnswers,
    EveryRound,
    OnDemand,
    RetrainSchedule,
    make_schedule,
)
from netal.loop.seeds import derive_seed
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
    "Answer",
    "Budget",
    "BudgetExhausted",
    "Callback",
    "EveryKAnswers",
    "EveryRound",
    "IterationContext",
    "KnowledgeBase",
    "LearnerFactory",
    "LoopResult",
    "LoopState",
    "MaxIterations",
    "OnDemand",
    "Oracle",
    "OracleAnswer",
    "PoolExhausted",
    "Query",
    "ReplayOracle",
    "RetrainPolicy",
    "RetrainSchedule",
    "ScratchRetrain",
    "StoppingCriterion",
    "TellResult",
    "TestSetMetrics",
    "UncertaintyPlateau",
    "WarmStartRetrain",
    "derive_seed",
    "make_retrain_policy",
    "make_schedule",
]
