"""A damaged, foreign or unusable knowledge base is one line (check_knowledge_base, a resume).

Nothing is created by a check; a checkpoint whose bytes were damaged where SQLite cannot
see it (the tail of a blob) is refused when a run resumes from it.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from loop_helpers import linear_data

from netal.errors import KnowledgeBaseError
from netal.loop import ActiveLearningLoop, OracleAnswer, ReplayOracle
from netal.loop.knowledge import KnowledgeBase, check_knowledge_base
from netal.models import MCDropoutMLP

PAGE = 4096


def _knowledge_base(path: Path, n_runs: int = 300) -> Path:
    """A knowledge base of many pages (runs with 600-byte configurations), WAL checkpointed."""
    with KnowledgeBase(path) as kb:
        for k in range(n_runs):
            kb.open_run(f"run-{k}", {"padding": "x" * 600, "k": k}, seed=k)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    assert path.stat().st_size >= 20 * PAGE
    return path


def _zero_page(page: Callable[[int], int]) -> Callable[[bytearray], bytes]:
    def damage(data: bytearray) -> bytes:
        n_pages = len(data) // PAGE
        k = page(n_pages)
        data[k * PAGE : (k + 1) * PAGE] = bytes(PAGE)
        return bytes(data)

    return damage


@pytest.fixture(scope="module")
def intact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One many-page knowledge base, copied by the tests that damage it."""
    return _knowledge_base(tmp_path_factory.mktemp("intact") / "kb.sqlite")


DAMAGES = {
    "truncated": lambda data: bytes(data[: len(data) // 3]),
    "garbage": lambda data: b"this is not a database at all\n" * (len(data) // 30),
    "all zero pages": lambda data: bytes(len(data)),
    "zeroed header": lambda data: bytes(100) + bytes(data[100:]),
    "zeroed middle page": _zero_page(lambda n: n // 2),
    "zeroed last page": _zero_page(lambda n: n - 1),
    "zeroed second page": _zero_page(lambda n: 1),
}


@pytest.mark.parametrize("damage", list(DAMAGES), ids=list(DAMAGES))
def test_a_damaged_file_is_one_line_naming_it(tmp_path: Path, intact: Path, damage: str) -> None:
    path = Path(shutil.copyfile(intact, tmp_path / "kb.sqlite"))
    path.write_bytes(DAMAGES[damage](bytearray(path.read_bytes())))
    with pytest.raises(KnowledgeBaseError) as info:
        check_knowledge_base(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert "damaged" in message or "not a usable SQLite knowledge base" in message
    assert "move it away" in message
    with pytest.raises(KnowledgeBaseError):  # opening it says the same, before any work
        KnowledgeBase(path)


def test_an_intact_file_passes_and_is_not_changed(tmp_path: Path) -> None:
    path = _knowledge_base(tmp_path / "kb.sqlite", n_runs=3)
    before = path.read_bytes()
    check_knowledge_base(path)
    assert path.read_bytes() == before


def test_a_missing_file_passes_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "new" / "kb.sqlite"
    check_knowledge_base(path)
    assert not path.exists() and not path.parent.exists()


def test_a_folder_is_not_a_knowledge_base(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match=r"kb\.sqlite: is not a file"):
        (tmp_path / "kb.sqlite").mkdir()
        check_knowledge_base(tmp_path / "kb.sqlite")


def test_a_file_where_its_folder_should_be(tmp_path: Path) -> None:
    (tmp_path / "results").write_text("a file")
    path = tmp_path / "results" / "kb.sqlite"
    with pytest.raises(KnowledgeBaseError, match=r"cannot create the knowledge base, .* is a file"):
        check_knowledge_base(path)


def test_a_newer_schema_is_refused_before_opening(tmp_path: Path) -> None:
    path = _knowledge_base(tmp_path / "kb.sqlite", n_runs=1)
    connection = sqlite3.connect(path)
    with connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.close()
    with pytest.raises(KnowledgeBaseError, match=r"revision '9999' is newer than this netal"):
        check_knowledge_base(path)


class _StopAfter(ReplayOracle):
    """Answers ``n`` batches, then fails like an annotator who went home."""

    def __init__(self, labels: np.ndarray, n: int) -> None:
        super().__init__(labels)
        self.left = n

    def query(self, ids: Any) -> OracleAnswer:
        self.left -= 1
        if self.left < 0:
            raise ConnectionError("annotator went home")
        return super().query(ids)


def _loop(X: np.ndarray, oracle: Any, kb: Path) -> ActiveLearningLoop:
    return ActiveLearningLoop(
        X,
        oracle,
        lambda seed: MCDropoutMLP(hidden=(16,), epochs=3, n_passes=4, random_state=seed),
        "max_variance",
        initial_ids=np.arange(10),
        batch_size=4,
        max_iterations=4,
        retrain="warm",
        seed=3,
        knowledge_base=kb,
    )


def test_a_checkpoint_with_damaged_bytes_is_one_line_when_a_run_resumes(tmp_path: Path) -> None:
    X, y = linear_data(80, d=3, seed=2)
    path = tmp_path / "kb.sqlite"
    with pytest.raises(ConnectionError):
        _loop(X, _StopAfter(y, 2), path).run()
    connection = sqlite3.connect(path)  # zero the tail of the latest model version's bytes
    with connection:
        iteration, state = connection.execute(
            "SELECT iteration, state FROM checkpoints ORDER BY iteration DESC LIMIT 1"
        ).fetchone()
        damaged = state[: len(state) // 2] + bytes(len(state) - len(state) // 2)
        connection.execute(
            "UPDATE checkpoints SET state = ? WHERE iteration = ?", (damaged, iteration)
        )
    connection.close()
    with pytest.raises(KnowledgeBaseError) as info:
        _loop(X, ReplayOracle(y), path).run()
    message = str(info.value)
    assert f"the checkpoint of iteration {iteration} cannot be restored" in message
    assert "damaged" in message and "\n" not in message
