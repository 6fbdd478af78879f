"""One reader for every netal configuration file: TOML in, frozen typed config objects out.

Every command's settings are frozen dataclasses that validate themselves in
``__post_init__`` (:class:`~netal.experiments.tabular.RunSpec`,
:class:`~netal.experiments.casestudy.CaseStudyConfig`,
:class:`~netal.acquisition.joint.JointConfig`, the settings of ``netal stream``
and ``netal synth``...).  This module turns a TOML file and the command-line
values into those objects, the same way for all of them:

* :func:`load_toml` reads the file: missing, unreadable, not UTF-8 or not TOML
  is one :class:`~netal.errors.ConfigError` naming the file;
* :func:`read_section` maps the keys of one ``[section]`` onto the fields of
  one or more dataclasses (a key is a field name), rejects unknown keys with
  the list of known ones, checks each value against the field's type hint
  (``int``, ``float``, ``str``, ``bool``, ``X | None``, ``tuple[T, ...]``,
  ``dict[str, T]``), resolves path fields against the file's folder, lets the
  command-line values win, and builds the objects;
* a value the dataclass itself refuses (a range, a name) is re-raised naming
  where it came from: ``file: [section.key] problem`` for the file, ``--flag:
  problem`` for the command line.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Knobs:
...     budget: float = 10.0
...     arms: tuple[str, ...] = ("random",)
>>> (knobs,) = read_section(None, "demo", (Knobs,), {"budget": 5})
>>> knobs
Knobs(budget=5.0, arms=('random',))
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from netal.errors import ConfigError, InvalidInputError, NetalError

T = TypeVar("T")

COMMAND_LINE = "<command line>"
"""The ``path`` of values that came from command-line flags."""


def load_toml(path: str | Path) -> tuple[str, dict[str, Any]]:
    """The text and the parsed content of the TOML file ``path``.

    Raises
    ------
    ConfigError
        The file is missing, unreadable, not UTF-8 or not valid TOML (naming
        the file and, for TOML errors, the line and column).
    """
    path = Path(path)
    if not path.is_file():
        problem = "is a directory, not a file" if path.is_dir() else "configuration file not found"
        raise ConfigError(str(path), "file", problem)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(str(path), "file", f"cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            str(path), "file", f"is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "file", f"not valid TOML ({exc})") from None


def read_toml(path: str | Path) -> dict[str, Any]:
    """The parsed content of the TOML file ``path`` (see :func:`load_toml`)."""
    return load_toml(path)[1]


def unknown_key_error(path: str | Path, key: str, known: Any) -> ConfigError:
    """The error for an unknown ``key`` of ``path``, listing the known keys."""
    return ConfigError(str(path), key, f"unknown key; known: {', '.join(sorted(known))}")


# ------------------------------------------------------------------ types


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        names = [_type_name(arg) for arg in typing.get_args(hint) if arg is not type(None)]
        optional = type(None) in typing.get_args(hint)
        return " or ".join(names) + (" (or absent)" if optional else "")
    if origin is tuple:
        return f"a list of {_PLURALS.get(typing.get_args(hint)[0], 'values')}"
    if origin is dict or hint is dict:
        return "a table"
    return _NAMES.get(hint, getattr(hint, "__name__", str(hint)))


_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
_PLURALS = {int: "integers", float: "numbers", str: "strings", bool: "booleans"}


def coerce(value: Any, hint: Any) -> Any:
    """``value`` (as TOML or a flag gives it) converted to the type ``hint``.

    Integers are accepted where a float is expected; lists become tuples; a
    table becomes the dataclass a field's hint names (its own keys checked).

    Raises
    ------
    TypeError
        With the expected type in words, e.g. ``"must be an integer, got 'big'"``.
    """
    origin = typing.get_origin(hint)
    if hint is Any:
        return value
    if origin in (types.UnionType, typing.Union):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return coerce(value, arg)
            except TypeError:
                continue
        raise TypeError(f"must be {_type_name(hint)}, got {value!r}")
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise TypeError(f"must be {_type_name(hint)}, got {value!r}")
        (item, *rest) = typing.get_args(hint)
        if rest and rest != [Ellipsis]:
            if len(value) != len(typing.get_args(hint)):
                raise TypeError(f"must be a list of {len(typing.get_args(hint))}, got {value!r}")
            return tuple(coerce(v, h) for v, h in zip(value, typing.get_args(hint), strict=True))
        return tuple(coerce(v, item) for v in value)
    if origin is dict or hint is dict:
        if not isinstance(value, Mapping):
            raise TypeError(f"must be a table, got {value!r}")
        args = typing.get_args(hint)
        inner = args[1] if len(args) == 2 else Any
        return {str(k): coerce(v, inner) for k, v in value.items()}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        if isinstance(value, hint):
            return value
        if not isinstance(value, Mapping):
            raise TypeError(f"must be a table, got {value!r}")
        hints, known = _hints(hint), field_names(hint)
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise TypeError(f"unknown key(s) {unknown}; known: {', '.join(sorted(known))}")
        try:
            return hint(**{k: coerce(v, hints[k]) for k, v in value.items()})
        except NetalError as exc:
            parameter = getattr(exc, "parameter", None) or _holder(value, exc) or ""
            raise TypeError(f"{parameter}: {getattr(exc, 'problem', None) or exc}") from None
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError(f"must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"must be a number, got {value!r}")
        if not math.isfinite(value):
            raise TypeError(f"must be a finite number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise TypeError(f"must be a string, got {value!r}")
        return value
    return value


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def field_names(cls: type) -> list[str]:
    """The init fields of the dataclass ``cls``."""
    return [f.name for f in dataclasses.fields(cls) if f.init]


def check_call_params(
    factory: Callable[..., Any], params: Mapping[str, Any], path: str | Path, section: str
) -> None:
    """Check ``params`` against the type hints of ``factory``'s parameters, before any call.

    For parameter tables passed straight to a learner or a strategy (``[learner.params]``):
    a value of the wrong type (``hidden = "big"``) is refused when the file is read, not when
    the object first uses it.  Parameters without a hint (or unknown to ``factory``) are left
    to ``factory`` itself.

    Parameters
    ----------
    factory
        A class (its ``__init__`` is read) or a function.
    params
        Parameter name -> value.
    path
        The file the values came from (named in the error).
    section
        Their table, e.g. ``"learner.params"``: errors name ``[section.NAME]``.

    Raises
    ------
    ConfigError
        ``path: [section.NAME] must be ..., got ...``.
    """
    target = factory.__init__ if isinstance(factory, type) else factory
    try:
        hints = typing.get_type_hints(target)
    except Exception:  # hints that do not resolve: nothing to check against
        return
    for key, value in params.items():
        hint = hints.get(key)
        if hint is None:
            continue
        try:
            coerce(list(value) if isinstance(value, tuple) else value, hint)
        except TypeError as exc:
            raise ConfigError(str(path), f"{section}.{key}", str(exc)) from None


# --------------------------------------------------------------- building


def build(
    cls: Callable[..., T],
    values: Mapping[str, Any],
    where: Callable[[str], tuple[str, str]],
) -> T:
    """``cls(**values)``, a :class:`NetalError` re-raised as :class:`ConfigError`.

    ``where(parameter)`` gives ``(path, key)`` of the value the error names
    (:data:`COMMAND_LINE` and the flag for command-line values).
    """
    try:
        return cls(**values)
    except ConfigError:
        raise
    except NetalError as exc:
        parameter = getattr(exc, "parameter", None) or _holder(values, exc) or ""
        problem = getattr(exc, "problem", None) or str(exc)
        path, key = where(str(parameter))
        raise _located(path, key, problem) from None


def _holder(values: Mapping[str, Any], exc: NetalError) -> str | None:
    """The field holding the unknown name of an :class:`~netal.errors.UnknownNameError`."""
    name = getattr(exc, "name", None)
    if name is None:
        return getattr(exc, "kind", None)
    for field_name, value in values.items():
        if value == name or (isinstance(value, tuple) and name in value):
            return field_name
    return getattr(exc, "kind", None)


def _located(path: str, key: str, problem: str) -> NetalError:
    if path == COMMAND_LINE:
        return InvalidInputError(key, problem)
    return ConfigError(path, key, problem)


def read_section(
    path: str | Path | None,
    section: str,
    classes: Sequence[type],
    overrides: Mapping[str, Any] | None = None,
    *,
    flags: Mapping[str, str] | None = None,
    path_fields: Sequence[str] = (),
    other_sections: Sequence[str] = (),
) -> tuple[Any, ...]:
    """Build one instance of each dataclass in ``classes`` from ``[section]`` of ``path``.

    Parameters
    ----------
    path
        The TOML file, or None (defaults and ``overrides`` only).
    section
        The table whose keys are field names of the classes (field names are
        distinct across ``classes``).  A file without it is fine (defaults).
    classes
        Frozen dataclasses that validate themselves on construction.
    overrides
        Field -> value from the command line; they win over the file.  Leave
        out the flags that were not given (``None`` is a value: "no cap").
    flags
        Field -> flag name (``"--budget"``), so errors in command-line values
        name the flag.
    path_fields
        Fields holding file or folder paths: relative paths in the file are
        resolved against the file's folder.
    other_sections
        Sections the file may hold besides ``section`` (read by another
        reader); any other section is an unknown key.

    Raises
    ------
    ConfigError
        Bad file, unknown section or key, a value of the wrong type or one
        the dataclass refuses (naming ``[section.key]``).
    InvalidInputError
        A command-line value the dataclass refuses (naming the flag).
    """
    owners: dict[str, type] = {}
    for cls in classes:
        for name in field_names(cls):
            owners[name] = cls
    file_label = str(path) if path is not None else COMMAND_LINE
    table: Mapping[str, Any] = {}
    if path is not None:
        data = read_toml(path)
        for name in data:
            if name != section and name not in other_sections:
                raise unknown_key_error(path, name, [section, *other_sections])
        table = data.get(section, {})
        if not isinstance(table, Mapping):
            raise ConfigError(file_label, section, f"must be a table, got {table!r}")
    given: dict[str, Any] = {}
    origin: dict[str, tuple[str, str]] = {}
    for key, value in table.items():
        if key not in owners:
            raise unknown_key_error(file_label, f"{section}.{key}", owners)
        hint = _hints(owners[key])[key]
        try:
            value = coerce(value, hint)
        except TypeError as exc:
            raise ConfigError(file_label, f"{section}.{key}", str(exc)) from None
        if key in path_fields and isinstance(value, str) and path is not None:
            value = str((Path(path).parent / value).resolve())
        given[key] = value
        origin[key] = (file_label, f"{section}.{key}")
    for key, value in (overrides or {}).items():
        if key not in owners:
            raise InvalidInputError("overrides", f"unknown setting {key!r}")
        flag = (flags or {}).get(key, f"--{key.replace('_', '-')}")
        try:
            value = coerce(value, _hints(owners[key])[key])
        except TypeError as exc:
            raise InvalidInputError(flag, str(exc)) from None
        given[key] = value
        origin[key] = (COMMAND_LINE, flag)

    def where(parameter: str) -> tuple[str, str]:
        if parameter in origin:
            return origin[parameter]
        if path is not None:
            return file_label, f"{section}.{parameter}" if parameter in owners else section
        return COMMAND_LINE, parameter or section

    return tuple(
        build(cls, {k: v for k, v in given.items() if owners[k] is cls}, where) for cls in classes
    )


def defaults(cls: type) -> dict[str, Any]:
    """Field -> default value of the dataclass ``cls`` (fields without a default left out)."""
    out = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out
