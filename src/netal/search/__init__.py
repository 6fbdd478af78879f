"""Multi-objective architecture search over netal learners (Optuna): error, size and latency per deployment tier."""
