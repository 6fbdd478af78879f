"""Exceptions raised by netal.

Every exception names the offending parameter, file, row or column so that a
user can fix the input without reading a traceback.  All derive from
:class:`NetalError`; the ones about bad values also derive from
:class:`ValueError` so generic ``except ValueError`` handlers still work.
"""

from __future__ import annotations


class NetalError(Exception):
    """Base class of every error netal raises on purpose.

    Errors pickle with their attributes (so an error raised in a worker
    process or on a Dask worker reaches the caller intact), whatever the
    subclass's ``__init__`` signature.
    """

    def __reduce__(self) -> tuple[object, ...]:
        return (_restore_error, (type(self), self.args, dict(self.__dict__)))


def _restore_error(cls: type[NetalError], args: tuple[object, ...], state: dict) -> NetalError:
    """Rebuild a pickled :class:`NetalError` without calling its ``__init__``."""
    error = Exception.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class InvalidInputError(NetalError, ValueError):
    """An argument has a bad value: NaN, infinite, wrong shape, out of range.

    Parameters
    ----------
    parameter
        Name of the offending parameter (e.g. ``"X_pool"``, ``"batch_size"``).
    problem
        What is wrong with it, in words.
    """

    def __init__(self, parameter: str, problem: str) -> None:
        self.parameter = parameter
        self.problem = problem
        super().__init__(f"{parameter}: {problem}")


class NonFiniteError(InvalidInputError):
    """An array holds NaN or infinite values."""


class ShapeMismatchError(InvalidInputError):
    """Arrays that must agree in shape do not."""


class EmptyPoolError(InvalidInputError):
    """The unlabeled pool has no samples left to select from."""


class BudgetError(InvalidInputError):
    """A budget is too small for even one query, or would be exceeded."""


class UnknownNameError(NetalError, KeyError):
    """A name (strategy, learner, dataset, ...) is not in its registry.

    Parameters
    ----------
    kind
        What was looked up, e.g. ``"strategy"``.
    name
        The name that was not found.
    known
        The names that are registered.
    """

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(known)
        super().__init__(name)

    def __str__(self) -> str:
        return f"unknown {self.kind} {self.name!r}; known: {', '.join(self.known)}"


class NotFittedError(NetalError, RuntimeError):
    """A learner was asked to predict before it was fitted."""


class DataError(NetalError, ValueError):
    """A data file is missing, truncated or malformed.

    Parameters
    ----------
    path
        The file (or archive member) concerned.
    problem
        What is wrong, in words.
    line, column
        Where, when known (1-based line number as a text editor shows it).
    """

    def __init__(
        self,
        path: str,
        problem: str,
        *,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = str(path)
        self.problem = problem
        self.line = line
        self.column = column
        where = self.path
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {problem}")


class DataWarning(UserWarning):
    """A data table loads, but something in it probably is not what the user meant (a likely leak)."""


class ConfigError(NetalError, ValueError):
    """A TOML configuration or scenario file has a bad key or value."""

    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        super().__init__(f"{self.path}: [{key}] {problem}")


class KnowledgeBaseError(NetalError, RuntimeError):
    """The knowledge base is inconsistent with the run asked for."""


class BusyError(NetalError, RuntimeError):
    """A file or folder is in use by another netal process (it holds its lock).

    Parameters
    ----------
    path
        The output folder or knowledge base concerned.
    holder
        Who holds it, as its lock file says (``"pid 4242: netal run a.toml"``).
    hint
        What to do instead.
    """

    def __init__(self, path: str, holder: str, hint: str) -> None:
        self.path = str(path)
        self.holder = holder
        self.hint = hint
        super().__init__(f"{self.path}: in use by another netal process ({holder}); {hint}")


class UnknownQueryError(InvalidInputError):
    """An answer names a query id that the run never handed out."""


class DuplicateAnswerError(InvalidInputError):
    """An answer for a query, or a sample, that already has one; nothing is recorded."""
