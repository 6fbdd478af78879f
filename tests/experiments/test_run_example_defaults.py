"""examples/run-twin.toml says which of its values are the defaults: hold it to that."""

from __future__ import annotations

import re
from pathlib import Path

from netal.experiments.tabular import RunSpec
from netal.experiments.tabular.spec import flatten_toml, read_toml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "run-twin.toml"


def _keys_marked_not_default() -> set[str]:
    """``section.key`` of every line whose comment says ``default: ...`` (a value that is not the default)."""
    marked, section = set(), ""
    for line in EXAMPLE.read_text().splitlines():
        header = re.match(r"^\[([\w.]+)\]", line)
        if header:
            section = header.group(1)
        entry = re.match(r"^(\w+)\s*=.*#.*\bdefault:", line)
        if entry:
            marked.add(f"{section}.{entry.group(1)}")
    return marked


def test_unmarked_values_of_the_run_example_are_the_defaults():
    data = read_toml(EXAMPLE)
    fields = flatten_toml(data, EXAMPLE)
    defaults = RunSpec()
    marked = _keys_marked_not_default()
    assert marked >= {"data.max_pool", "data.max_test", "split.method", "strategy.name"}
    keys = {
        f"{s}.{k}": k for s, table in data.items() for k in table if not isinstance(table[k], dict)
    }
    checked = 0
    for key in keys:
        if key in marked or key == "budget.labels":  # budget.labels is iterations x batch_size
            continue
        field = {v: k for k, v in _field_map().items()}.get(key)
        if field is None:
            continue
        assert fields[field] == getattr(defaults, field), key
        checked += 1
    assert checked >= 10
    assert fields["learner_params"] == defaults.learner_params


def _field_map() -> dict[str, str]:
    from netal.experiments.tabular.spec import _FIELD_TO_KEY

    return _FIELD_TO_KEY


def test_a_table_path_in_data_options_is_relative_to_the_config(tmp_path):
    folder = tmp_path / "cfg"
    folder.mkdir()
    (folder / "t.csv").write_text("x,y\n1,2\n2,1\n3,4\n")
    config = folder / "run.toml"
    config.write_text('[data]\ndataset = "csv"\noptions = {path = "t.csv", target = "y"}\n')
    spec = RunSpec.from_toml(config)
    assert spec.dataset_options["path"] == str(folder / "t.csv")
