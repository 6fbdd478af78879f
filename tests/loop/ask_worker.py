"""Drive the resume test's loop by ask/tell for a few rounds, ask once more, print, then hang.

The test kills this process with SIGKILL between that last ``ask`` and its ``tell``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loop_helpers import build_resume_loop

from netal.loop import Answer

if __name__ == "__main__":
    loop = build_resume_loop(sys.argv[1])
    for _ in range(int(sys.argv[2])):
        queries = loop.ask()
        answer = loop.oracle.query([q.sample_id for q in queries])
        loop.tell(
            [
                Answer(q.query_id, label, cost)
                for q, label, cost in zip(queries, answer.labels, answer.costs, strict=True)
            ]
        )
    queries = loop.ask()
    print(json.dumps([[q.query_id, q.sample_id, q.score] for q in queries]), flush=True)
    time.sleep(600)
