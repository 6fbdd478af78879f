"""A user's own table: TableSpec forms, several files, times, filters, sentinels and the safe defaults."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netal.data import load_dataset
from netal.data.filters import filter_mask, parse_filter
from netal.data.table import (
    TableSpec,
    default_table_name,
    parse_inline,
    read_data_option,
    tables_from_toml,
)
from netal.errors import ConfigError, DataError, DataWarning, InvalidInputError

NON_ISO = "%a %b %d %H:%M:%S UTC %Y"


def _runs(tmp_path: Path, n_files: int = 3, rows: int = 40, seed: int = 0) -> Path:
    """A folder of drive-test CSVs with a non-ISO time column, like a user's export."""
    rng = np.random.default_rng(seed)
    folder = tmp_path / "drives"
    folder.mkdir()
    start = pd.Timestamp("2021-12-15 16:05:11")
    for k in range(n_files):
        rsrp = rng.uniform(-120, -70, rows)
        frame = pd.DataFrame(
            {
                "stamp": [
                    (start + pd.Timedelta(seconds=k * 1000 + i)).strftime(NON_ISO)
                    for i in range(rows)
                ],
                "rsrp": rsrp,
                "speed": rng.uniform(0, 30, rows),
                "mode": rng.choice(["walk", "drive"], rows),
                "direction": rng.choice(["dl", "ul"], rows),
                "tput": 10 + 2 * (rsrp + 120) + rng.normal(0, 5, rows),
            }
        )
        frame.to_csv(folder / f"run{k}.csv", index=False)
    return folder


def _load(**options: object):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        return load_dataset("csv", **options)


def test_a_folder_of_files_with_non_iso_times_is_one_table(tmp_path):
    folder = _runs(tmp_path)
    ds = _load(path=str(folder), target="tput", time="stamp", group="source_file")
    assert len(ds) == 120 and ds.name == "drives"
    assert ds.features == ["rsrp", "speed"] and ds.categorical == ["mode", "direction"]
    assert sorted(ds.frame["source_file"].unique()) == ["run0.csv", "run1.csv", "run2.csv"]
    assert pd.api.types.is_datetime64_any_dtype(ds.frame["stamp"])
    assert ds.frame["stamp"].iloc[0] == pd.Timestamp("2021-12-15 16:05:11")
    assert any("guessed" in note for note in ds.notes)
    assert len(ds.files) == 3 and ds.provenance()["features"] == ["rsrp", "speed"]


def test_a_glob_and_a_list_give_the_same_rows(tmp_path):
    folder = _runs(tmp_path)
    by_glob = _load(path=str(folder / "run*.csv"), target="tput", time="stamp")
    by_list = _load(
        path=[str(folder / f"run{k}.csv") for k in range(3)], target="tput", time="stamp"
    )
    pd.testing.assert_frame_equal(by_glob.frame, by_list.frame)


def test_an_explicit_time_format_and_a_wrong_one(tmp_path):
    folder = _runs(tmp_path, n_files=1)
    ds = _load(path=str(folder), target="tput", time="stamp", time_format=NON_ISO)
    assert ds.frame["stamp"].notna().all()
    with pytest.raises(DataError, match="time_format") as err:
        _load(path=str(folder), target="tput", time="stamp", time_format="%Y-%m-%d")
    assert err.value.line == 2 and err.value.column == "stamp" and "run0.csv" in err.value.path


def test_an_undeclared_time_column_is_refused_with_a_hint(tmp_path):
    folder = _runs(tmp_path, n_files=1)
    with pytest.raises(DataError, match=r"looks like a time.*time = 'stamp'"):
        _load(path=str(folder), target="tput")
    assert _load(path=str(folder), target="tput", drop=["stamp"]).categorical == [
        "mode",
        "direction",
    ]


def test_a_high_cardinality_text_column_is_an_error_naming_it(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame(
        {"cell": [f"c{i}" for i in range(60)], "x": range(60), "y": np.arange(60.0) ** 0.5}
    ).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"60 distinct values.*max_levels = 50") as err:
        _load(path=str(path), target="y")
    assert err.value.column == "cell"
    assert _load(path=str(path), target="y", group="cell").group == "cell"
    assert _load(path=str(path), target="y", max_levels=100).categorical == ["cell"]


def test_a_numeric_column_with_one_typo_is_not_turned_categorical(tmp_path):
    path = tmp_path / "t.csv"
    values = [str(v) for v in np.linspace(-100, -80, 30)]
    values[17] = "-9O"
    y = np.random.default_rng(0).uniform(1, 2, 30)
    pd.DataFrame({"rsrp": values, "y": y}).to_csv(path, index=False)
    with pytest.raises(DataError, match="numeric column holds the text '-9O'") as err:
        _load(path=str(path), target="y")
    assert err.value.line == 19 and err.value.column == "rsrp"
    fixed = _load(path=str(path), target="y", sentinels={"rsrp": ["-9O"]})
    assert fixed.features == ["rsrp"] and fixed.frame["rsrp"].isna().sum() == 1


