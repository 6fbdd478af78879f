"""Execution backends for the benchmark grid.

Every backend has the same small interface, :class:`Executor`:
``map_unordered(fn, items)`` yields ``(item, fn(item))`` pairs in completion
order, and the backend is a context manager that releases its workers.

* :class:`SerialExecutor` -- this process, in order (debugging, tests);
* :class:`LocalExecutor` -- ``jobs`` local worker processes
  (:class:`concurrent.futures.ProcessPoolExecutor`, *spawn* start method, one
  BLAS/OpenMP thread per worker so ``jobs`` workers use ``jobs`` cores);
* :class:`DaskExecutor` -- a Dask cluster given by its scheduler address, or a
  private :class:`dask.distributed.LocalCluster` on 127.0.0.1
  (``n_workers`` processes, one thread each) when no address is given.

``fn`` must be picklable (a module-level function).  A cell's result depends
only on the cell (its seed), never on the backend or on which worker ran it.
Use :func:`make_executor` to build one by name (the CLI's ``--executor``).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, runtime_checkable

from netal._validation import check_positive_int
from netal.errors import UnknownNameError

T = TypeVar("T")
R = TypeVar("R")

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


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
    """Run items one after the other in this process."""

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        for item in items:
            try:
                result = fn(item)
            except Exception as exc:
                raise _note(exc, item) from None
            yield item, result


def _limit_threads(n_threads: int) -> None:
    """Worker initializer: cap BLAS/OpenMP threads before numpy/torch are imported."""
    for name in _THREAD_VARIABLES:
        os.environ[name] = str(n_threads)


class LocalExecutor(_Closing):
    """``jobs`` local worker processes started with the *spawn* method.

    Parameters
    ----------
    jobs
        Number of worker processes.
    threads_per_worker
        BLAS/OpenMP (and torch intra-op) threads per worker.
    """

    def __init__(self, jobs: int = 2, *, threads_per_worker: int = 1) -> None:
        self.jobs = check_positive_int(jobs, "jobs")
        self.threads_per_worker = check_positive_int(threads_per_worker, "threads_per_worker")
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_limit_threads,
                initargs=(self.threads_per_worker,),
            )
        return self._pool

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        items = list(items)
        if not items:
            return
        pool = self._get_pool()
        pending: dict[Future[R], T] = {pool.submit(fn, item): item for item in items}
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


class DaskExecutor(_Closing):
    """Run items on a Dask cluster.

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
            # dask is imported only when a Dask executor runs (third-party, heavy)
            from dask.distributed import Client, LocalCluster

            if self.address is None:
                self._cluster = LocalCluster(
                    n_workers=self.n_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
                self._client = Client(self._cluster)
            else:
                self._client = Client(self.address)
        return self._client

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        # dask is imported only when a Dask executor runs (third-party, heavy)
        from dask.distributed import as_completed

        items = list(items)
        if not items:
            return
        client = self._get_client()
        futures = [client.submit(fn, item, pure=False) for item in items]
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


def _serial(jobs: int, address: str | None) -> Executor:
    return SerialExecutor()


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
