"""The documentation site builds, and the code it shows runs.

* ``mkdocs build --strict`` (warnings are errors: broken links and anchors, unresolved
  cross-references, docstrings griffe cannot parse) into a temporary folder, offline;
* every tutorial of ``docs/tutorials/`` in a subprocess on small settings, checking what it prints;
* the Python blocks of the getting-started, concepts and how-to pages, page by page, from a
  folder that has the repository's ``examples/`` (the pages say "from the repository root");
* the shell commands the pages add to the README's (``netal version``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
TUTORIALS = DOCS / "tutorials"
PAGES_WITH_CODE = [
    "getting-started.md",
    "concepts.md",
    "how-to/own-data.md",
    "how-to/dask.md",
    "how-to/closed-loop.md",
    "how-to/ask-tell.md",
]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        NO_MKDOCS_2_WARNING="1",  # Material's banner about MkDocs 2.0
        MPLBACKEND="Agg",
        OMP_NUM_THREADS="1",  # two pytest workers share two cores
        MKL_NUM_THREADS="1",
        PYTHONWARNINGS="ignore",
    )
    return env


def _run(args: list[str], cwd: Path, timeout: float = 300) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _tutorial(name: str, *args: str, cwd: Path) -> str:
    return _run([sys.executable, str(TUTORIALS / name), *args], cwd)


# ------------------------------------------------------------------ the site


def _offline() -> list[str]:
    """A prefix that runs a command without network (a new network namespace), where allowed."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []  # not permitted here (not root): the build still uses no remote resource


