"""netal.data."""
