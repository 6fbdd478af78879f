"""netal.experiments."""
