"""Twin timelines: each event changes what it should where it should; files are validated fully."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from netal.cli.main import app
from netal.errors import ConfigError, InvalidInputError
from netal.schemas import LUMOS5G_COLUMNS
from netal.twin import timeline as timeline_module
from netal.twin.events import EVENT_KINDS
from netal.twin.timeline import Timeline, default_timeline_path, load_timeline

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "timeline-twin.toml"
SEEDS = (0, 1, 2)
AT_S = 3600.0
HEAD = """[timeline]
duration_s = 7200
period_s = 600
samples_per_period = 200
"""
EVENT = HEAD + "[[events]]\nat_s = 3600\n"
KIND_BODIES = {
    "cell_down": 'kind = "cell_down"\ntower = 2\n',
    "building": (
        'kind = "building"\n'
        "polygon = [[402.0, 30.0], [410.0, 30.0], [410.0, 100.0], [402.0, 100.0]]\n"
    ),
    "cell_up": 'kind = "cell_up"\ntower = 4\nposition = [-11.5, 125.0]\nazimuths = [0.0, 180.0]\n',
    "beam_tilt": 'kind = "beam_tilt"\ntower = "T3"\nsector = 1\ndegrees = 60.0\n',
    "crowd": 'until_s = 5400\nkind = "crowd"\nblocker_rate_factor = 10.0\n',
    "mobility_shift": 'kind = "mobility_shift"\nwalking_share = 0.0\n',
}


def _write(tmp_path: Path, text: str | bytes, name: str = "timeline.toml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def kind_timelines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Timeline]:
    folder = tmp_path_factory.mktemp("kinds")
    return {
        kind: load_timeline(_write(folder, EVENT + body, f"{kind}.toml"))
        for kind, body in KIND_BODIES.items()
    }


@pytest.fixture(scope="module")
def streams(kind_timelines: dict[str, Timeline]) -> dict[tuple[str, int], pd.DataFrame]:
    """Each one-event timeline simulated for every seed (about 0.5 s each)."""
    return {
        (kind, seed): timeline.simulate(seed).frame
        for kind, timeline in kind_timelines.items()
        for seed in SEEDS
    }


def _best_rx_change(timeline: Timeline, frame: pd.DataFrame) -> np.ndarray:
    """Per row: change of the strongest static SS-RSRP at the row's place (after minus before)."""
    scenario = timeline.scenario
    u, _ = scenario.route.project(scenario.to_xy(frame["latitude"], frame["longitude"]))
    before, after = timeline.world_at(AT_S - 1.0), timeline.world_at(AT_S + 1.0)
    delta = after.rx_static.max(axis=0) - before.rx_static.max(axis=0)
    return delta[before.index(u)]


# ------------------------------------------------------------------ the stream


def test_stream_is_the_lumos5g_schema_plus_time_sorted(streams: dict) -> None:
    frame = streams[("cell_down", 0)]
    assert list(frame.columns) == [*LUMOS5G_COLUMNS, "time_s"]
    assert frame["time_s"].dtype == np.float64
    assert frame["time_s"].is_monotonic_increasing
    assert len(frame) == 2400 and 0.0 < frame["time_s"].min() < frame["time_s"].max() < 7200.0
    assert not frame.duplicated(["run_num", "seq_num"]).any()


def test_same_seed_same_stream_other_seed_other_stream(kind_timelines: dict) -> None:
    path = Path(kind_timelines["crowd"].path)
    first = load_timeline(path).simulate(5).frame
    pd.testing.assert_frame_equal(first, load_timeline(path).simulate(5).frame)
    pd.testing.assert_frame_equal(first, kind_timelines["crowd"].simulate(5).frame)
    assert not first["Throughput"].equals(load_timeline(path).simulate(6).frame["Throughput"])


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0"])
def test_bad_seed(kind_timelines: dict, seed: object) -> None:
    with pytest.raises(InvalidInputError, match="seed"):
        kind_timelines["crowd"].simulate(seed)  # type: ignore[arg-type]


