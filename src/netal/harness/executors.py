"""Execution backends for the benchmark grid.

Every backend has the same small interface, :class:`Executor`:
``map_unordered(fn, items)`` yields ``(item, fn(item))`` pairs in completion
order, and the backend is a context manager that releases its workers.

* :class:`SerialExecutor` -- this process, in order (debugging, tests);
* :class:`LocalExecutor` -- ``jobs`` local worker processes
  (:class:`concurrent.futures.ProcessPoolExecutor`, *spawn* start method, one
  BLAS/OpenMP thread per worker so ``jobs`` workers use ``jobs`` cores); the
  workers die with the process that started them, even when it is killed
  with ``kill -9`` (:func:`die_with_parent`), so none is left holding a
  knowledge base;
* :class:`DaskExecutor` -- a Dask cluster given by its scheduler address
  (reached within :data:`CONNECT_TIMEOUT_S` or refused in one line), or a
  private :class:`dask.distributed.LocalCluster` on 127.0.0.1
  (``n_workers`` processes, one thread each, which Dask ends with their
  parent) when no address is given.

``fn`` must be picklable (a module-level function).  A cell's result depends
only on the cell (its seed), never on the backend or on which worker ran it:
every backend runs an item on :data:`CELL_THREADS` thread (torch intra-op,
BLAS and OpenMP), because the rounding of torch's products and reductions
depends on the thread count.  Across CPUs the kernels torch, MKL and numpy
dispatch to differ too; ``NETAL_REPRODUCIBLE=1`` pins them in the processes
the executors start (:data:`PORTABLE_ENVIRONMENT`: the same bytes on every
Intel CPU with AVX2, at a speed cost; ``docs/reproducibility.md``).
Use :func:`make_executor` to build one by name (the CLI's ``--executor``).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import platform
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, runtime_checkable

from netal._validation import check_positive_int
from netal.errors import DataWarning, NetalError, UnknownNameError

T = TypeVar("T")
R = TypeVar("R")

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

CELL_THREADS = 1
"""Torch intra-op, BLAS and OpenMP threads of every item, on every backend.

Worker processes start with this many (:data:`_THREAD_VARIABLES`, set before
numpy and torch load), and the items of :class:`SerialExecutor` run with
torch's and the BLAS libraries' counts lowered to it for their duration, so
``--jobs 1`` and ``--jobs N`` give the same bytes on a machine of any core
count (with torch's default, one thread per core, the case study's LSTM gave
other numbers in this process than in the workers).
"""

REPRODUCIBLE_VARIABLE = "NETAL_REPRODUCIBLE"
"""Environment variable of the opt-in to CPU-independent results (``1``, ``true`` or ``yes``)."""

PORTABLE_ENVIRONMENT: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "avx2",  # torch's own kernels: the AVX2 ones, also on AVX-512 CPUs
    "MKL_CBWR": "AVX2",  # MKL (torch's matrix products and vector math): its AVX2 code path
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # oneDNN (no netal learner uses it today)
    # numpy: up to AVX2 (a name this numpy does not dispatch is ignored with an ImportWarning)
    "NPY_DISABLE_CPU_FEATURES": "AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX "
    "AVX512_CNL AVX512_ICL AVX512_SPR",
    "OPENBLAS_CORETYPE": "Haswell",  # numpy's and scipy's OpenBLAS: the AVX2 kernels
}
"""The environment of the processes netal starts under ``NETAL_REPRODUCIBLE=1`` (x86-64).

The kernels an Intel CPU with AVX2 (Haswell, 2013, and later) uses by
default, so that an AVX-512 CPU computes like it: a seed gives the same
bytes on an AVX-512 Xeon and an AVX2 laptop.  Not on AMD CPUs: MKL honours
``MKL_CBWR=AVX2`` on Intel CPUs only and elsewhere takes its generic path,
whose vector math (torch's ``sqrt``, Adam's step) rounds differently; nor on
CPUs without AVX2, where torch and MKL fall back to other kernels
(:func:`pin_child_environment` warns on both).  Every variable is read when
its library loads, so it only acts on processes started after it is set:
worker processes, not the process that already imported numpy.
"""


def reproducible_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Whether :data:`REPRODUCIBLE_VARIABLE` asks for CPU-independent results."""
    value = (os.environ if environ is None else environ).get(REPRODUCIBLE_VARIABLE, "")
    return value.strip().lower() in ("1", "true", "yes", "on")


