"""The layers of netal, as a test: CI runs only pytest, so the import contracts run here.

The contracts are ``[tool.importlinter]`` in pyproject.toml (see docs/architecture.md,
"Layers"). A broken contract fails this test with import-linter's report, which names
every import that crosses a layer and the chain it goes through.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), (
        f"{lint_imports} not found: install the dev extra (pip install -e '.[dev]'), "
        "which brings import-linter"
    )
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"import contracts broken:\n{result.stdout}\n{result.stderr}"
    assert "0 broken" in result.stdout, result.stdout