def test_no_event_no_distribution_change(tmp_path: Path) -> None:
    timeline = load_timeline(_write(tmp_path, HEAD))
    data = timeline.simulate(0)
    assert data.changes.empty
    frame = data.frame.assign(period=(data.frame["time_s"] // 600).astype(int))
    assert frame["period"].nunique() == 12
    tput, driving = frame["Throughput"], frame["mobility_mode"] == "driving"
    stats = (
        frame.assign(driving=driving)
        .groupby("period")
        .agg(mean=("Throughput", "mean"), driving=("driving", "mean"), n=("Throughput", "size"))
    )
    se_mean = tput.std() / np.sqrt(stats["n"])
    assert (np.abs(stats["mean"] - tput.mean()) < 4.5 * se_mean).all()
    p = driving.mean()
    se_share = np.sqrt(p * (1 - p) / stats["n"])
    assert (np.abs(stats["driving"] - p) < 4.5 * se_share).all()


# ------------------------------------------------------------------ each kind


def test_static_random_fields_are_the_same_before_and_after(kind_timelines: dict) -> None:
    building = kind_timelines["building"]
    before, after = building.world_at(AT_S - 1.0), building.world_at(AT_S + 1.0)
    same_los = before.los == after.los
    assert (~same_los).any()
    np.testing.assert_array_equal(before.rx_static[same_los], after.rx_static[same_los])
    np.testing.assert_array_equal(before.lte_rsrp_static, after.lte_rsrp_static)
    np.testing.assert_array_equal(before.light_phase, after.light_phase)
    down = kind_timelines["cell_down"]
    before, after = down.world_at(AT_S - 1.0), down.world_at(AT_S + 1.0)
    others = before.tower_ids != 2
    np.testing.assert_array_equal(before.rx_static[others], after.rx_static[others])
    assert (after.rx_static[~others] < -200).all()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("kind", "drop_tput", "drop_rsrp_db"),
    [("cell_down", 0.5, 8.0), ("building", 0.15, 4.0), ("beam_tilt", 0.4, 4.0)],
)
def test_event_lowers_signal_where_it_acts_and_nowhere_else(
    kind_timelines: dict, streams: dict, kind: str, drop_tput: float, drop_rsrp_db: float, seed: int
) -> None:
    timeline, frame = kind_timelines[kind], streams[(kind, seed)]
    delta = _best_rx_change(timeline, frame)
    after = frame["time_s"] >= AT_S
    near, far = delta < -6.0, np.abs(delta) < 0.5
    assert (near & after).sum() > 40 and (near & ~after).sum() > 40
    tput, rsrp = frame["Throughput"], frame["nr_ssRsrp"]
    assert tput[near & after].mean() < (1 - drop_tput) * tput[near & ~after].mean()
    assert rsrp[near & after].mean() < rsrp[near & ~after].mean() - drop_rsrp_db
    assert abs(tput[far & after].mean() / tput[far & ~after].mean() - 1) < 0.15


@pytest.mark.parametrize("seed", SEEDS)
def test_cell_up_serves_its_street_from_at_s(
    kind_timelines: dict, streams: dict, seed: int
) -> None:
    timeline, frame = kind_timelines["cell_up"], streams[("cell_up", seed)]
    after = frame["time_s"] >= AT_S
    assert not (frame.loc[~after, "tower_id"] == 4).any()
    assert (frame.loc[after, "tower_id"] == 4).mean() > 0.1
    near = _best_rx_change(timeline, frame) > 6.0
    tput, rsrp = frame["Throughput"], frame["nr_ssRsrp"]
    assert tput[near & after].mean() > 2.0 * tput[near & ~after].mean()
    assert rsrp[near & after].mean() > rsrp[near & ~after].mean() + 8.0


@pytest.mark.parametrize("seed", SEEDS)
def test_crowd_blocks_during_its_window_only(streams: dict, seed: int) -> None:
    frame = streams[("crowd", seed)]
    t = frame["time_s"]
    windows = {"before": t < AT_S, "during": (t >= AT_S) & (t < 5400), "after": t >= 5400}
    tput = {k: frame.loc[m, "Throughput"] for k, m in windows.items()}
    nr = {k: (frame.loc[m, "nrStatus"] == "CONNECTED").mean() for k, m in windows.items()}
    low = {k: (v < 100).mean() for k, v in tput.items()}
    assert tput["during"].mean() < tput["before"].mean() - 100
    assert nr["during"] < nr["before"] - 0.04 and low["during"] > low["before"] + 0.02
    se = tput["before"].std() * np.sqrt(1 / len(tput["before"]) + 1 / len(tput["after"]))
    assert abs(tput["after"].mean() - tput["before"].mean()) < 4 * se
    assert abs(nr["after"] - nr["before"]) < 0.04


@pytest.mark.parametrize("seed", SEEDS)
def test_mobility_shift_turns_walkers_into_drivers(streams: dict, seed: int) -> None:
    frame = streams[("mobility_shift", seed)]
    after = frame["time_s"] >= AT_S
    driving = frame["mobility_mode"] == "driving"
    assert driving[~after].mean() < 0.5 and driving[after].mean() == 1.0
    assert frame.loc[after, "movingSpeed"].mean() > 2 * frame.loc[~after, "movingSpeed"].mean()


def test_worlds_are_built_once_per_distinct_state(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[int] = []
    real = timeline_module.build_world

    def counting(scenario):  # type: ignore[no-untyped-def]
        built.append(len(scenario.buildings))
        return real(scenario)

    monkeypatch.setattr(timeline_module, "build_world", counting)
    timeline = load_timeline()
    timeline.simulate(0)
    # beam_tilt, building, cell_down, cell_up change the radio maps (5 states with the start);
    # the crowd (on and off) and the mobility shift reuse them
    assert len(built) == 5
    timeline.simulate(1)
    assert len(built) == 5


# ------------------------------------------------------------------ files


def test_default_timeline_has_events_of_several_kinds() -> None:
    timeline = load_timeline()
    assert timeline.path == str(default_timeline_path())
    assert timeline.duration_s == 36000 and timeline.n_rows == 12000
    kinds = [e.kind for e in timeline.events]
    assert 4 <= len(kinds) <= 6 and len(set(kinds)) >= 4
    temporary = [e for e in timeline.events if e.until_s is not None]
    assert len(temporary) == 1 and len(timeline.events) - len(temporary) >= 3


def test_change_table_matches_the_file() -> None:
    timeline = load_timeline()
    changes = timeline.changes()
    expected = sorted(
        [(e.at_s, i, "on") for i, e in enumerate(timeline.events)]
        + [(e.until_s, i, "off") for i, e in enumerate(timeline.events) if e.until_s is not None]
    )
    assert list(changes.columns) == ["time_s", "kind", "description", "event", "edge"]
    assert list(zip(changes["time_s"], changes["event"], changes["edge"], strict=True)) == expected
    assert list(changes["kind"]) == [timeline.events[i].kind for _, i, _ in expected]
    crowd_off = changes[changes["edge"] == "off"].iloc[0]
    assert crowd_off["kind"] == "crowd" and crowd_off["description"].startswith("end of:")
    assert "tower 1" in changes.loc[changes["kind"] == "cell_down", "description"].iloc[0]


def test_example_file_loads_with_every_kind() -> None:
    timeline = load_timeline(EXAMPLE)
    assert {e.kind for e in timeline.events} == set(EVENT_KINDS)
    assert timeline.n_rows == 3600


def test_scenario_path_is_relative_to_the_timeline_file(tmp_path: Path) -> None:
    text = default_timeline_path().parent.joinpath("default.toml").read_text(encoding="utf-8")
    (tmp_path / "city").mkdir()
    _write(tmp_path / "city", text.replace('"downtown-minneapolis-loop"', '"mine"'), "city.toml")
    path = _write(
        tmp_path, HEAD.replace("[timeline]\n", '[timeline]\nscenario = "city/city.toml"\n')
    )
    assert load_timeline(path).scenario.name == "mine"


BAD_FILES = [
    ("unknown top-level key", HEAD + "[extra]\nx = 1\n", "extra", "unknown key"),
    ("unknown timeline key", HEAD + "speed = 2\n", "timeline.speed", "unknown key"),
    ("missing duration", HEAD.replace("duration_s = 7200\n", ""), "timeline.duration_s", "missing"),
    ("period above duration", HEAD.replace("period_s = 600", "period_s = 9000"), "timeline.period_s", "exceed"),
    ("unknown event key", EVENT + 'kind = "cell_down"\ntower = 2\nfactor = 2\n', "events[0].factor", "unknown key"),
    ("unknown kind", EVENT + 'kind = "earthquake"\n', "events[0].kind", "unknown kind 'earthquake'"),
    ("unknown tower", EVENT + 'kind = "cell_down"\ntower = 7\n', "events[0].tower", "no tower 7"),
    ("bad tower id", EVENT + 'kind = "cell_down"\ntower = "north"\n', "events[0].tower", "tower id"),
    ("at_s beyond duration", EVENT.replace("3600", "8000") + 'kind = "cell_down"\ntower = 2\n', "events[0].at_s", "must lie in"),
    ("until_s before at_s", EVENT + 'until_s = 3000\nkind = "crowd"\nblocker_rate_factor = 2.0\n', "events[0].until_s", "must lie in"),
    ("until_s equals at_s", EVENT + 'until_s = 3600\nkind = "crowd"\nblocker_rate_factor = 2.0\n', "events[0].until_s", "must lie in"),
    ("negative factor", EVENT + 'kind = "crowd"\nblocker_rate_factor = -1.0\n', "events[0].blocker_rate_factor", "> 0"),
    ("share above one", EVENT + 'kind = "mobility_shift"\nwalking_share = 1.5\n', "events[0].walking_share", "[0, 1]"),
    ("self-crossing polygon", EVENT + 'kind = "building"\npolygon = [[402, 30], [410, 100], [410, 30], [402, 100]]\n', "events[0].polygon", "crosses itself"),
    ("polygon on the loop", EVENT + 'kind = "building"\npolygon = [[390, 30], [410, 30], [410, 100], [390, 100]]\n', "events[0].polygon", "covers the measurement loop"),
    ("polygon over a tower", EVENT + 'kind = "building"\npolygon = [[405, 120], [411.9, 120], [411.9, 140], [405, 140]]\n', "events[0].polygon", "covers tower 2"),
    ("two-point polygon", EVENT + 'kind = "building"\npolygon = [[402, 30], [410, 30]]\n', "events[0].polygon", "at least 3"),
    ("new tower in a building", EVENT + 'kind = "cell_up"\ntower = 4\nposition = [450.0, 130.0]\nazimuths = [0.0]\n', "events[0].position", "inside building 'east'"),
    ("new tower with a taken id", EVENT + 'kind = "cell_up"\ntower = 3\nposition = [-11.5, 125.0]\nazimuths = [0.0]\n', "events[0].tower", "already exists"),
    ("sector out of range", EVENT + 'kind = "beam_tilt"\ntower = 1\nsector = 2\ndegrees = 30.0\n', "events[0].sector", "sectors 0..1"),
    ("wrong type", EVENT + 'kind = "beam_tilt"\ntower = 1\ndegrees = "a lot"\n', "events[0].degrees", "must be int or float"),
    ("missing scenario file", HEAD.replace("[timeline]\n", '[timeline]\nscenario = "nowhere.toml"\n'), "timeline.scenario", "not found"),
    ("malformed TOML", HEAD.replace("[timeline]", "[timeline"), "file", "not valid TOML"),
    ("not UTF-8", HEAD.encode("utf-8") + b"# caf\xe9\n", "file", "not UTF-8"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_files_raise_one_config_error_naming_file_and_key(
    tmp_path: Path, text: str | bytes, key: str, problem: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_timeline(path)
    assert info.value.path == str(path) and info.value.key == key
    assert problem in info.value.problem
    assert str(info.value).startswith(f"{path}: [{key}]")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_timeline(tmp_path / "absent.toml")


def test_error_names_the_line_of_the_key(tmp_path: Path) -> None:
    text = (
        EVENT
        + 'kind = "cell_down"\ntower = 2\n[[events]]\nat_s = 4000\nkind = "cell_down"\ntower = 9\n'
    )
    line = text.splitlines().index("tower = 9") + 1
    with pytest.raises(ConfigError, match=rf"\[events\[1\]\.tower\] no tower 9 .*\(line {line}\)"):
        load_timeline(_write(tmp_path, text))


# ------------------------------------------------------------------ CLI


def test_cli_writes_stream_and_changes(tmp_path: Path) -> None:
    source = _write(tmp_path, EVENT + KIND_BODIES["crowd"])
    out = tmp_path / "stream.parquet"
    result = CliRunner().invoke(
        app, ["twin", "timeline", str(source), "--seed", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    changes = pd.read_parquet(tmp_path / "stream.changes.parquet")
    assert len(frame) == 2400 and frame["time_s"].is_monotonic_increasing
    assert list(changes["time_s"]) == [3600.0, 5400.0] and list(changes["edge"]) == ["on", "off"]
    assert "2,400" in result.output and "2 change points" in result.output
    pd.testing.assert_frame_equal(frame, load_timeline(source).simulate(3).frame)


def test_cli_writes_csv_by_suffix(tmp_path: Path) -> None:
    text = EVENT.replace("duration_s = 7200", "duration_s = 1200").replace("3600", "600")
    source = _write(tmp_path, text + KIND_BODIES["building"])
    result = CliRunner().invoke(
        app, ["twin", "timeline", str(source), "--out", str(tmp_path / "s.csv")]
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(tmp_path / "s.csv")) == 400
    changes = pd.read_csv(tmp_path / "s.changes.csv")
    pd.testing.assert_frame_equal(changes, load_timeline(source).changes())


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["BAD", "--out", "OUT/s.parquet"], "events[0].tower"),
        (["GOOD", "--out", "OUT/s.txt"], "--out"),
        (["GOOD", "--out", "OUT/missing/s.parquet"], "does not exist"),
    ],
)
def test_cli_errors_are_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    files = {
        "BAD": str(_write(tmp_path, EVENT + 'kind = "cell_down"\ntower = 9\n', "bad.toml")),
        "GOOD": str(_write(tmp_path, HEAD, "good.toml")),
    }
    args = [files.get(a, a.replace("OUT", str(tmp_path))) for a in args]
    result = CliRunner().invoke(app, ["twin", "timeline", *args])
    assert result.exit_code == 1
    lines = [line for line in result.output.strip().splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0]
    assert "Traceback" not in result.output
