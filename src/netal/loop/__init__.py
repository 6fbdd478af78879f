"""The active-learning loop, oracles, budgets, stopping criteria and knowledge base."""

from netal.loop.oracle import Oracle, OracleAnswer, ReplayOracle

__all__ = ["Oracle", "OracleAnswer", "ReplayOracle"]
