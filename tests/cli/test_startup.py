"""``netal --help`` stays fast: the command's start-up imports no data or learning library."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "torch", "sklearn", "scipy", "matplotlib", "river", "frouros", "sqlalchemy")


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys; import netal.cli.main; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"imported at start-up: {result.stdout.strip()}"
