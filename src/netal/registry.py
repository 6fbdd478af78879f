"""A small name -> factory registry used for strategies, learners and datasets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from netal.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Map names to factories so configs and the CLI can refer to components by name.

    Parameters
    ----------
    kind
        What is registered (used in error messages), e.g. ``"strategy"``.

    Examples
    --------
    >>> strategies = Registry("strategy")
    >>> @strategies.register("random")
    ... class RandomSampling: ...
    >>> strategies.get("random")
    <class 'netal.registry.RandomSampling'>
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator registering ``factory`` under ``name``."""

        def decorator(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._factories and self._factories[name] is not factory:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._factories[name] = factory
            return factory

        return decorator

    def get(self, name: str) -> Callable[..., T]:
        """Return the factory registered under ``name`` or raise :class:`UnknownNameError`."""
        try:
            return self._factories[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, list(self._factories)) from None

    def create(self, name: str, /, **params: object) -> T:
        """Instantiate the component registered under ``name`` with ``params``."""
        return self.get(name)(**params)

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
