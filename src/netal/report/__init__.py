"""netal.report."""
