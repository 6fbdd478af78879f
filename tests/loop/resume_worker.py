"""Run the resume test's loop on a knowledge-base file (killed and restarted by the test)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loop_helpers import build_resume_loop

if __name__ == "__main__":
    result = build_resume_loop(sys.argv[1], sleep=float(sys.argv[2])).run()
    print(f"done {result.stop_reason} {result.iterations}", flush=True)