def _cpu_of(cpuinfo: str) -> tuple[str, set[str]]:
    """The vendor and the flags of the first processor of a ``/proc/cpuinfo`` text ("" and {} if unknown)."""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            break  # the end of the first processor
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields.get("vendor_id", ""), set(fields.get("flags", "").split())


def _cpu_caveat(vendor: str, flags: set[str]) -> str | None:
    """Why this CPU cannot give the bytes of an Intel CPU with AVX2 under the opt-in, or None."""
    if flags and not {"avx2", "fma"} <= flags:
        return "this CPU has no AVX2/FMA, so torch and MKL fall back to other kernels"
    if vendor and vendor != "GenuineIntel":
        return f"this CPU is {vendor} and MKL honours MKL_CBWR=AVX2 on Intel CPUs only"
    return None


def portable_environment(cpuinfo: str | None = None) -> dict[str, str]:
    """The variables that pin the CPU kernels: :data:`PORTABLE_ENVIRONMENT` on x86-64.

    Without AVX2 (by ``cpuinfo``, ``/proc/cpuinfo``'s text; read when None)
    ``OPENBLAS_CORETYPE`` is left out: OpenBLAS would run AVX2 kernels.
    Elsewhere than x86-64 only ``ATEN_CPU_CAPABILITY=default`` (torch's
    kernels without the CPU's vector extensions; not verified to be enough).
    """
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return {"ATEN_CPU_CAPABILITY": "default"}
    pinned = dict(PORTABLE_ENVIRONMENT)
    _, flags = _cpu_of(_read_cpuinfo() if cpuinfo is None else cpuinfo)
    if flags and "avx2" not in flags:
        del pinned["OPENBLAS_CORETYPE"]
    return pinned


def _read_cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:  # not Linux: nothing known
        return ""


def pin_child_environment() -> dict[str, str]:
    """Under ``NETAL_REPRODUCIBLE=1``, put :func:`portable_environment` into ``os.environ``.

    Processes started afterwards (the executors' workers) load their
    libraries with it; numpy refuses ``NPY_ENABLE_CPU_FEATURES`` beside
    ``NPY_DISABLE_CPU_FEATURES``, so it is removed.  Warns (once per
    process) when this CPU cannot give the bytes of an Intel CPU with AVX2
    (not Intel, or no AVX2).  Returns what was set (empty without the opt-in).
    """
    global _CAVEAT_SHOWN
    if not reproducible_requested():
        return {}
    cpuinfo = _read_cpuinfo()
    pinned = portable_environment(cpuinfo)
    os.environ.update(pinned)
    if "NPY_DISABLE_CPU_FEATURES" in pinned:
        os.environ.pop("NPY_ENABLE_CPU_FEATURES", None)
    caveat = _cpu_caveat(*_cpu_of(cpuinfo)) if "MKL_CBWR" in pinned else None
    if caveat is not None and not _CAVEAT_SHOWN:
        _CAVEAT_SHOWN = True
        warnings.warn(
            f"{REPRODUCIBLE_VARIABLE}=1: {caveat}; results will not match those of "
            "Intel CPUs with AVX2 (docs/reproducibility.md)",
            RuntimeWarning,
            stacklevel=2,
        )
    return pinned


_CAVEAT_SHOWN = False


@contextmanager
def cell_threads(n_threads: int = CELL_THREADS, *, load_torch: bool = True) -> Iterator[None]:
    """Run a block on ``n_threads`` torch, BLAS and OpenMP threads (restored afterwards).

    What every study cell runs under, so a seed gives the same bytes in this
    process as in a worker, on a machine of any core count.  Without
    ``load_torch``, torch is only limited when already imported (a worker
    started with :data:`_THREAD_VARIABLES` imports it with the right count);
    with it, torch is imported first, as this process's torch may have
    started with one thread per core.
    """
    # threadpoolctl and torch load only when an item runs (the CLI stays light)
    from threadpoolctl import threadpool_limits

    if load_torch or "torch" in sys.modules:
        from netal.models.seeding import torch_threads

        # torch first: threadpoolctl lowering OpenMP's count would hide torch's from it
        with torch_threads(n_threads), threadpool_limits(limits=n_threads):
            yield
        return
    with threadpool_limits(limits=n_threads):
        yield


def _run_item(fn: Callable[[T], R], item: T, n_threads: int, load_torch: bool) -> R:
    """``fn(item)`` under :func:`cell_threads`."""
    with cell_threads(n_threads, load_torch=load_torch):
        return fn(item)


