"""netal: network-centric active machine learning for AI-native 6G networks.

The package follows the learner / acquisition function / oracle cycle of
Alhussein et al., "Active ML for 6G: Towards Efficient Data Generation,
Acquisition, and Annotation" (2024).

Subpackages
-----------
models
    Learners that report epistemic and aleatoric uncertainty.
strategies
    Acquisition strategies, found by name through a registry.
loop
    The active-learning loop, oracles, budgets, stopping criteria and the
    SQLite knowledge base.
data
    Real network datasets, leakage-free splits and sliding windows.
twin
    The mmWave digital twin: data source, oracle and scenario generator.
"""

__version__ = "0.1.0"
