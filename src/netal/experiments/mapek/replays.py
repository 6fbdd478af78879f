"""Real network logs replayed, in time order, as closed-loop streams with their own change points.

The twin (:mod:`netal.experiments.mapek.twin`) gives a synthetic stream whose
changes are known by construction; these replays give measured ones whose
changes come from the logs' own metadata.  Each builder of :data:`REPLAYS`
returns a :class:`~netal.mapek.NetworkStream`; :func:`replay_stream` picks one
by name::

    from netal.experiments.mapek.replays import replay_stream
    stream = replay_stream("ucc5g", max_rows=5000)

``ucc5g``
    The 83 sessions of the UCC 5G production dataset, one after another in
    recording order; a change wherever the next session's mobility
    (Driving/Static) or app (Download/Netflix/Amazon_Prime) differs.
``barcelona-lte``
    The three Barcelona base stations' traffic series (train and test files,
    which continue each other), one station after another in recording order;
    a change at each switch of station and between working days and rest days
    (weekends, public holidays).  The target is the next step's downlink
    traffic, the features are the previous step's KPIs (a forecast).
``umn-mmwave``
    The Verizon mmWave walking tests of ``s20_verizon_nsahigh_all.csv``,
    downlink and uplink rows in recording order; a change wherever the test's
    direction switches.

The replay clock
----------------
A closed loop's period is wall-clock-like (:attr:`~netal.mapek.MapekConfig.period_s`),
but the logs have gaps of minutes to weeks between their sessions (days
between drives, months between stations).  Replayed on their recorded clock,
most periods would be empty and a few would hold a whole session.  So every
replay runs on a *replay clock*: rows keep their recorded order, each row
comes ``step_s`` after the previous one of its session (the log's nominal
sampling step), and a new session starts ``step_s + gap_s`` after the last row
of the previous one (:func:`replay_clock`).  Periods of equal length then hold
equal numbers of samples, a change point lands exactly on the first row of the
session that brings it, and the loop's view of time is the number of samples
seen, as in the seed paper's stream experiments.  Each change's description
keeps the recorded time (and session) it comes from.

No look-ahead
-------------
Features are encoded by :func:`netal.experiments.sources.encode_features`:
numeric columns with missing values imputed by the medians of the first
``reference_share`` of the (capped) stream only, plus a 0/1 missingness
indicator per column that has missing values, and one-hot categoricals.  A
later row's value never changes an earlier row's features.  Which indicator
and one-hot columns exist is decided on the whole replay (column names, not
statistics), as in every netal experiment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from netal._validation import check_positive_int
from netal.data import Dataset, load_dataset
from netal.errors import InvalidInputError
from netal.experiments.sources import encode_features
from netal.mapek import CHANGE_COLUMNS, NetworkStream
from netal.registry import Registry

REFERENCE_SHARE = 0.2
"""Share of the stream (its beginning) whose medians impute missing values (as the twin stream)."""

UCC5G_CONTEXT: tuple[str, ...] = ("mobility", "app", "content")
"""Session metadata of ucc5g a change may be defined on (``change_on``)."""

BARCELONA_STEP_S = 120.0
"""The Barcelona series' sampling step: one row every 2 minutes, without a gap in any file."""

BARCELONA_HOLIDAYS: dict[str, str] = {
    "2018-03-30": "Good Friday",
    "2018-04-02": "Easter Monday",
}
"""Public holidays of Catalonia inside the recorded spans (2018-02-05..04-04, 2019-01-12..01-24).

Both are official holidays in Catalonia in 2018 (Easter Sunday was 1 April);
none falls in the 2019 span (Epiphany, 6 January, is before it).  They are
rest days like Saturdays and Sundays.
"""

Builder = Callable[..., NetworkStream]

REPLAYS: Registry[NetworkStream] = Registry("replay")
"""Builders of the replayed streams by name: ``ucc5g``, ``barcelona-lte``, ``umn-mmwave``.

Each is called as ``builder(data_dir, max_rows=..., **options)``; see
:func:`ucc5g_replay`, :func:`barcelona_replay` and :func:`umn_replay`.
"""


@dataclass(frozen=True)
class _Ordered:
    """A dataset's rows in replay order, with what the clock and the change points need.

    Attributes
    ----------
    dataset
        The rows (``dataset.frame``, in replay order, index 0..n-1) with the
        features and categoricals the stream encodes.
    session
        Session key of each row (a new value starts a new session on the clock).
    recorded
        Recorded time of each row (for the change descriptions).
    context
        Columns whose change between consecutive rows is a change point.
    step_s
        Replay-clock seconds between consecutive rows of a session.
    gap_s
        Extra replay-clock seconds before each new session.
    """

    dataset: Dataset
    session: pd.Series
    recorded: pd.Series
    context: tuple[str, ...]
    step_s: float
    gap_s: float