@runtime_checkable
class Executor(Protocol):
    """Runs a function over items, yielding results as they complete."""

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        """Yield ``(item, fn(item))`` for every item, in completion order.

        An exception raised by ``fn`` propagates (with a note naming the item)
        when its item comes up; results yielded before stay valid.
        """
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...


class _Closing:
    """Context-manager plumbing shared by the executors."""

    def close(self) -> None:
        """Release workers (idempotent)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _note(exc: BaseException, item: Any) -> BaseException:
    describe = getattr(item, "canonical_json", None)
    exc.add_note(f"while running item {describe() if callable(describe) else item!r}")
    return exc


class SerialExecutor(_Closing):
    """Run items one after the other in this process, each on :data:`CELL_THREADS` thread.

    Torch's and the BLAS libraries' thread counts are lowered for the
    duration of an item and restored afterwards, so an item gives the same
    bytes here as in a worker process.  ``NETAL_REPRODUCIBLE=1`` cannot pin
    this process's CPU kernels (its libraries are loaded): start it with the
    variables of :func:`portable_environment` set, or use
    :func:`make_executor`, whose ``"serial"`` then runs one worker process.
    """

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        for item in items:
            try:
                result = _run_item(fn, item, CELL_THREADS, True)
            except Exception as exc:
                raise _note(exc, item) from None
            yield item, result


PARENT_POLL_S = 0.5
"""How often a worker checks that its parent is alive where no parent-death signal exists."""

CONNECT_TIMEOUT_S = 5.0
"""Seconds to reach a Dask scheduler before giving up with one line."""

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _parent_death_signal(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent ends; False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, interval: float) -> None:
    """Poll until the parent is gone (this process was re-parented), then end this process."""
    while os.getppid() == parent_pid:
        time.sleep(interval)
    os._exit(1)


def die_with_parent(parent_pid: int, interval: float = PARENT_POLL_S) -> None:
    """End this process as soon as process ``parent_pid`` (its parent) ends, however it ends.

    On Linux the kernel sends SIGKILL when the parent dies
    (``prctl(PR_SET_PDEATHSIG)``: immediate); everywhere a daemon thread also
    polls ``os.getppid()`` every ``interval`` seconds.  Work in flight is lost
    as on a ``kill -9``, which netal's stores and knowledge bases survive.

    The signal follows the *thread* that started this process, so start
    workers from a thread that outlives them (the executors do: the thread
    that calls ``map_unordered``).

    Parameters
    ----------
    parent_pid
        The pid of the process that started this one.
    interval
        Seconds between two polls of the fallback thread.
    """
    _parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent ended before the signal was armed
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent_pid, interval), name="netal-parent-watch", daemon=True
    ).start()


def _init_worker(n_threads: int, parent_pid: int) -> None:
    """Worker initializer: cap BLAS/OpenMP threads before numpy/torch are imported; die with the parent."""
    for name in _THREAD_VARIABLES:
        os.environ[name] = str(n_threads)
    if "torch" in sys.modules:  # imported at start-up (a sitecustomize): too late for the variables
        sys.modules["torch"].set_num_threads(n_threads)
    die_with_parent(parent_pid)
    # the main process loads every table before the cells run and shows its warnings once
    warnings.filterwarnings("ignore", category=DataWarning)


class LocalExecutor(_Closing):
    """``jobs`` local worker processes started with the *spawn* method.

    The workers end with this process, even when it is killed with ``kill -9``
    (:func:`die_with_parent`).

    Parameters
    ----------
    jobs
        Number of worker processes.
    threads_per_worker
        BLAS/OpenMP (and torch intra-op) threads per worker.  Results depend
        on it: only the default, :data:`CELL_THREADS`, gives the bytes of the
        other executors.

    Under ``NETAL_REPRODUCIBLE=1`` the workers start with
    :func:`portable_environment` (:func:`pin_child_environment`).
    """

    def __init__(self, jobs: int = 2, *, threads_per_worker: int = 1) -> None:
        self.jobs = check_positive_int(jobs, "jobs")
        self.threads_per_worker = check_positive_int(threads_per_worker, "threads_per_worker")
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            pin_child_environment()
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.threads_per_worker, os.getpid()),
            )
        return self._pool

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        items = list(items)
        if not items:
            return
        pool = self._get_pool()
        pending: dict[Future[R], T] = {
            pool.submit(_run_item, fn, item, self.threads_per_worker, False): item for item in items
        }
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    item = pending.pop(future)
                    try:
                        result = future.result()
                    except Exception as exc:
                        raise _note(exc, item) from None
                    yield item, result
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _dask_distributed(*names: str) -> tuple[Any, ...]:
    """Names from ``dask.distributed``, imported only when a Dask executor runs (an optional extra)."""
    try:
        import dask.distributed as distributed
    except ImportError:
        raise NetalError(
            "the Dask executor needs Dask: pip install 'netal[dask]' (or dask[distributed])"
        ) from None
    return tuple(getattr(distributed, name) for name in names)


class DaskExecutor(_Closing):
    """Run items on a Dask cluster.

    Every item runs on :data:`CELL_THREADS` thread.  Under
    ``NETAL_REPRODUCIBLE=1`` the private cluster's workers start with
    :func:`portable_environment`; the workers of an existing cluster must be
    started with it (``docs/reproducibility.md``).

    Parameters
    ----------
    address
        Scheduler address (``"tcp://host:8786"``) of an existing cluster; when
        ``None``, a private ``LocalCluster(n_workers, threads_per_worker=1,
        processes=True)`` bound to 127.0.0.1 is started and closed with the
        executor.
    n_workers
        Workers of the private local cluster (ignored with ``address``).
    """

    def __init__(self, address: str | None = None, *, n_workers: int = 2) -> None:
        self.address = address
        self.n_workers = check_positive_int(n_workers, "n_workers")
        self._client: Any = None
        self._cluster: Any = None

    def _get_client(self) -> Any:
        if self._client is None:
            Client, LocalCluster = _dask_distributed("Client", "LocalCluster")

            if self.address is None:
                pin_child_environment()
                self._cluster = LocalCluster(
                    n_workers=self.n_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
                self._client = Client(self._cluster)
            else:
                self._client = _connect(Client, self.address)
        return self._client

    def __enter__(self) -> Self:
        """Connect to a given scheduler now, so an unreachable one fails before any work."""
        if self.address is not None:
            self._get_client()
        return self

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        # dask is imported only when a Dask executor runs (third-party, heavy)
        (as_completed,) = _dask_distributed("as_completed")

        items = list(items)
        if not items:
            return
        client = self._get_client()
        futures = [
            client.submit(_run_item, fn, item, CELL_THREADS, True, pure=False) for item in items
        ]
        item_of = {future.key: item for future, item in zip(futures, items, strict=True)}
        try:
            for future in as_completed(futures):
                item = item_of[future.key]
                try:
                    result = future.result()
                except Exception as exc:
                    raise _note(exc, item) from None
                yield item, result
        finally:
            client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def _connect(client_class: Any, address: str) -> Any:
    """A Dask client of the scheduler at ``address``, or one line if it is not reached in time."""
    try:
        return client_class(address, timeout=CONNECT_TIMEOUT_S)
    except Exception as exc:  # refused, timed out, a bad address, or not a Dask scheduler at all
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NetalError(
            f"cannot connect to the Dask scheduler at {address!r} ({reason}); "
            "start it (dask scheduler) or check the address"
        ) from None


def _serial(jobs: int, address: str | None) -> Executor:
    # the opt-in pins the CPU kernels of processes started after it: run the items in a worker
    return LocalExecutor(1) if reproducible_requested() else SerialExecutor()


def _local(jobs: int, address: str | None) -> Executor:
    return LocalExecutor(jobs)


def _dask(jobs: int, address: str | None) -> Executor:
    return DaskExecutor(address, n_workers=jobs)


EXECUTORS: dict[str, Callable[[int, str | None], Executor]] = {
    "serial": _serial,
    "local": _local,
    "dask": _dask,
}
"""Executor factories by name: ``factory(jobs, address)``."""


def make_executor(name: str = "local", *, jobs: int = 2, address: str | None = None) -> Executor:
    """Build an executor by name: ``"local"`` (default), ``"dask"`` or ``"serial"``.

    Under ``NETAL_REPRODUCIBLE=1``, ``"serial"`` is one worker process
    (``LocalExecutor(1)``), whose CPU kernels can still be pinned.

    Parameters
    ----------
    name
        Backend name, a key of :data:`EXECUTORS`.
    jobs
        Worker processes (local pool, or the private Dask ``LocalCluster``).
    address
        Dask scheduler address; ``None`` starts a private local cluster.
    """
    try:
        factory = EXECUTORS[name]
    except KeyError:
        raise UnknownNameError("executor", name, list(EXECUTORS)) from None
    return factory(check_positive_int(jobs, "jobs"), address)
