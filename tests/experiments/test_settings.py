"""The study settings: one reader for every command, examples that load, defaults in one place."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from netal.acquisition.agents import parse_fleet
from netal.acquisition.joint import JointConfig
from netal.cli.main import app
from netal.configfile import defaults
from netal.errors import ConfigError, InvalidInputError
from netal.experiments.casestudy import CaseStudyConfig
from netal.experiments.network import run_stream_experiment, run_synthesis_experiment
from netal.experiments.settings import (
    AcquireArms,
    CaseStudyArms,
    StreamSettings,
    SynthSettings,
    load_acquire,
    load_casestudy,
    load_stream,
    load_synth,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


def test_examples_load_and_match_the_defaults_they_claim():
    assert load_stream(EXAMPLES / "stream.toml") == StreamSettings()
    assert load_synth(EXAMPLES / "synth.toml") == SynthSettings()
    assert load_acquire(EXAMPLES / "acquire.toml") == (JointConfig(), AcquireArms())
    config, arms = load_casestudy(EXAMPLES / "casestudy.toml")
    assert config == CaseStudyConfig(hidden=64)  # the one value the file marks "changed"
    assert arms == CaseStudyArms()


@pytest.mark.parametrize(
    ("runner_fn", "settings", "renamed"),
    [
        (run_stream_experiment, StreamSettings, {}),
        (
            run_synthesis_experiment,
            SynthSettings,
            {"n_candidates": "candidates", "guard_components": "max_components"},
        ),
    ],
)
def test_settings_defaults_equal_the_python_api_defaults(runner_fn, settings, renamed):
    fields = defaults(settings)
    for name, parameter in inspect.signature(runner_fn).parameters.items():
        field_name = renamed.get(name, name)
        if parameter.default is inspect.Parameter.empty or field_name not in fields:
            continue
        if name == "seeds":  # a seed list in Python, a count (+ first_seed) in settings
            assert list(parameter.default) == list(range(fields["seeds"]))
            continue
        default = parameter.default
        expected = tuple(default) if isinstance(default, list | tuple) else default
        assert fields[field_name] == expected, name


def _help_default(text: str) -> str | None:
    match = re.search(r"Default: ([^ ]+?)\.?$", text.strip())
    return match.group(1) if match else None


def _as_value(text: str, field_default: Any) -> Any:
    if text in ("no", "cap") or text == "no cap":
        return None
    if isinstance(field_default, dict):
        return parse_fleet(text)
    if isinstance(field_default, tuple):
        return tuple(text.split(","))
    if isinstance(field_default, bool) or field_default is None:
        return {"auto": None}.get(text, text)
    return type(field_default)(text)


COMMAND_SETTINGS = {
    "stream": ((StreamSettings,), {}),
    "synth": ((SynthSettings,), {}),
    "acquire": (
        (JointConfig, AcquireArms),
        {"initial_pool": "n_initial_pool", "initial_labels": "n_initial_labels"},
    ),
    "casestudy": (
        (CaseStudyConfig, CaseStudyArms),
        {"target_scaling": "standardize_target"},
    ),
}


@pytest.mark.parametrize("command", sorted(COMMAND_SETTINGS))
def test_help_states_the_settings_defaults(command):
    classes, renamed = COMMAND_SETTINGS[command]
    fields: dict[str, Any] = {}
    for cls in classes:
        fields.update(defaults(cls))
    click_command = typer.main.get_command(app).commands[command]
    checked = 0
    for param in click_command.params:
        stated = _help_default(getattr(param, "help", "") or "")
        name = renamed.get(param.name, param.name)
        if stated is None or name not in fields:
            continue
        if stated in ("no",):  # "Default: no cap."
            stated = "no cap"
        assert _as_value(stated, fields[name]) == fields[name], (command, param.name)
        checked += 1
    assert checked >= 6, f"{command}: only {checked} options state a default"


def test_flag_errors_name_the_flag_and_file_errors_the_key(tmp_path):
    with pytest.raises(InvalidInputError, match="--initial-labels"):
        load_acquire(None, {"n_initial_labels": 50}, flags={"n_initial_labels": "--initial-labels"})
    path = tmp_path / "a.toml"
    path.write_text("[acquire]\nn_initial_pool = 5\nn_initial_labels = 9\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[acquire.n_initial_labels\]"):
        load_acquire(path)
    path.write_text("[acquire]\nfleet = {cycling = 1}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[acquire.fleet\] unknown mode 'cycling'"):
        load_acquire(path)


def test_casestudy_rejects_bad_model_settings_before_work(tmp_path):
    path = tmp_path / "c.toml"
    for text, key in [
        ("dropout = 1.5", "dropout"),
        ("n_passes = 1", "n_passes"),
        ("dataset = 'nowhere'", "dataset"),
        ("strategies = ['nope']", "strategies"),
        ("max_pool = 0", "max_pool"),
    ]:
        path.write_text(f"[casestudy]\n{text}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=rf"\[casestudy.{key}\]"):
            load_casestudy(path)


@pytest.mark.parametrize("command", ["casestudy", "acquire", "stream", "synth"])
def test_cli_bad_config_is_one_line_naming_file_and_key(tmp_path, command):
    path = tmp_path / "bad.toml"
    path.write_text(f"[{command}]\nseeds = 'three'\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, [command, "--config", str(path), "--out", str(out)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0] == f"error: {path}: [{command}.seeds] must be an integer, got 'three'"
    assert not out.exists()


def test_cli_stream_runs_from_a_config_and_flags_win(tmp_path):
    path = tmp_path / "stream.toml"
    path.write_text(
        "[stream]\nbudget_rate = 0.2\nmanagers = ['split']\nseeds = 4\nrows = 200\n"
        "n_test = 40\nn_initial = 10\ncheckpoints = 2\nn_members = 2\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["stream", "-c", str(path), "--seeds", "1", "--jobs", "1", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["budget_rate"] == 0.2 and summary["rows"] == 200
    assert set(summary["arms"]) == {"random", "split"}
    assert summary["seeds"] == [0]
