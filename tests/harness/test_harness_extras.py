"""Optional extras: without Dask installed, asking for the Dask executor is one clear error."""

from __future__ import annotations

import sys

import pytest

from netal.errors import NetalError
from netal.harness.executors import make_executor


def test_the_dask_executor_without_dask_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if not installed
    with pytest.raises(NetalError, match=r"pip install 'netal\[dask\]'"):
        with make_executor("dask", jobs=1) as pool:
            list(pool.map_unordered(abs, [1]))


def test_the_core_imports_no_dask_distributed():
    """netal itself imports dask.distributed only for a Dask executor (scikit-learn may touch dask)."""
    import subprocess

    code = (
        "import sys, netal.experiments.tabular, netal.harness, netal.cli.main; "
        "print(any(m.startswith('dask.distributed') or m == 'distributed' for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
