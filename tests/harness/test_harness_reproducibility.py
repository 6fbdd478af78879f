"""What is reproducible (docs/reproducibility.md): one thread per cell everywhere, and the opt-in that pins the kernels.

* A case-study cell gives the same bytes in this process (``SerialExecutor``,
  whatever torch's thread count here) and in a worker process; run by hand
  with two torch threads it gives other bytes, which is what the executors
  prevent.
* ``NETAL_REPRODUCIBLE=1`` starts the workers with the kernels an Intel CPU
  with AVX2 uses (torch, MKL, numpy, OpenBLAS): an AVX-512 machine then gives
  the bytes of an AVX2 machine, simulated by telling the libraries to use
  only AVX2 (on this machine that simulation gives the bytes of a
  QEMU-emulated Haswell, docs/reproducibility.md); without the opt-in the
  two give other bytes.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import torch

from netal.experiments.casestudy.cells import run_casestudy_cell
from netal.experiments.casestudy.config import CaseStudyConfig
from netal.experiments.casestudy.study import CaseStudy, run_casestudy
from netal.harness import LocalExecutor, SerialExecutor, executors, make_executor
from netal.harness.executors import (
    CELL_THREADS,
    PORTABLE_ENVIRONMENT,
    REPRODUCIBLE_VARIABLE,
    _cpu_caveat,
    _cpu_of,
    pin_child_environment,
    portable_environment,
    reproducible_requested,
)
from netal.models.seeding import torch_threads

X86_64 = platform.machine().lower() in ("x86_64", "amd64")

TINY = CaseStudyConfig(rows=2000, max_epochs=2, hidden=16, n_passes=5, iterations=1)
"""One arm, one seed: a few seconds, and its LSTM's bytes depend on threads and kernels."""

COLUMNS = ["iteration", "n_labels", "rmse", "mae", "q95", "test_mean_epistemic_var"]


def test_reproducible_requested_reads_the_variable() -> None:
    for value in ("1", "true", "YES", " on "):
        assert reproducible_requested({REPRODUCIBLE_VARIABLE: value})
    for value in ("", "0", "false", "no"):
        assert not reproducible_requested({REPRODUCIBLE_VARIABLE: value})
    assert not reproducible_requested({})


INTEL_AVX512 = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: sse2 avx fma avx2 avx512f\n\nprocessor\t: 1\n"


@pytest.mark.skipif(not X86_64, reason="the pinned kernels are x86-64 ones")
def test_portable_environment_is_an_avx2_intel_cpus_kernels() -> None:
    assert portable_environment(INTEL_AVX512) == PORTABLE_ENVIRONMENT
    assert PORTABLE_ENVIRONMENT["ATEN_CPU_CAPABILITY"] == "avx2"
    assert PORTABLE_ENVIRONMENT["MKL_CBWR"] == "AVX2"
    # without AVX2, OpenBLAS is not told to run AVX2 kernels
    old = INTEL_AVX512.replace(" fma avx2 avx512f", "")
    assert "OPENBLAS_CORETYPE" not in portable_environment(old)


def test_the_cpu_caveat_names_what_cannot_match() -> None:
    vendor, flags = _cpu_of(INTEL_AVX512)
    assert (vendor, flags) == ("GenuineIntel", {"sse2", "avx", "fma", "avx2", "avx512f"})
    assert _cpu_caveat(vendor, flags) is None
    assert "AuthenticAMD" in str(_cpu_caveat("AuthenticAMD", flags))
    assert "no AVX2" in str(_cpu_caveat("GenuineIntel", {"sse2", "avx"}))
    assert _cpu_caveat(*_cpu_of("")) is None  # unknown (not Linux): no warning


def test_the_opt_in_pins_the_children_and_makes_serial_a_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (*PORTABLE_ENVIRONMENT, "NPY_ENABLE_CPU_FEATURES"):
        monkeypatch.setenv(name, "unpinned")  # restored after the test, as every name below
    monkeypatch.delenv(REPRODUCIBLE_VARIABLE, raising=False)
    assert pin_child_environment() == {}
    assert os.environ["ATEN_CPU_CAPABILITY"] == "unpinned"
    assert isinstance(make_executor("serial"), SerialExecutor)

    monkeypatch.setenv(REPRODUCIBLE_VARIABLE, "1")
    monkeypatch.setattr(executors, "_CAVEAT_SHOWN", True)  # this test is not about the CPU
    pinned = pin_child_environment()
    assert pinned and all(os.environ[name] == value for name, value in pinned.items())
    if X86_64:
        assert "NPY_ENABLE_CPU_FEATURES" not in os.environ  # numpy refuses it beside DISABLE
    serial = make_executor("serial")
    assert isinstance(serial, LocalExecutor) and serial.jobs == 1