# --------------------------------------------------------------------- public


def replay_stream(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    max_rows: int | None = None,
    **options: object,
) -> NetworkStream:
    """A real dataset replayed in time order as a closed-loop stream.

    Parameters
    ----------
    name
        A name of :data:`REPLAYS`: ``"ucc5g"``, ``"barcelona-lte"`` or ``"umn-mmwave"``.
    data_dir
        Directory holding the datasets (default ``$NETAL_DATA_DIR``, see
        :func:`netal.data.load_dataset`).
    max_rows
        Keep only the first ``max_rows`` rows in replay order (None: all).
    **options
        Options of the builder (:func:`ucc5g_replay`, :func:`barcelona_replay`,
        :func:`umn_replay`).

    Raises
    ------
    UnknownNameError
        ``name`` is not a replay; the message lists the known ones.
    DataError
        A file of the dataset is missing (named) or malformed.
    InvalidInputError
        An option has a bad value.
    """
    builder: Builder = REPLAYS.get(name)
    return builder(data_dir, max_rows=max_rows, **options)


def replay_clock(session: Sequence[object] | pd.Series, step_s: float, gap_s: float) -> np.ndarray:
    """Replay-clock times of rows: ``step_s`` apart, ``gap_s`` more at each new session.

    Parameters
    ----------
    session
        Session key of each row, in replay order (a session is a run of equal keys).
    step_s
        Seconds between consecutive rows (> 0).
    gap_s
        Extra seconds before the first row of each session but the first (>= 0).

    Returns
    -------
    numpy.ndarray
        ``times[i] = i * step_s + gap_s * (sessions started before row i)``, from 0.
    """
    _check_clock(step_s, gap_s)
    keys = pd.Series(session).reset_index(drop=True)
    starts = (keys != keys.shift()).to_numpy()
    if len(starts):
        starts[0] = False
    return np.arange(len(keys), dtype=np.float64) * step_s + gap_s * np.cumsum(starts)


def context_changes(
    times: np.ndarray, context: pd.DataFrame, recorded: pd.Series, session: pd.Series
) -> pd.DataFrame:
    """Change points where any ``context`` column differs from the previous row.

    Parameters
    ----------
    times
        Stream time of each row.
    context
        One column per documented condition (e.g. ``mobility``, ``app``), rows in stream order.
    recorded
        Recorded time of each row (written into the description).
    session
        Session key of each row (written into the description).

    Returns
    -------
    pandas.DataFrame
        :data:`~netal.mapek.CHANGE_COLUMNS`: ``time_s`` of the first row under
        the new condition, ``kind`` the changed columns joined by ``+``,
        ``description`` ``"column: old -> new; ... (session ..., recorded ...)"``.
    """
    values = context.reset_index(drop=True).astype("string").fillna("<NA>")
    changed = (values != values.shift()).to_numpy()
    if len(changed):
        changed[0] = False
    rows = np.flatnonzero(changed.any(axis=1))
    columns = list(values.columns)
    records = []
    for row in rows:
        names = [c for c, flag in zip(columns, changed[row], strict=True) if flag]
        moves = "; ".join(f"{c}: {values.at[row - 1, c]} -> {values.at[row, c]}" for c in names)
        where = f"session {session.iloc[row]}, recorded {recorded.iloc[row]}"
        records.append((float(times[row]), "+".join(names), f"{moves} ({where})"))
    return pd.DataFrame.from_records(records, columns=list(CHANGE_COLUMNS)).astype(
        {"time_s": "float64"}
    )


# ------------------------------------------------------------------- builders


