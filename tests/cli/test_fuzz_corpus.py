"""The CLI fuzz corpus: every command, fed bad flags, configs, tables and scenarios, fails cleanly.

Each case asserts: a non-zero exit, exactly one line on stderr (``error: ...``),
no traceback anywhere, the offending flag/file/key/column named in that line,
and no work done (no ``cells/`` folder).  Cases that used to give a *silent
wrong result* (exit 0) assert the error, never the output.  A hypothesis test
grows the corpus with random keys and values in every command's config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from netal.cli.main import app

runner = CliRunner()
OWN_DATA = Path(__file__).resolve().parents[2] / "examples" / "own-data" / "drives"


@dataclass(frozen=True)
class Case:
    """One bad invocation: ``args`` (``{d}``: a fresh folder), files to write first, what the error names."""

    id: str
    args: tuple[str, ...]
    named: tuple[str, ...]
    files: dict[str, str | bytes] = field(default_factory=dict)


def _case(id: str, args: str | list[str], *named: str, **files: str | bytes) -> Case:
    argv = args.split() if isinstance(args, str) else args
    return Case(id, tuple(argv), named, {k.replace("__", "."): v for k, v in files.items()})


# ---------------------------------------------------------------- flags

INT_FLAGS = {
    "casestudy": ["--seeds", "--first-seed", "--rows", "--iterations", "--batch-size", "--max-epochs",
                  "--hidden", "--passes", "--jobs"],
    "stream": ["--seeds", "--first-seed", "--rows", "--n-test", "--n-initial", "--checkpoints", "--jobs"],
    "bench": ["--seeds", "--iterations", "--batch-size", "--n-initial", "--max-pool", "--max-test",
              "--rows", "--jobs"],
    "acquire": ["--seeds", "--first-seed", "--iterations", "--max-actions", "--acquire-size",
                "--initial-pool", "--initial-labels", "--n-test", "--jobs"],
    "synth": ["--seeds", "--first-seed", "--rows", "--iterations", "--batch-size", "--n-initial",
              "--candidates", "--max-components", "--epochs", "--n-test", "--jobs"],
    "mapek run": ["--seeds", "--first-seed", "--label-budget", "--labels", "--every", "--max-rows", "--jobs"],
}  # fmt: skip

FLAG_CASES = [
    _case(f"{command}{flag}=abc", [*command.split(), flag, "abc"], flag)
    for command, flags in INT_FLAGS.items()
    for flag in flags
] + [
    _case(f"{command}{flag}=-5", [*command.split(), flag, "-5"], flag)
    for command, flags in INT_FLAGS.items()
    for flag in flags[:3]
] + [
    _case(f"{command}--bogus", [*command.split(), "--bogus"], "--bogus")
    for command in [*INT_FLAGS, "run x.toml", "report {d}", "data describe ucc5g", "twin generate",
                    "loop ask x.toml", "data list"]
]  # fmt: skip

VALUE_CASES = [
    _case("casestudy-protocol", "casestudy --protocol sloppy", "protocol", "sloppy"),
    _case("casestudy-dataset", "casestudy --dataset nosuch", "nosuch"),
    _case("casestudy-strategy", "casestudy --strategies lcmd,nosuch", "nosuch"),
    _case("casestudy-retrain", "casestudy --retrain sometimes", "retrain"),
    _case("casestudy-scaling", "casestudy --target-scaling huge", "--target-scaling"),
    _case("casestudy-fraction", "casestudy --labeled-fraction 2", "--labeled-fraction"),
    _case("casestudy-executor", "casestudy --executor gpu", "executor"),
    _case("stream-dataset", "stream --dataset nosuch", "nosuch"),
    _case("stream-rate-high", "stream --budget-rate 1.5", "budget-rate"),
    _case("stream-rate-zero", "stream --budget-rate 0", "budget-rate"),
    _case("stream-rate-nan", "stream --budget-rate nan", "budget"),
    _case("stream-manager", "stream --managers nosuch", "nosuch"),
    _case("stream-rows-small", "stream --rows 5", "rows"),
    _case("bench-dataset", "bench --datasets twin,nosuch", "nosuch"),
    _case("bench-strategy", "bench --strategies nosuch", "nosuch"),
    _case("bench-executor", "bench --executor gpu", "executor"),
    _case("acquire-policy", "acquire --policies nosuch", "nosuch"),
    _case("acquire-budget", "acquire --budget -3", "budget"),
    _case("acquire-budget-inf", "acquire --budget inf", "budget"),
    _case("acquire-fleet", "acquire --fleet flying=2", "flying"),
    _case("acquire-fleet-count", "acquire --fleet walking=0", "walking"),
    _case("synth-generator", "synth --generator nosuch", "nosuch"),
    _case("synth-guard", "synth --guard-quantile 1.5", "guard"),
    _case("mapek-policy", "mapek run --policies nosuch", "nosuch"),
    _case("mapek-dataset", "mapek run --dataset nosuch", "nosuch"),
    _case("mapek-spot", "mapek run --spot-rate 2", "spot"),
    _case("mapek-period", "mapek run --period-s -1", "period"),
    _case("mapek-change-on", "mapek run --change-on mode", "change-on"),
    _case("mapek-timeline-missing", "mapek run {d}/nope.toml", "nope.toml"),
    _case("data-describe-unknown", "data describe nosuch", "nosuch"),
    _case("data-describe-none", "data describe", "NAME"),
    _case("data-describe-option", "data describe ucc5g -o colour=red", "colour"),
    _case("data-describe-option-form", "data describe ucc5g -o colour", "--option"),
    _case("data-fetch-unknown", "data fetch nosuch", "nosuch"),
    _case("data-fetch-csv", "data fetch csv", "csv"),
    _case("twin-generate-rows", "twin generate --rows 0 --out {d}/t.csv", "rows"),
    _case("twin-generate-suffix", "twin generate --rows 50 --out {d}/t.xlsx", "--out", ".xlsx"),
    _case(
        "twin-generate-scenario",
        "twin generate --rows 50 --scenario nosuch --out {d}/t.csv",
        "nosuch",
    ),
    _case("twin-scenario-unknown", "twin scenario nosuch", "nosuch"),
    _case("twin-timeline-missing", "twin timeline {d}/nope.toml --out {d}/s.parquet", "nope.toml"),
    _case("report-missing", "report {d}/nothing", "nothing"),
    _case("report-empty", "report {d}", "{d}"),
    _case("run-missing", "run {d}/nope.toml", "nope.toml"),
    _case("run-directory", "run {d}", "directory"),
    _case("loop-ask-missing", "loop ask {d}/nope.toml", "nope.toml"),
    _case("loop-tell-missing", "loop tell {d}/nope.toml {d}/answers.csv", "answers.csv"),
    _case("command-unknown", "frobnicate", "frobnicate"),
]

# ---------------------------------------------------------------- config files

STUDY_SECTIONS = {"casestudy": "casestudy", "stream": "stream", "acquire": "acquire", "synth": "synth",
                  "mapek run": "mapek"}  # fmt: skip
BAD_VALUES = {
    "casestudy": [("rows", "-3"), ("protocol", '"sloppy"'), ("strategies", '["nosuch"]'),
                  ("iterations", '"ten"'), ("labeled_fraction", "1.5"), ("dropout", "nan"),
                  ("seeds", "0"), ("hidden", "[1, 2]")],
    "stream": [("budget_rate", "2.0"), ("managers", '["nosuch"]'), ("rows", "true"),
               ("n_members", "0"), ("dataset", "3")],
    "acquire": [("budget", "-1.0"), ("policies", '["nosuch"]'), ("fleet", '{flying = 1}'),
                ("iterations", '"many"'), ("seeds", "-2")],
    "synth": [("generator", '"nosuch"'), ("guard_quantile", "7.0"), ("rows", '"lots"'),
              ("seeds", "0")],
    "mapek run": [("spot_rate", "3.0"), ("policies", '["nosuch"]'), ("period_s", "0"),
                  ("label_budget", '"big"')],
}  # fmt: skip


def _config_cases() -> list[Case]:
    cases = []
    for command, section in STUDY_SECTIONS.items():
        argv = [*command.split(), "--config", "{d}/c.toml"]
        name = command.replace(" ", "-")
        cases += [
            _case(
                f"{name}-config-missing",
                [*command.split(), "--config", "{d}/none.toml"],
                "none.toml",
            ),
            _case(f"{name}-config-dir", [*command.split(), "--config", "{d}"], "directory"),
            _case(
                f"{name}-config-latin1",
                argv,
                "c.toml",
                "UTF-8",
                c__toml="# caf\xe9\n".encode("latin-1"),
            ),
            _case(f"{name}-config-not-toml", argv, "c.toml", "TOML", c__toml="[section\nkey = \n"),
            _case(
                f"{name}-config-section",
                argv,
                "c.toml",
                "nosection",
                c__toml="[nosection]\nx = 1\n",
            ),
            _case(
                f"{name}-config-key",
                argv,
                f"{section}.colour",
                c__toml=f"[{section}]\ncolour = 1\n",
            ),
        ]
        for key, value in BAD_VALUES[command]:
            cases.append(
                _case(
                    f"{name}-config-{key}",
                    argv,
                    "c.toml",
                    f"{section}.{key}",
                    c__toml=f"[{section}]\n{key} = {value}\n",
                )
            )
    return cases


RUN_BAD = [
    ("run-section", "[nosuch]\nx = 1\n", "nosuch"),
    ("run-key", "[data]\ncolour = 1\n", "data.colour"),
    ("run-dataset", '[data]\ndataset = "nosuch"\n', "nosuch"),
    ("run-strategy", '[strategy]\nname = "nosuch"\n', "nosuch"),
    ("run-learner", '[learner]\nname = "nosuch"\n', "nosuch"),
    ("run-learner-param", "[learner.params]\nwidth = 3\n", "width"),
    ("run-split", '[split]\nmethod = "diagonal"\n', "split"),
    ("run-fraction", "[split]\ntest_fraction = 1.5\n", "test_fraction"),
    ("run-fractions-sum", "[split]\ntest_fraction = 0.6\nval_fraction = 0.5\n", "val_fraction"),
    ("run-iterations", '[loop]\niterations = "x"\n', "loop.iterations"),
    ("run-batch", "[loop]\nbatch_size = 0\n", "batch_size"),
    ("run-retrain", '[loop]\nretrain = "hot"\n', "retrain"),
    ("run-reinit", "[loop]\nreinit_every = 2\n", "reinit_every"),
    ("run-budget", "[budget]\nlabels = -1\n", "budget"),
    ("run-budget-cost", "[budget]\ncost = nan\n", "budget.cost"),
    ("run-options", '[data]\noptions = "x"\n', "options"),
    ("run-table-missing-target", '[tables.t]\npath = "x.csv"\n', "tables.t.target"),
    ("run-table-key", '[tables.t]\npath = "x.csv"\ntarget = "y"\ncolour = 1\n', "tables.t.colour"),
    ("run-table-name", '[tables."a b"]\npath = "x.csv"\ntarget = "y"\n', "a b"),
    (
        "run-table-file",
        '[tables.t]\npath = "nope.csv"\ntarget = "y"\n[data]\ndataset = "t"\n',
        "nope.csv",
    ),
    ("run-not-toml", "[data\n", "TOML"),
    ("run-retrain-every", '[loop]\nretrain_every = "sometimes"\n', "retrain_every"),
    ("run-dropout-range", "[learner.params]\ndropout = 2.0\n", "learner.params.dropout"),
    ("run-lr-negative", "[learner.params]\nlr = -0.1\n", "learner.params.lr"),
    ("run-val-fraction", "[learner.params]\nval_fraction = 1.5\n", "learner.params.val_fraction"),
    (
        "run-members-zero",
        '[learner]\nname = "bagging_committee"\n[learner.params]\nn_members = 0\n',
        "learner.params.n_members",
    ),
    ("run-hidden-type", '[learner.params]\nhidden = "big"\n', "learner.params.hidden"),
]
RUN_CASES = [
    _case(id, "run {d}/r.toml --out {d}/out", named, r__toml=text) for id, text, named in RUN_BAD
]

BENCH_CASES = [
    _case("bench-config-strategy", "bench --config {d}/b.toml", "strategy", b__toml='[strategy]\nname = "lcmd"\n'),
    _case("bench-config-key", "bench --config {d}/b.toml", "bench.colour", b__toml="[bench]\ncolour = 1\n"),
    _case("bench-config-seeds", "bench --config {d}/b.toml", "bench.seeds", b__toml='[bench]\nseeds = "x"\n'),
    _case("bench-config-datasets", "bench --config {d}/b.toml", "bench.datasets", b__toml="[bench]\ndatasets = 3\n"),
    _case("bench-config-missing", "bench --config {d}/none.toml", "none.toml"),
]  # fmt: skip

# ---------------------------------------------------------------- tables (--data)

GOOD = "x,rsrp,mode,y\n1,-90,walk,10\n2,-95,car,12\n3,-91,walk,9\n4,-99,car,8\n5,-93,walk,11\n"
TABLE_FILES = {
    "inf": GOOD.replace("-95,car", "inf,car"),
    "huge": GOOD.replace("-95,car", "1e300,car"),
    "typo": "x,rsrp,y\n"
    + "".join(f"{i},-9{i % 10},{i * 1.7 % 5}\n" for i in range(40)).replace("-93,", "-9x,", 1),
    "manylevels": "id,x,y\n" + "".join(f"c{i},{i},{(i * 7) % 5}\n" for i in range(80)),
    "timelike": "t,x,y\n"
    + "".join(f"2021-01-0{i % 9 + 1} 10:00:0{i % 10},{i},{i % 3}\n" for i in range(20)),
    "notime": "t,x,y\n2021-01-01,1,2\nsoon,2,3\n2021-01-03,3,1\n",
    "onerow": "x,y\n1,2\n",
    "noy": GOOD.replace(",12\n", ",\n"),
    "ragged": GOOD + "6,-90\n",
    "binary": b"\x00\x01\x02PK\x03\x04garbage",
    "empty": "",
    "headeronly": "x,y\n",
    "dupcols": "x,x,y\n1,2,3\n4,5,6\n",
    "classes": "x,y\n1,0.5\n2,1\n3,0\n",
}
TABLE_CASES = [
    _case("data-inf", ["stream", "--data", "path={d}/t.csv target=y", "--out", "{d}/o"],
          "t.csv", "line 3", "rsrp", "infinite", t__csv=TABLE_FILES["inf"]),
    _case("data-huge", ["casestudy", "--data", "path={d}/t.csv target=y", "--out", "{d}/o"],
          "line 3", "rsrp", "max_abs", t__csv=TABLE_FILES["huge"]),
    _case("data-typo", ["bench", "--data", "path={d}/t.csv target=y", "--out", "{d}/o"],
          "rsrp", "'-9x'", t__csv=TABLE_FILES["typo"]),
    _case("data-levels", ["casestudy", "--data", "path={d}/t.csv target=y", "--out", "{d}/o"],
          "id", "max_levels", t__csv=TABLE_FILES["manylevels"]),
    _case("data-timelike", ["stream", "--data", "path={d}/t.csv target=y", "--out", "{d}/o"],
          "'t'", "time = 't'", t__csv=TABLE_FILES["timelike"]),
    _case("data-badtime", ["stream", "--data", "path={d}/t.csv target=y time=t", "--out", "{d}/o"],
          "line 3", "soon", "time_format", t__csv=TABLE_FILES["notime"]),
    _case("data-onerow", ["run", "{d}/r.toml", "--data", "path={d}/t.csv target=y", "--out", "{d}/o"],
          "t.csv", "1 usable row", t__csv=TABLE_FILES["onerow"], r__toml="[loop]\niterations = 1\n"),
    _case("data-no-target", ["bench", "--data", "path={d}/t.csv target=y", "--out", "{d}/o"],
          "line 3", "y notna", t__csv=TABLE_FILES["noy"]),
    _case("data-ragged", ["casestudy", "--data", "path={d}/t.csv target=y", "--out", "{d}/o"],
          "t.csv", "line 7", t__csv=TABLE_FILES["ragged"]),
    _case("data-binary", ["stream", "--data", "path={d}/t.csv target=y", "--out", "{d}/o"],
          "t.csv", "binary", t__csv=TABLE_FILES["binary"]),
    _case("data-empty", ["stream", "--data", "path={d}/t.csv target=y", "--out", "{d}/o"],
          "t.csv", "empty", t__csv=TABLE_FILES["empty"]),
    _case("data-header-only", ["bench", "--data", "path={d}/t.csv target=y", "--out", "{d}/o"],
          "t.csv", "no data rows", t__csv=TABLE_FILES["headeronly"]),
    _case("data-dup-columns", ["bench", "--data", "path={d}/t.csv target=y", "--out", "{d}/o"],
          "t.csv", "duplicate", t__csv=TABLE_FILES["dupcols"]),
    _case("data-classes", ["bench", "--data", "path={d}/t.csv target=y task=classification", "--out", "{d}/o"],
          "line 2", "integer class", t__csv=TABLE_FILES["classes"]),
    _case("data-bad-parquet", ["bench", "--data", "path={d}/t.parquet target=y", "--out", "{d}/o"],
          "t.parquet", "Parquet", t__parquet=b"PAR1 not really"),
    _case("data-mixed-kinds", ["bench", "--data", "path={d}/m target=y", "--out", "{d}/o"],
          "mixes CSV and Parquet", **{"m/a.csv": GOOD, "m/b.parquet": b"PAR1"}),
    _case("data-header-differs", ["stream", "--data", "path={d}/m target=y", "--out", "{d}/o"],
          "b.csv", "header differs", **{"m/a.csv": GOOD, "m/b.csv": GOOD.replace("mode", "modus")}),
    _case("data-missing-column", ["casestudy", "--data", "path={d}/t.csv target=y features=rsrq", "--out", "{d}/o"],
          "t.csv", "rsrq", t__csv=GOOD),
    _case("data-filter-column", ["bench", "--data", "path={d}/t.csv target=y filters='speed > 3'", "--out", "{d}/o"],
          "filters", "speed", t__csv=GOOD),
    _case("data-filter-empty", ["bench", "--data", "path={d}/t.csv target=y filters='mode == boat'", "--out", "{d}/o"],
          "filters", "mode == boat", t__csv=GOOD),
    _case("data-filter-grammar", ["stream", "--data", "path={d}/t.csv target=y filters='mode is walk'"],
          "filters", "mode is walk", t__csv=GOOD),
    _case("data-sentinel-column", ["stream", "--data", "path={d}/t.csv target=y sentinels=nope:0", "--out", "{d}/o"],
          "sentinels.nope", t__csv=GOOD),
    _case("data-drop-column", ["stream", "--data", "path={d}/t.csv target=y drop=nope", "--out", "{d}/o"],
          "drop", "nope", t__csv=GOOD),
    _case("data-drop-target", ["stream", "--data", "path={d}/t.csv target=y drop=y"], "drop", t__csv=GOOD),
    _case("data-no-path", ["bench", "--data", "target=y"], "--data path"),
    _case("data-no-target-key", ["bench", "--data", "path={d}/t.csv"], "--data target", t__csv=GOOD),
    _case("data-unknown-key", ["casestudy", "--data", "path={d}/t.csv target=y colour=red"], "--data colour", t__csv=GOOD),
    _case("data-word", ["casestudy", "--data", "path={d}/t.csv target"], "--data", "target", t__csv=GOOD),
    _case("data-quote", ["casestudy", "--data", "path='{d}/t.csv target=y"], "--data", t__csv=GOOD),
    _case("data-glob-nothing", ["bench", "--data", "path={d}/*.tsv target=y"], "*.tsv"),
    _case("data-folder-empty", ["bench", "--data", "path={d}/e target=y"], "no .csv", **{"e/readme.txt": "x"}),
    _case("data-toml-missing", ["bench", "--data", "{d}/none.toml"], "none.toml"),
    _case("data-toml-key", ["bench", "--data", "{d}/t.toml"], "tables.a.colour",
          t__toml='[tables.a]\npath = "t.csv"\ntarget = "y"\ncolour = 1\n'),
    _case("data-toml-extra", ["bench", "--data", "{d}/t.toml"], "other",
          t__toml='[tables.a]\npath = "t.csv"\ntarget = "y"\n[other]\nx = 1\n'),
    _case("data-toml-empty", ["bench", "--data", "{d}/t.toml"], "tables", t__toml="tables = {}\n"),
    _case("data-two-same-name", ["bench", "--data", "path={d}/t.csv target=y", "--data", "path={d}/t.csv target=y"],
          "--data", "'t'", t__csv=GOOD),
    _case("data-reserved-name", ["bench", "--data", "path={d}/t.csv target=y name=twin"], "name", "reserved", t__csv=GOOD),
    _case("data-bad-name", ["bench", "--data", "path={d}/t.csv target=y name=a/b"], "name", t__csv=GOOD),
    _case("data-describe-two", ["data", "describe", "--data", "{d}/t.toml"], "2 tables",
          t__toml='[tables.a]\npath = "t.csv"\ntarget = "y"\n[tables.b]\npath = "t.csv"\ntarget = "y"\n'),
    _case("data-describe-both", ["data", "describe", "ucc5g", "--data", "path=x.csv target=y"], "--data"),
    _case("data-max-levels", ["bench", "--data", "path={d}/t.csv target=y max_levels=0"], "max_levels", t__csv=GOOD),
    _case("data-coords", ["bench", "--data", "path={d}/t.csv target=y coords=x"], "coords", t__csv=GOOD),
    _case("data-task", ["bench", "--data", "path={d}/t.csv target=y task=ranking"], "task", t__csv=GOOD),
    _case("data-time-format", ["stream", "--data", "path={d}/t.csv target=y time=t time_format=%Y"],
          "time_format", "line 2", t__csv=TABLE_FILES["timelike"]),
    _case("data-mapek-change-on", ["mapek", "run", "--data", "path={d}/t.csv target=y", "--change-on", "colour"],
          "colour", t__csv=GOOD),
    _case("data-run-config-table", ["run", "{d}/r.toml"], "tables.t.path",
          r__toml='[tables.t]\npath = 5\ntarget = "y"\n[data]\ndataset = "t"\n'),
    _case("data-run-options-and-table", ["run", "{d}/r.toml"], "data.options",
          r__toml='[tables.t]\npath = "t.csv"\ntarget = "y"\n[data]\ndataset = "t"\noptions = {file = "x"}\n',
          t__csv=GOOD),
    _case("data-casestudy-config-table", ["casestudy", "--config", "{d}/c.toml"], "tables.t.filters",
          c__toml='[tables.t]\npath = "t.csv"\ntarget = "y"\nfilters = ["x ~ 3"]\n[casestudy]\ndataset = "t"\n'),
    _case("data-stream-config-unknown-table", ["stream", "--config", "{d}/c.toml"], "nosuch",
          c__toml='[stream]\ndataset = "nosuch"\n'),
]  # fmt: skip

# ---------------------------------------------------------------- scenarios (twin)

SCENARIO_CASES = [
    _case("scenario-missing", "twin generate --rows 20 --scenario {d}/none.toml --out {d}/t.csv", "none.toml"),
    _case("scenario-not-toml", "twin generate --rows 20 --scenario {d}/s.toml --out {d}/t.csv", "s.toml", "TOML",
          s__toml="[radio\n"),
    _case("timeline-not-toml", "twin timeline {d}/s.toml --out {d}/t.parquet", "s.toml", s__toml="= 3\n"),
    _case("timeline-unknown-key", "twin timeline {d}/s.toml --out {d}/t.parquet", "s.toml", "colour",
          s__toml="[timeline]\ncolour = 1\n"),
]  # fmt: skip

CORPUS: list[Case] = [
    *FLAG_CASES,
    *VALUE_CASES,
    *_config_cases(),
    *RUN_CASES,
    *BENCH_CASES,
    *TABLE_CASES,
    *SCENARIO_CASES,
]


def _materialize(case: Case, root: Path) -> list[str]:
    for name, content in case.files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content.replace("{d}", str(root)), encoding="utf-8")
    return [a.replace("{d}", str(root)) for a in case.args]


def _check_one_clean_line(result, named: tuple[str, ...], root: Path) -> str:
    assert result.exit_code not in (0, None), f"exit 0: {result.output}"
    assert "Traceback" not in result.output and "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"stderr has {len(lines)} lines:\n{result.stderr}"
    line = lines[0]
    assert line.startswith("error:"), line
    for part in named:
        assert part.replace("{d}", str(root)) in line, f"{part!r} not named in: {line}"
    assert not (root / "o" / "cells").exists() and not (root / "out" / "cells").exists()
    return line


def test_the_corpus_is_large_and_covers_every_command():
    assert len(CORPUS) >= 150, len(CORPUS)
    assert len({c.id for c in CORPUS}) == len(CORPUS), "duplicate case ids"
    commands = {
        " ".join(c.args[:2]) if c.args[0] in ("data", "twin", "loop", "mapek") else c.args[0]
        for c in CORPUS
    }
    for command in ("casestudy", "run", "bench", "stream", "acquire", "synth", "mapek run", "report",
                    "data describe", "data fetch", "twin generate", "twin timeline", "twin scenario",
                    "loop ask", "loop tell"):  # fmt: skip
        assert command in commands, command


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_bad_input_is_one_clean_line(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = _materialize(case, tmp_path)
    result = runner.invoke(app, args)
    _check_one_clean_line(result, case.named, tmp_path)


# ---------------------------------------------------------------- hypothesis

_KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
_TOML_VALUES = st.one_of(
    # never valid for the fields below (no 0 nor [] : some fields take them)
    st.sampled_from(['"x"', "-1", "1e400", "-inf", "nan", '[1, "a"]', "{}", "true", '""']),
    st.integers(min_value=-(10**6), max_value=-1).map(str),
)
_FIELDS = {
    "casestudy": ["rows", "iterations", "batch_size", "labeled_fraction", "window", "hidden", "lr",
                  "dropout", "protocol", "seeds", "strategies", "max_pool"],
    "stream": ["budget_rate", "managers", "rows", "n_test", "n_initial", "checkpoints", "seeds"],
    "synth": ["generator", "rows", "iterations", "batch_size", "guard_quantile", "seeds"],
    "acquire": ["budget", "policies", "fleet", "iterations", "seeds", "acquire_size"],
}  # fmt: skip


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    command=st.sampled_from(sorted(_FIELDS)),
    data=st.data(),
)
def test_random_bad_config_values_name_their_key(command, data, tmp_path_factory):
    """A wrong-typed or out-of-range value, or an unknown key, of any study config: one line naming it."""
    root = tmp_path_factory.mktemp("fuzz")
    unknown = data.draw(st.booleans())
    if unknown:
        key = data.draw(
            _KEYS.filter(lambda k: k not in _FIELDS[command] and k not in _ALL_FIELDS[command])
        )
        value = '"x"'
    else:
        key = data.draw(st.sampled_from(_FIELDS[command]))
        value = data.draw(_TOML_VALUES)
    config = root / "c.toml"
    config.write_text(f"[{command}]\n{key} = {value}\n")
    result = runner.invoke(app, [command, "--config", str(config), "--out", str(root / "o")])
    if (
        result.exit_code == 0
    ):  # a value that happens to be valid: it must then have run nothing wrong
        pytest.fail(f"[{command}] {key} = {value} was accepted")
    _check_one_clean_line(result, (f"{command}.{key}",), root)


def _all_fields() -> dict[str, set[str]]:
    from dataclasses import fields

    from netal.acquisition.joint import JointConfig
    from netal.experiments.casestudy.config import CaseStudyConfig
    from netal.experiments.settings import AcquireArms, CaseStudyArms, StreamSettings, SynthSettings

    def names(*classes: type) -> set[str]:
        return {f.name for cls in classes for f in fields(cls)}

    return {
        "casestudy": names(CaseStudyConfig, CaseStudyArms),
        "stream": names(StreamSettings),
        "synth": names(SynthSettings),
        "acquire": names(JointConfig, AcquireArms),
    }


_ALL_FIELDS = _all_fields()