def test_torch_threads_restores_the_count() -> None:
    before = torch.get_num_threads()
    with torch_threads(before + 1):
        assert torch.get_num_threads() == before + 1
    assert torch.get_num_threads() == before


def _records(outcome_results: pd.DataFrame) -> pd.DataFrame:
    return outcome_results[COLUMNS].reset_index(drop=True)


def _run(tmp: Path, executor: object) -> pd.DataFrame:
    outcome = run_casestudy(
        TINY, strategies=("random",), seeds=[0], out_dir=tmp, executor=executor, report=False
    )
    return _records(outcome.results)


@pytest.mark.slow
def test_a_cell_gives_the_same_bytes_in_this_process_and_in_a_worker(tmp_path: Path) -> None:
    assert CELL_THREADS == 1
    with torch_threads(2):  # this process as on a 2-core machine (torch's default: one per core)
        serial = _run(tmp_path / "serial", SerialExecutor())
        assert torch.get_num_threads() == 2  # restored after the cell
        cell = CaseStudy(TINY, ("random",), str(tmp_path / "by-hand")).cells([0])[0]
        by_hand = _records(run_casestudy_cell(cell).table("records"))
    with LocalExecutor(1) as pool:
        worker = _run(tmp_path / "worker", pool)
    pd.testing.assert_frame_equal(serial, worker, check_exact=True)
    # Two threads give other bytes on some CPUs (an AVX-512 machine here) and the same on
    # others (AMD EPYC without AVX-512), so the test's power is that the executors really
    # lower the count, checked directly; by hand, the cell kept this process's two threads.
    with torch_threads(2):
        counts = [count for _, count in SerialExecutor().map_unordered(_thread_count, [0, 1])]
        assert torch.get_num_threads() == 2
    assert counts == [CELL_THREADS, CELL_THREADS]
    assert len(by_hand) == len(serial)


def _thread_count(_: int) -> int:
    return torch.get_num_threads()


PROBE = textwrap.dedent(
    f"""
    import json, sys
    from netal.experiments.casestudy.config import CaseStudyConfig
    from netal.experiments.casestudy.study import run_casestudy
    from netal.harness import make_executor

    if __name__ == "__main__":
        config = CaseStudyConfig(rows=2000, max_epochs=2, hidden=16, n_passes=5, iterations=1)
        with make_executor("serial") as executor:  # one worker process under NETAL_REPRODUCIBLE=1
            outcome = run_casestudy(config, strategies=("random",), seeds=[0], out_dir=sys.argv[1],
                                    executor=executor, report=False)
        records = outcome.results[{COLUMNS!r}]
        print(json.dumps(records.to_dict(orient="list")))
    """
)

OTHER_CPU = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",
    "NPY_DISABLE_CPU_FEATURES": "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL",
    "OPENBLAS_CORETYPE": "Haswell",
}
"""What an AVX2 machine's libraries would use, told to this machine's libraries."""


def _probe(tmp: Path, name: str, opt_in: bool, other_cpu: bool) -> dict[str, list[float]]:
    env = {k: v for k, v in os.environ.items() if k not in (*OTHER_CPU, REPRODUCIBLE_VARIABLE)}
    env.update(OTHER_CPU if other_cpu else {})
    if opt_in:
        env[REPRODUCIBLE_VARIABLE] = "1"
    script = tmp / "probe.py"
    script.write_text(PROBE)
    done = subprocess.run(
        [sys.executable, str(script), str(tmp / name)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.skipif(not X86_64, reason="the pinned kernels are x86-64 ones")
@pytest.mark.skipif(
    torch.backends.cpu.get_cpu_capability() != "AVX512",
    reason="simulates an AVX2 machine on an AVX-512 one",
)
@pytest.mark.skipif(
    X86_64 and _cpu_caveat(*_cpu_of(executors._read_cpuinfo())) is not None,
    reason="the opt-in promises an Intel AVX2 machine's bytes on Intel CPUs only (the run says why)",
)
def test_the_opt_in_gives_an_avx2_machines_bytes_on_an_avx512_one(tmp_path: Path) -> None:
    pinned = _probe(tmp_path, "pinned", opt_in=True, other_cpu=False)
    avx2_machine = _probe(tmp_path, "avx2-machine", opt_in=False, other_cpu=True)
    assert pinned == avx2_machine
    # the power of the test: without the opt-in the two machines give other bytes
    avx512_machine = _probe(tmp_path, "avx512-machine", opt_in=False, other_cpu=False)
    assert avx512_machine != avx2_machine