@REPLAYS.register("ucc5g")
def ucc5g_replay(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    max_rows: int | None = None,
    change_on: Sequence[str] = ("mobility", "app"),
    app_feature: bool = False,
    step_s: float = 1.0,
    gap_s: float = 10.0,
    reference_share: float = REFERENCE_SHARE,
) -> NetworkStream:
    """The UCC 5G sessions (Cork, MMSys 2020) one after another, in recording order.

    Order
        The 83 sessions sorted by their first ``Timestamp`` (they do not
        overlap: one phone, one session at a time), each session's rows by
        ``Timestamp`` (stable: rows sharing a second keep their file order).
        Nov 2019 to Feb 2020, 188,711 rows.
    Clock
        One row per second within a session (the logger's nominal rate: 85 %
        of consecutive rows are 1 s apart, the rest 0 or 2-5 s), ``gap_s``
        more between sessions (the recorded gaps are hours to weeks).
    Target
        ``DL_bitrate`` (kbit/s), the loader's target.
    Features
        The loader's radio and context features (``Latitude``, ``Longitude``,
        ``Speed``, ``RSRP``, ``RSRQ``, ``SNR``, ``CQI``, ``RSSI``, ``NRxRSRP``,
        ``NRxRSRQ``; sentinel ``2147483647`` and ``-`` read as missing), one-hot
        ``NetworkMode`` and ``mobility``.  ``mobility`` is kept as a legitimate
        context of the network (``Speed`` tells it anyway: median 32 km/h
        driving, 0 static), so a mobility change is visible in the inputs.
        ``State`` is left out: it leaks the target (``I`` and ``V`` rows have
        ``DL_bitrate`` exactly 0).  ``app`` is left out unless
        ``app_feature``: it names the cause of an app change directly and is
        not a network measurement, so an app change is a concept change the
        loop must find from its errors.
    Changes
        At the first row of each session whose ``change_on`` metadata
        (default mobility and app, from the archive path) differs from the
        previous session's: ``kind`` ``mobility``, ``app`` or ``mobility+app``.
        ``"content"`` (the streamed series) may be added.

    Parameters
    ----------
    data_dir
        Directory holding ``ucc5g/5G-production-dataset.zip``.
    max_rows
        Keep the first ``max_rows`` rows in replay order.
    change_on
        Session metadata whose change is a change point: among ``mobility``,
        ``app``, ``content``.
    app_feature
        Also one-hot encode ``app`` as a feature.
    step_s, gap_s
        Replay clock (:func:`replay_clock`).
    reference_share
        Share of the stream whose medians impute missing values.
    """
    _check_options(max_rows, reference_share, step_s, gap_s)
    change_on = _check_subset(change_on, "change_on", UCC5G_CONTEXT)
    dataset = load_dataset("ucc5g", data_dir)
    frame = dataset.frame
    starts = frame.groupby("session", sort=False)["Timestamp"].transform("min")
    order = np.lexsort(
        (np.arange(len(frame)), frame["Timestamp"].to_numpy(), frame["session"].to_numpy(),
         starts.to_numpy())
    )  # fmt: skip
    frame = frame.iloc[order].reset_index(drop=True)
    categorical = ["NetworkMode", "mobility"] + (["app"] if app_feature else [])
    ordered = _Ordered(
        dataset=replace(dataset, frame=frame, categorical=categorical),
        session=frame["session"],
        recorded=frame["Timestamp"],
        context=change_on,
        step_s=step_s,
        gap_s=gap_s,
    )
    return _stream("ucc5g", ordered, max_rows, reference_share)


@REPLAYS.register("barcelona-lte")
def barcelona_replay(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    max_rows: int | None = None,
    stations: str | Sequence[str] | None = None,
    lags: Sequence[int] = (1,),
    gap_s: float = BARCELONA_STEP_S,
    reference_share: float = REFERENCE_SHARE,
) -> NetworkStream:
    """The Barcelona LTE stations' traffic, one station after another, in recording order.

    Order
        Each station's train and test files (the test file continues the
        series: ``_test`` starts one step after the train file ends), the
        stations sorted by their first time: PobleSec (2018-02-05..03-05,
        19,909 rows), ElBorn (2018-03-28..04-04, 5,241), LesCorts
        (2019-01-12..01-24, 8,615).
    Clock
        The recorded 2-minute step within a station (every file is an
        unbroken 2-minute grid, so the replay clock is the recorded clock
        there), ``gap_s`` more between stations (recorded gaps: 23 days and
        9 months).
    Target
        ``down``, the loader's target: downlink bytes of the 2-minute step.
    Features
        The station's KPIs of the previous ``lags`` steps (``down``, ``up``,
        ``rnti_count``, MCS and resource-block means and variances, suffixed
        ``_lag1``...) and the hour of day (``hour_sin``, ``hour_cos``): a
        one-step-ahead forecast.  The same step's KPIs are left out: ``down``
        is about resource blocks times bits per block (``rb_down`` correlates
        0.91-0.96 with it), so they would leak the target.  The station and
        the day of week are left out: they would name the changes directly.
        The first row of a station has no lagged values (imputed, with
        missingness indicators).
    Changes
        At each switch of station (``kind`` ``station``) and at midnight
        between a working day and a rest day (Saturday, Sunday and the
        holidays of :data:`BARCELONA_HOLIDAYS`; ``kind`` ``day``): weekly
        traffic differs between them.  The data document no events (the
        MANIFEST names none); day boundaries themselves are the daily cycle,
        not changes.

    Parameters
    ----------
    data_dir
        Directory holding ``barcelona-lte/``.
    max_rows
        Keep the first ``max_rows`` rows in replay order.
    stations
        A station name or names (default all three), replayed in recording order
        whatever the order given.
    lags
        Steps back of the lagged KPIs (positive, default ``(1,)``).
    gap_s
        Extra replay-clock seconds between stations.
    reference_share
        Share of the stream whose medians impute missing values.
    """
    _check_options(max_rows, reference_share, BARCELONA_STEP_S, gap_s)
    lags = _check_lags(lags)
    dataset = load_dataset("barcelona-lte", data_dir, split="all", stations=stations)
    frame = dataset.frame
    starts = frame.groupby("station", sort=False)["time"].transform("min")
    order = np.lexsort((np.arange(len(frame)), frame["time"].to_numpy(), starts.to_numpy()))
    frame = frame.iloc[order].reset_index(drop=True)
    kpis = [dataset.target, *dataset.features]
    lagged = _lagged(frame, kpis, "station", lags)
    hours = _hour_of_day(frame["time"])
    frame = pd.concat([frame, lagged, hours], axis=1)
    frame["day"] = _day_type(frame["time"])
    ordered = _Ordered(
        dataset=replace(
            dataset, frame=frame, features=[*lagged.columns, *hours.columns], categorical=[]
        ),
        session=frame["station"],
        recorded=frame["time"],
        context=("station", "day"),
        step_s=BARCELONA_STEP_S,
        gap_s=gap_s,
    )
    return _stream("barcelona-lte", ordered, max_rows, reference_share)


