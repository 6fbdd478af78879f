"""Network-centric data acquisition: measurement agents and their routes.

See :mod:`netal.acquisition.agents`: :func:`plan` assigns a batch of
measurement requests to pedestrian and driver agents and orders each agent's
stops with networkx's TSP heuristics; the plan reports travel and measurement
time per agent, in total and as the makespan.

See :mod:`netal.acquisition.joint`: joint data acquisition and annotation
under one cost budget (a pool that grows), with :data:`JOINT_POLICIES`
``joint``, ``annotate_only`` and ``random``.
"""

from netal.acquisition.agents import (
    ASSIGNERS,
    DEFAULT_SPEED_M_S,
    TSP_METHODS,
    Agent,
    AgentRoute,
    Distance,
    Plan,
    euclidean,
    local_xy,
    make_requests,
    order_stops,
    path_length,
    plan,
    twin_loop_distance,
)
from netal.acquisition.joint import (
    JOINT_POLICIES,
    JointConfig,
    JointResult,
    PlanningState,
    RegionGrid,
    make_test_set,
    price_blocks,
    run_joint_acquisition,
    twin_features,
)

__all__ = [
    "ASSIGNERS",
    "DEFAULT_SPEED_M_S",
    "JOINT_POLICIES",
    "TSP_METHODS",
    "Agent",
    "AgentRoute",
    "Distance",
    "JointConfig",
    "JointResult",
    "Plan",
    "PlanningState",
    "RegionGrid",
    "euclidean",
    "local_xy",
    "make_requests",
    "make_test_set",
    "order_stops",
    "path_length",
    "plan",
    "price_blocks",
    "run_joint_acquisition",
    "twin_features",
    "twin_loop_distance",
]
