"""A small name -> factory registry used for strategies, learners and datasets."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar, overload

from netal.errors import UnknownNameError

T = TypeVar("T")
D = TypeVar("D")

_MISSING: Any = object()


class Registry(Mapping[str, Callable[..., T]], Generic[T]):
    """A read-only mapping of names to factories, so configs and the CLI can name components.

    A registry is a :class:`collections.abc.Mapping`: ``STRATEGIES["lcmd"]``,
    ``len(STRATEGIES)``, ``"lcmd" in STRATEGIES``, iteration (names, sorted),
    ``keys()``, ``values()`` and ``items()`` work as on a ``dict``.  It is
    read-only: the only way in is :meth:`register`; item assignment and
    deletion raise :class:`TypeError`.  An unknown name raises
    :class:`~netal.errors.UnknownNameError` (a ``KeyError``) with a one-line
    message listing the known names.

    Parameters
    ----------
    kind
        What is registered (used in error messages), e.g. ``"strategy"``.

    Notes
    -----
    :meth:`get` differs from ``Mapping.get`` in one respect, on purpose:
    without a ``default`` an unknown name raises (the clear error above)
    instead of returning ``None``; with a ``default`` it returns the default.

    Examples
    --------
    >>> strategies = Registry("strategy")
    >>> @strategies.register("random")
    ... class RandomSampling: ...
    >>> strategies["random"]
    <class 'netal.registry.RandomSampling'>
    >>> len(strategies), "random" in strategies, list(strategies)
    (1, True, ['random'])
    >>> strategies.get("bald", None) is None
    True
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator registering ``factory`` under ``name``.

        Raises
        ------
        ValueError
            If another factory is already registered under ``name``.
        """

        def decorator(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._factories and self._factories[name] is not factory:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._factories[name] = factory
            return factory

        return decorator

    def __getitem__(self, name: str) -> Callable[..., T]:
        """The factory registered under ``name``; :class:`UnknownNameError` if there is none."""
        try:
            return self._factories[name]
        except (KeyError, TypeError):  # TypeError: an unhashable key is not a name either
            raise UnknownNameError(self.kind, str(name), list(self._factories)) from None

    @overload
    def get(self, name: str) -> Callable[..., T]: ...

    @overload
    def get(self, name: str, default: D) -> Callable[..., T] | D: ...

    def get(self, name: str, default: Any = _MISSING) -> Any:
        """The factory registered under ``name``.

        Parameters
        ----------
        name
            A registered name.
        default
            Returned for an unknown name; without it an unknown name raises.

        Raises
        ------
        UnknownNameError
            For an unknown name when no ``default`` is given.
        """
        if default is not _MISSING and name not in self:
            return default
        return self[name]

    def create(self, name: str, /, **params: object) -> T:
        """Instantiate the component registered under ``name`` with ``params``."""
        return self[name](**params)

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        try:
            return name in self._factories
        except TypeError:
            return False

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._factories)

    def __setitem__(self, name: str, factory: object) -> None:
        raise TypeError(
            f"the {self.kind} registry is read-only; add a {self.kind} with "
            f"@register({name!r}) on its class or factory"
        )

    def __delitem__(self, name: str) -> None:
        raise TypeError(f"the {self.kind} registry is read-only; names cannot be removed")

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, names={self.names()!r})"