def test_sentinels_become_missing_and_filters_keep_rows(tmp_path):
    folder = _runs(tmp_path, n_files=2)
    first = pd.read_csv(folder / "run0.csv")
    first.loc[3, "rsrp"] = 0
    first.to_csv(folder / "run0.csv", index=False)
    ds = _load(
        path=str(folder),
        target="tput",
        time="stamp",
        sentinels={"rsrp": [0]},
        filters=["direction == dl", "speed < 25"],
    )
    raw = pd.concat([pd.read_csv(folder / f"run{k}.csv") for k in range(2)], ignore_index=True)
    kept = raw[(raw.direction == "dl") & (raw.speed < 25)]
    assert len(ds) == len(kept)
    assert (ds.frame["direction"] == "dl").all()
    assert ds.frame["rsrp"].isna().sum() == int((kept.rsrp == 0).sum())
    assert any("sentinel" in note for note in ds.notes)


def test_infinite_and_absurd_values_name_file_line_and_column(tmp_path):
    folder = _runs(tmp_path, n_files=2)
    second = pd.read_csv(folder / "run1.csv")
    second["speed"] = second["speed"].astype(object)
    second.loc[5, "speed"] = "inf"
    second.to_csv(folder / "run1.csv", index=False)
    with pytest.raises(DataError, match=r"infinite value.*filters") as err:
        _load(path=str(folder), target="tput", time="stamp")
    assert (
        err.value.path.endswith("run1.csv") and err.value.line == 7 and err.value.column == "speed"
    )
    second.loc[5, "speed"] = 1e300
    second.to_csv(folder / "run1.csv", index=False)
    with pytest.raises(DataError, match="beyond max_abs") as err:
        _load(path=str(folder), target="tput", time="stamp")
    assert err.value.line == 7
    ok = _load(path=str(folder), target="tput", time="stamp", filters=["speed < 1e6"])
    assert len(ok) == 79


def test_a_missing_target_is_an_error_with_the_filter_that_drops_it(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("x,y\n1,2\n2,\n3,1\n4,5\n")
    with pytest.raises(DataError, match='filters = \\["y notna"\\]') as err:
        _load(path=str(path), target="y")
    assert err.value.line == 3
    assert len(_load(path=str(path), target="y", filters=["y notna"])) == 3


def test_a_likely_leak_is_a_warning_naming_the_column(tmp_path):
    folder = _runs(tmp_path, n_files=1)
    frame = pd.read_csv(folder / "run0.csv")
    frame["tput_kbps"] = frame["tput"] * 1000
    frame.to_csv(folder / "run0.csv", index=False)
    with pytest.warns(DataWarning, match="'tput_kbps' correlates"):
        ds = load_dataset("csv", path=str(folder), target="tput", time="stamp")
    assert ds.warnings and "tput_kbps" in ds.warnings[0]
    assert (
        "tput_kbps"
        not in _load(path=str(folder), target="tput", time="stamp", drop=["tput_kbps"]).features
    )


def test_one_usable_row_names_the_file(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("x,y\n1,2\n")
    with pytest.raises(DataError, match="1 usable row") as err:
        _load(path=str(path), target="y")
    assert "one.csv" in err.value.path


def test_files_of_one_table_must_agree(tmp_path):
    (tmp_path / "a.csv").write_text("x,y\n1,2\n2,3\n")
    (tmp_path / "b.csv").write_text("x,z\n1,2\n2,3\n")
    with pytest.raises(DataError, match=r"missing column.*y") as err:
        _load(path=str(tmp_path), target="y")
    assert err.value.path.endswith("b.csv")
    with pytest.raises(DataError, match="no file matches"):
        _load(path=str(tmp_path / "*.tsv"), target="y")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"no .csv or .parquet"):
        _load(path=str(tmp_path / "empty"), target="y")


def test_parquet_files_read_like_csv(tmp_path):
    folder = _runs(tmp_path, n_files=2)
    out = tmp_path / "pq"
    out.mkdir()
    for k in range(2):
        pd.read_csv(folder / f"run{k}.csv").to_parquet(out / f"run{k}.parquet")
    from_csv = _load(path=str(folder), target="tput", time="stamp")
    from_parquet = _load(path=str(out), target="tput", time="stamp")
    pd.testing.assert_frame_equal(
        from_csv.frame.drop(columns="source_file"),
        from_parquet.frame.drop(columns="source_file"),
        check_dtype=False,
    )


# ------------------------------------------------------------------ spec forms


def test_inline_words_and_toml_tables_build_the_same_spec(tmp_path):
    inline = parse_inline(
        "path=drives/ target=tput time=stamp features=rsrp,speed "
        "filters='direction == dl; speed < 25' sentinels=rsrp:0,rsrp:-999 units=tput:Mbit/s max_levels=20"
    )
    config = tmp_path / "tables.toml"
    config.write_text(
        '[tables.drives]\npath = "drives/"\ntarget = "tput"\ntime = "stamp"\n'
        'features = ["rsrp", "speed"]\nfilters = ["direction == dl", "speed < 25"]\n'
        'sentinels = {rsrp = [0, -999]}\nunits = {tput = "Mbit/s"}\nmax_levels = 20\n'
    )
    (from_file,) = read_data_option(str(config))
    assert from_file.path == (str(tmp_path / "drives/"),)  # relative to the file's folder
    assert inline.path == (str(Path.cwd() / "drives/"),)  # relative to the working directory
    for name in (
        "target",
        "time",
        "features",
        "filters",
        "sentinels",
        "units",
        "max_levels",
        "name",
    ):
        assert getattr(inline, name) == getattr(from_file, name), name
    assert from_file.sentinels == {"rsrp": (0.0, -999.0)}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("path=a.csv", "--data target"),
        ("target=y", "--data path"),
        ("path=a.csv target=y colour=red", "--data colour"),
        ("path=a.csv target=y max_levels=many", "--data max_levels"),
        ("path=a.csv target=y filters='x >> 1'", "--data filters"),
        ("path=a.csv target=y coords=lat", "--data coords"),
        ("path=a.csv target=y features=y", "--data features"),
        ("path=a.csv target=y group=g time=g", "--data time"),
        ("path=a.csv target=y name=twin", "--data name"),
        ("path=a.csv target=y sentinels=x", "--data sentinels"),
        ("path=a.csv target=y drop=y", "--data drop"),
        ("path=a.csv target=y task=ranking", "--data task"),
        ("path=a.csv target=y leak_threshold=-1", "--data leak_threshold"),
        ("path=a.csv 'target=y", "--data"),
        ("path=a.csv target", "--data"),
    ],
)
def test_bad_inline_specs_name_the_key(text, key):
    with pytest.raises(ConfigError) as err:
        parse_inline(text)
    assert err.value.key == key
    assert "\n" not in str(err.value)


