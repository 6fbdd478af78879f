"""Network-centric data acquisition: measurement agents and their routes.

See :mod:`netal.acquisition.agents`: :func:`plan` assigns a batch of
measurement requests to pedestrian and driver agents and orders each agent's
stops with networkx's TSP heuristics; the plan reports travel and measurement
time per agent, in total and as the makespan.
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

__all__ = [
    "ASSIGNERS",
    "DEFAULT_SPEED_M_S",
    "TSP_METHODS",
    "Agent",
    "AgentRoute",
    "Distance",
    "Plan",
    "euclidean",
    "local_xy",
    "make_requests",
    "order_stops",
    "path_length",
    "plan",
    "twin_loop_distance",
]