@pytest.mark.slow
def test_the_site_builds_strictly_and_offline(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _run(
        [
            *_offline(),
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(REPO / "mkdocs.yml"),
            "-d",
            str(site),
        ],
        cwd=REPO,
    )
    for page in [
        "index.html",
        "getting-started/index.html",
        "concepts/index.html",
        "results/index.html",
        "benchmarks/index.html",
        "architecture/index.html",
        "twin/index.html",
        "mapek/index.html",
        "changelog/index.html",
    ]:
        assert (site / page).is_file(), page
    for package in [
        "models",
        "strategies",
        "loop",
        "data",
        "twin",
        "stream",
        "synthesis",
        "acquisition",
        "mapek",
        "harness",
        "report",
        "experiments",
    ]:
        html = (site / "reference" / package / "index.html").read_text()
        assert f'id="netal.{package}.' in html, f"the {package} page documents no member"
    loop = (site / "reference" / "loop" / "index.html").read_text()
    assert 'id="netal.loop.ActiveLearningLoop.ask"' in loop  # inherited from the ask/tell facade
    assert ":class:`" not in loop  # Sphinx roles became cross-references (docs/_ext)
    # The tutorial pages show the scripts that the tests below run.
    for page, script in [
        ("pool-based", "01_pool_based_al.py"),
        ("own-data", "02_own_data.py"),
        ("closed-loop", "03_closed_loop.py"),
    ]:
        html = (site / "tutorials" / page / "index.html").read_text()
        first_def = re.search(r"^def (\w+)", (TUTORIALS / script).read_text(), re.M)
        assert first_def and first_def.group(1) in html, page
    assert "fonts.googleapis.com" not in (site / "index.html").read_text()


def test_every_page_is_in_the_nav() -> None:
    config = (REPO / "mkdocs.yml").read_text()
    for page in DOCS.rglob("*.md"):
        relative = page.relative_to(DOCS).as_posix()
        if not relative.startswith("_"):
            assert relative in config, f"{relative} is missing from the nav of mkdocs.yml"


# ---------------------------------------------------------------- tutorials

_CURVE = re.compile(r"^(random|lcmd)\s+(\d+)\s+(\d+)\s+([\d.]+)$", re.M)


@pytest.mark.slow
def test_tutorial_1_ask_tell_on_the_twin(tmp_path: Path) -> None:
    out = _tutorial(
        "01_pool_based_al.py", "--pool", "600", "--test", "600", "--rounds", "2", cwd=tmp_path
    )
    rows = [(m[0], int(m[1]), float(m[2]), float(m[3])) for m in _CURVE.findall(out)]
    for name in ("random", "lcmd"):
        curve = [row for row in rows if row[0] == name]
        assert [labels for _, labels, _, _ in curve] == [20, 30, 40], out
        seconds = [s for _, _, s, _ in curve]
        assert seconds[0] > 0 and seconds == sorted(seconds), out  # agent time only grows
        assert all(0 < rmse < 5000 for _, _, _, rmse in curve), out
        assert re.search(rf"^final {name}: labels=40 rmse=[\d.]+ Mbit/s$", out, re.M), out
    # Same initial set for both: the first round is the same model on the same labels.
    assert rows[0][1:] == next(r for r in rows if r[0] == "lcmd")[1:]


_FINAL = re.compile(r"^final (random|lcmd) seed (\d): labels=(\d+) rmse=([\d.]+)$", re.M)


@pytest.mark.slow
def test_tutorial_2_own_csv_folder_bench_and_resume(tmp_path: Path) -> None:
    args = ["--seeds", "2", "--iterations", "2", "--out", str(tmp_path / "bench")]
    first = _tutorial("02_own_data.py", *args, cwd=tmp_path)
    assert "table: 1000 rows, target dl_mbps" in first
    assert "categorical: mode" in first
    assert "sentinel value(s) of 'nr_rsrp_dbm' read as missing" in first
    assert "cells run: 4, already done: 0" in first
    finals = _FINAL.findall(first)
    assert sorted((s, seed) for s, seed, _, _ in finals) == [
        ("lcmd", "0"),
        ("lcmd", "1"),
        ("random", "0"),
        ("random", "1"),
    ]
    assert all(labels == "40" and float(rmse) > 0 for _, _, labels, rmse in finals)
    assert "| drives | lcmd |" in first  # the bench tables, paired against random
    assert (tmp_path / "bench" / "summary.md").is_file()
    again = _tutorial("02_own_data.py", *args, cwd=tmp_path)
    assert "cells run: 0, already done: 4" in again
    assert _FINAL.findall(again) == finals  # resumed, not rerun


_POLICY = re.compile(
    r"^(never|periodic|netal)\s+rmse=([\d.]+) after_change=([\d.]+|nan) labels=(\d+) "
    r"retrains=(\d+) promotions=(\d+) alarms=(\d+) detected=(\d)/1$",
    re.M,
)


@pytest.mark.slow
def test_tutorial_3_closed_loop_on_a_timeline(tmp_path: Path) -> None:
    out = _tutorial(
        "03_closed_loop.py", "--hours", "2", "--samples", "100", "--budget", "300", cwd=tmp_path
    )
    assert "stream: 1200 rows" in out and "changes at [3600] s" in out, out
    policies = {m[0]: m for m in _POLICY.findall(out)}
    assert set(policies) == {"never", "periodic", "netal"}, out
    assert policies["never"][4] == "0" and policies["never"][5] == "0"  # never retrains
    assert all(0 < int(p[3]) <= 300 for p in policies.values())  # within the label budget
    assert all(float(p[1]) > 0 for p in policies.values())
    assert "deployed_version" in out and re.search(r"^\s*period\s+time_s\s+kind\s+name$", out, re.M)


# ------------------------------------------------- code blocks of the pages


def _python_blocks(page: Path) -> str:
    blocks = re.findall(r"^```python\n(.*?)^```", page.read_text(), flags=re.S | re.M)
    assert blocks, f"{page} has no Python block"
    return "\n".join(blocks)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES_WITH_CODE)
def test_the_python_blocks_of_a_page_run(page: str, tmp_path: Path) -> None:
    (tmp_path / "examples").symlink_to(REPO / "examples")
    script = tmp_path / "blocks.py"
    script.write_text(_python_blocks(DOCS / page))
    out = _run([sys.executable, str(script)], cwd=tmp_path)
    assert out.strip(), f"{page}: the blocks print nothing"


NETAL = Path(sys.executable).parent / "netal"


def test_netal_version_as_the_getting_started_page_says(tmp_path: Path) -> None:
    assert "netal version" in (DOCS / "getting-started.md").read_text()
    out = _run([str(NETAL), "version"], cwd=tmp_path)
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*\n", out), out


@pytest.mark.parametrize(
    "data",
    [
        "path=examples/own-data/drives/ target=dl_mbps time=timestamp group=source_file",
        "examples/own-data/drives.toml",
    ],
)
def test_describe_own_data_as_the_how_to_says(data: str) -> None:
    page = (DOCS / "how-to" / "own-data.md").read_text()
    assert f'netal data describe --data "{data}"' in page or f"--data {data}" in page
    out = _run([str(NETAL), "data", "describe", "--data", data], cwd=REPO)
    assert "read 1,200 rows from 4 file(s)" in out, out