def test_toml_table_errors_name_the_section_key(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[tables.a]\npath = "x.csv"\ntarget = "y"\nfeatures = "rsrp"\nmax_abs = 0\n')
    with pytest.raises(ConfigError, match=r"\[tables.a.max_abs\]"):
        tables_from_toml({"tables": {"a": {"path": "x.csv", "target": "y", "max_abs": 0}}}, config)
    with pytest.raises(ConfigError, match=r"\[tables.bad name\]"):
        tables_from_toml({"tables": {"bad name": {"path": "x.csv", "target": "y"}}}, config)
    with pytest.raises(ConfigError, match=r"\[tables.a.name\]"):
        tables_from_toml({"tables": {"a": {"path": "x.csv", "target": "y", "name": "b"}}}, config)


def test_default_names_and_options_round_trip():
    assert default_table_name(["drives/"]) == "drives"
    assert default_table_name(["x/2021 runs/*.csv"]) == "2021-runs"
    assert default_table_name(["a/twin.csv"]) == "twin-table"
    spec = TableSpec(path="a.csv", target="y", filters=("x > 1",), units={"y": "Mbit/s"})
    assert TableSpec(**spec.options()) == spec


# ------------------------------------------------------------------ filters


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("mode == walk", [0, 2]),
        ("mode != walk", [1, 3]),
        ("x >= 2", [1, 2, 3]),
        ("x < 2", [0]),
        ("mode in [walk, bike]", [0, 2, 3]),
        ("mode not in ['walk']", [1, 3]),
        ("z notna", [0, 1, 3]),
        ("z isna", [2]),
        ("x == 3", [2]),
    ],
)
def test_filters_keep_the_rows_they_say(text, kept):
    frame = pd.DataFrame(
        {"mode": ["walk", "car", "walk", "bike"], "x": [1, 2, 3, 4], "z": [1.0, 2.0, None, 3.0]}
    )
    assert np.flatnonzero(filter_mask(frame, (text,), "t")).tolist() == kept


def test_filter_errors():
    frame = pd.DataFrame({"mode": ["walk"], "x": [1]})
    with pytest.raises(InvalidInputError, match="no column 'y'"):
        filter_mask(frame, ("y == 1",), "t")
    with pytest.raises(InvalidInputError, match="needs a numeric column"):
        filter_mask(frame, ("mode > 1",), "t")
    with pytest.raises(InvalidInputError, match="no row of t is left after 'x > 5'"):
        filter_mask(frame, ("x > 5",), "t")
    with pytest.raises(InvalidInputError, match="cannot read"):
        parse_filter("just words")


def test_a_default_feature_named_like_a_time_or_id_is_warned_about(tmp_path):
    path = tmp_path / "t.csv"
    rng = np.random.default_rng(1)
    pd.DataFrame(
        {"Timestamp": np.arange(30.0), "cell_id": rng.integers(0, 5, 30), "rsrp": rng.normal(size=30),
         "y": rng.normal(size=30)}
    ).to_csv(path, index=False)  # fmt: skip
    with pytest.warns(DataWarning) as caught:
        ds = load_dataset("csv", path=str(path), target="y")
    named = " ".join(str(w.message) for w in caught)
    assert "'Timestamp'" in named and "'cell_id'" in named and "'rsrp'" not in named
    assert len(ds.warnings) == 2
    _load(path=str(path), target="y", features=["rsrp"])  # declared features: no warning