@REPLAYS.register("umn-mmwave")
def umn_replay(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    max_rows: int | None = None,
    direction: str = "all",
    run_gap_s: float = 30.0,
    step_s: float = 1.0,
    gap_s: float = 10.0,
    reference_share: float = REFERENCE_SHARE,
) -> NetworkStream:
    """The Verizon mmWave walking tests (Minneapolis, SIGCOMM 2021) in recording order.

    Order
        ``s20_verizon_nsahigh_all.csv`` rows sorted by ``timestamp`` (the
        file is not: the artifact concatenated its runs in glob order, then
        downlink rows before uplink ones).  2021-01-07..01-21, 8,056 rows
        (2,636 downlink).  A run is a stretch of rows less than ``run_gap_s``
        apart (the artifact's run numbers were dropped from this file; 127
        runs with the default, separated by 33 s to 6 days).
    Clock
        One row per second within a run (the iperf interval: 92 % of
        consecutive rows are 1 s apart, the rest up to 15 s where the
        artifact's high-band filter dropped rows), ``gap_s`` more between runs.
    Target
        ``Throughput`` (Mbit/s) of the row's own test direction, the loader's target.
    Features
        The loader's signal features (``rsrp``, ``nr_ssRsrp``, ``nr_ssSinr``
        and their per-second averages) and one-hot ``nrStatus``.  The
        throughput columns (``downlink_mbps``, ``*_rolled_mbps_*``, rolling
        means that include the current second) and the power columns (power
        follows throughput) would leak the target; ``direction`` would name
        the change directly, so it is left out: a direction switch is a
        concept change hidden from the inputs.
    Changes
        Where the test direction switches (``kind`` ``direction``): with
        ``direction="all"`` (default) 5 switches, downlink and uplink days
        alternating.  The file documents no other condition (route,
        trajectory and run numbers were dropped by the artifact's
        ``05-Prepare-Data-Modeling.py``), so with ``direction="downlink"`` or
        ``"uplink"`` the stream has no change points (empty ``changes``:
        detection metrics are not computed, error over time still is).

    Parameters
    ----------
    data_dir
        Directory holding ``umn-mmwave/``.
    max_rows
        Keep the first ``max_rows`` rows in replay order.
    direction
        ``"all"``, ``"downlink"`` or ``"uplink"`` rows (the loader's filter).
    run_gap_s
        Recorded seconds between rows that start a new run (> 0).
    step_s, gap_s
        Replay clock (:func:`replay_clock`).
    reference_share
        Share of the stream whose medians impute missing values.
    """
    _check_options(max_rows, reference_share, step_s, gap_s)
    if not (np.isfinite(run_gap_s) and run_gap_s > 0):
        raise InvalidInputError("run_gap_s", f"must be a positive number, got {run_gap_s!r}")
    dataset = load_dataset("umn-mmwave", data_dir, file="s20", direction=direction)
    frame = dataset.frame
    order = np.lexsort((np.arange(len(frame)), frame["timestamp"].to_numpy()))
    frame = frame.iloc[order].reset_index(drop=True)
    elapsed = frame["timestamp"].diff().dt.total_seconds()
    runs = (elapsed.isna() | (elapsed >= run_gap_s)).cumsum()
    frame["run"] = "run " + runs.astype(str)
    ordered = _Ordered(
        dataset=replace(dataset, frame=frame),
        session=frame["run"],
        recorded=frame["timestamp"],
        context=("direction",),
        step_s=step_s,
        gap_s=gap_s,
    )
    return _stream("umn-mmwave", ordered, max_rows, reference_share)


