"""The ``netal`` command line (typer)."""
