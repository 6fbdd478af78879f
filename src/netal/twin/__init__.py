"""netal.twin."""