# -------------------------------------------------------------------- helpers


def _stream(
    name: str, ordered: _Ordered, max_rows: int | None, reference_share: float
) -> NetworkStream:
    """Cap, clock, encode and annotate ordered rows as a :class:`NetworkStream`."""
    if not 0.0 < reference_share <= 1.0:
        raise InvalidInputError("reference_share", f"must lie in (0, 1], got {reference_share!r}")
    n = len(ordered.dataset.frame)
    if max_rows is not None:
        n = min(n, check_positive_int(max_rows, "max_rows"))
    dataset = replace(ordered.dataset, frame=ordered.dataset.frame.iloc[:n])
    session = ordered.session.iloc[:n]
    times = replay_clock(session, ordered.step_s, ordered.gap_s)
    n_reference = max(1, int(reference_share * n))
    X, names = encode_features(dataset, fit_rows=np.arange(n_reference))
    changes = context_changes(
        times, dataset.frame[list(ordered.context)], ordered.recorded.iloc[:n], session
    )
    return NetworkStream(name, times, X, dataset.y, tuple(names), changes)


def _check_options(
    max_rows: int | None, reference_share: float, step_s: float, gap_s: float
) -> None:
    """Raise :class:`InvalidInputError` on a bad common option (before any file is read)."""
    if max_rows is not None:
        check_positive_int(max_rows, "max_rows")
    if not (isinstance(reference_share, int | float) and 0.0 < reference_share <= 1.0):
        raise InvalidInputError("reference_share", f"must lie in (0, 1], got {reference_share!r}")
    _check_clock(step_s, gap_s)


def _check_clock(step_s: float, gap_s: float) -> None:
    if not (np.isfinite(step_s) and step_s > 0):
        raise InvalidInputError("step_s", f"must be a positive number, got {step_s!r}")
    if not (np.isfinite(gap_s) and gap_s >= 0):
        raise InvalidInputError("gap_s", f"must be a number >= 0, got {gap_s!r}")


def _check_subset(values: Sequence[str], parameter: str, known: tuple[str, ...]) -> tuple[str, ...]:
    chosen = (values,) if isinstance(values, str) else tuple(values)
    unknown = [v for v in chosen if v not in known]
    if unknown or not chosen:
        raise InvalidInputError(
            parameter, f"must be one or more of {', '.join(map(repr, known))}, got {values!r}"
        )
    return chosen


def _check_lags(lags: Sequence[int]) -> tuple[int, ...]:
    chosen = tuple(lags)
    if not chosen:
        raise InvalidInputError("lags", "must name at least one step back")
    return tuple(check_positive_int(lag, "lags") for lag in chosen)


def _lagged(
    frame: pd.DataFrame, columns: list[str], group: str, lags: tuple[int, ...]
) -> pd.DataFrame:
    """``columns`` of ``lag`` rows earlier in the same ``group`` (NaN before its first rows)."""
    grouped = frame.groupby(group, sort=False)[columns]
    parts = [grouped.shift(lag).add_suffix(f"_lag{lag}") for lag in lags]
    return pd.concat(parts, axis=1).astype("float64")


def _hour_of_day(times: pd.Series) -> pd.DataFrame:
    """Recorded hour of day on the unit circle (23:58 is next to 00:00)."""
    hours = times.dt.hour + times.dt.minute / 60.0
    angle = 2.0 * np.pi * hours.to_numpy(dtype=np.float64) / 24.0
    return pd.DataFrame({"hour_sin": np.sin(angle), "hour_cos": np.cos(angle)}, index=times.index)


def _day_type(times: pd.Series) -> pd.Series:
    """``"rest"`` on Saturdays, Sundays and :data:`BARCELONA_HOLIDAYS`, else ``"working"``."""
    dates = times.dt.strftime("%Y-%m-%d")
    rest = (times.dt.dayofweek >= 5) | dates.isin(list(BARCELONA_HOLIDAYS))
    return pd.Series(np.where(rest, "rest", "working"), index=times.index, dtype="string")
