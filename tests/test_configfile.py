"""The one configuration reader: files, types, sections, command-line values, located errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from netal.configfile import check_call_params, coerce, defaults, load_toml, read_section
from netal.errors import ConfigError, InvalidInputError
from netal.registry import Registry

NAMES: Registry = Registry("fruit")
NAMES.register("apple")(object)
NAMES.register("pear")(object)


@dataclass(frozen=True)
class Knobs:
    budget: float = 10.0
    rounds: int = 3
    cap: int | None = None
    arms: tuple[str, ...] = ("apple",)
    fleet: dict[str, int] = field(default_factory=lambda: {"walking": 1})
    folder: str | None = None

    def __post_init__(self) -> None:
        if self.budget <= 0:
            raise InvalidInputError("budget", f"must be > 0, got {self.budget}")
        for name in self.arms:
            NAMES.get(name)


@dataclass(frozen=True)
class Seeds:
    seeds: int = 2
    verbose: bool = False


def _write(tmp_path: Path, text: str | bytes, name: str = "c.toml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_defaults_and_overrides_without_a_file():
    knobs, seeds = read_section(None, "demo", (Knobs, Seeds), {"rounds": 5, "verbose": True})
    assert knobs == Knobs(rounds=5)
    assert seeds == Seeds(verbose=True)


def test_file_values_are_typed_and_flags_win(tmp_path):
    path = _write(
        tmp_path,
        '[demo]\nbudget = 7\nrounds = 4\narms = ["pear", "apple"]\nfleet = {driving = 2}\nseeds = 9\n',
    )
    knobs, seeds = read_section(path, "demo", (Knobs, Seeds), {"rounds": 6})
    assert knobs.budget == 7.0 and isinstance(knobs.budget, float)
    assert knobs.rounds == 6  # the flag wins
    assert knobs.arms == ("pear", "apple")
    assert knobs.fleet == {"driving": 2}
    assert seeds.seeds == 9


def test_an_explicit_none_override_clears_a_file_value(tmp_path):
    path = _write(tmp_path, "[demo]\ncap = 5\n")
    (knobs,) = read_section(path, "demo", (Knobs,), {"cap": None})
    assert knobs.cap is None


def test_relative_paths_resolve_against_the_file_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    path = _write(tmp_path / "sub", '[demo]\nfolder = "../data"\n')
    (knobs,) = read_section(path, "demo", (Knobs,), path_fields=("folder",))
    assert knobs.folder == str((tmp_path / "data").resolve())


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("[demo]\nrounds = 'many'\n", "demo.rounds", "must be an integer"),
        ("[demo]\nrounds = true\n", "demo.rounds", "must be an integer"),
        ("[demo]\nbudget = nan\n", "demo.budget", "finite"),
        ("[demo]\nbudget = -1\n", "demo.budget", "must be > 0"),
        ("[demo]\narms = 'apple'\n", "demo.arms", "must be a list of strings"),
        ("[demo]\narms = ['plum']\n", "demo.arms", "unknown fruit 'plum'"),
        ("[demo]\nfleet = 3\n", "demo.fleet", "must be a table"),
        ("[demo]\nverbose = 1\n", "demo.verbose", "true or false"),
        ("[demo]\nrowndz = 1\n", "demo.rowndz", "unknown key; known: arms, budget"),
        ("[dmeo]\nrounds = 1\n", "dmeo", "unknown key; known: demo"),
        ("demo = 3\n", "demo", "must be a table"),
    ],
)
def test_bad_file_values_name_the_file_and_key(tmp_path, text, key, words):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        read_section(path, "demo", (Knobs, Seeds))
    assert info.value.path == str(path)
    assert info.value.key == key
    assert words in str(info.value)


def test_other_sections_are_allowed_when_named(tmp_path):
    path = _write(tmp_path, "[demo]\nrounds = 2\n[data]\nrows = 3\n")
    (knobs,) = read_section(path, "demo", (Knobs,), other_sections=("data",))
    assert knobs.rounds == 2


@pytest.mark.parametrize(
    ("overrides", "flag", "words"),
    [
        ({"budget": -2.0}, "--budget", "must be > 0"),
        ({"rounds": "x"}, "--rounds", "must be an integer"),
        ({"arms": ("plum",)}, "--fruits", "unknown fruit"),
    ],
)
def test_bad_command_line_values_name_the_flag(overrides, flag, words):
    with pytest.raises(InvalidInputError) as info:
        read_section(None, "demo", (Knobs,), overrides, flags={"arms": "--fruits"})
    assert info.value.parameter == flag
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"[demo\n", "not valid TOML"),
        (b"[demo]\nrounds = 2 # \xff\xfe\n", "not UTF-8"),
    ],
)
def test_unreadable_files_get_one_clear_error(tmp_path, content, words):
    path = _write(tmp_path, content)
    with pytest.raises(ConfigError, match=words):
        load_toml(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_toml(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="directory"):
        load_toml(tmp_path)


def test_coerce_converts_like_toml_users_expect():
    assert coerce(3, float) == 3.0
    assert coerce([1, 2], tuple[int, ...]) == (1, 2)
    assert coerce(None, int | None) is None
    assert coerce(4, str | int) == 4
    with pytest.raises(TypeError, match="an integer or a string"):
        coerce(1.5, int | str)
    with pytest.raises(TypeError):
        coerce(float("inf"), float)


def test_defaults_lists_every_field_default():
    assert defaults(Knobs)["fleet"] == {"walking": 1}
    assert defaults(Seeds) == {"seeds": 2, "verbose": False}


class _Learner:
    def __init__(
        self, hidden: tuple[int, ...] = (8,), dropout: float = 0.1, estimator: object = None
    ) -> None:
        self.hidden, self.dropout, self.estimator = hidden, dropout, estimator


@pytest.mark.parametrize(
    ("params", "key", "words"),
    [
        ({"hidden": "big"}, "hidden", "must be a list of integers, got 'big'"),
        ({"hidden": [8, "wide"]}, "hidden", "must be an integer, got 'wide'"),
        ({"dropout": "half"}, "dropout", "must be a number"),
        ({"dropout": float("nan")}, "dropout", "must be a finite number"),
    ],
)
def test_call_params_of_the_wrong_type_name_file_and_key(params, key, words):
    with pytest.raises(ConfigError) as info:
        check_call_params(_Learner, params, "run.toml", "learner.params")
    message = str(info.value)
    assert message.startswith(f"run.toml: [learner.params.{key}] ") and words in message


def test_call_params_of_the_right_type_or_without_a_hint_pass():
    check_call_params(
        _Learner, {"hidden": (64, 64), "dropout": 0.2, "estimator": "any", "unknown": 1}, "f", "s"
    )
