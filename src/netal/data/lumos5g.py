"""Lumos5G-v1.0: Verizon mmWave 5G throughput along a 1,300 m loop in Minneapolis.

Narayanan et al., "Lumos5G: Mapping and Predicting Commercial mmWave 5G
Throughput", ACM IMC 2020.  The file (CC BY 4.0) is not redistributed: a user
supplies ``Lumos5G-v1.0.csv`` or the official zip.  The digital twin
(:mod:`netal.twin`) writes the same schema, as CSV or Parquet; this loader
reads those too.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal.data._io import (
    check_numeric_frame,
    git_blob_id,
    mask_sentinel,
    read_bytes,
    read_csv_strict,
    read_parquet_strict,
    zip_csv_members,
)
from netal.data.base import DATASETS, Dataset, DatasetLoader, check_choice
from netal.errors import DataError
from netal.schemas import (
    LUMOS5G_CATEGORICAL,
    LUMOS5G_COLUMNS,
    LUMOS5G_FEATURES,
    LUMOS5G_NUMERIC,
    LUMOS5G_SENTINEL,
    LUMOS5G_TARGET,
    LUMOS5G_UNITS,
)

LUMOS5G_FILE = "Lumos5G-v1.0.csv"
LUMOS5G_GIT_BLOB_ID = "55aa243f1476e3c3bc97ffee8ca88b4e725f0686"
"""Git blob id of the official ``Lumos5G-v1.0.csv`` (the file of the paper's results)."""


class Lumos5GMismatchWarning(UserWarning):
    """The Lumos5G file is not byte-identical to the official Lumos5G-v1.0.csv."""


@DATASETS.register("lumos5g")
class Lumos5G(DatasetLoader):
    """Loader of Lumos5G-v1.0 (and of twin output with its schema)."""

    name = "lumos5g"
    description = (
        "Lumos5G-v1.0 mmWave throughput, Minneapolis (user-supplied CSV/zip, or twin CSV/Parquet)"
    )
    folder = "lumos5g"
    task = "regression"

    def locate(self, data_dir: Path, path: str | Path | None = None, **_: Any) -> list[Path]:
        """The file to read: ``path`` if given, else ``Lumos5G-v1.0.csv`` or a ``Lumos5G*.zip`` in ``data_dir``."""
        if path is not None:
            candidate = Path(path).expanduser()
            if not candidate.is_file():
                raise DataError(str(candidate), "file not found")
            return [candidate]
        for directory in (data_dir / self.folder, data_dir):
            if (directory / LUMOS5G_FILE).is_file():
                return [directory / LUMOS5G_FILE]
            zips = sorted(directory.glob("Lumos5G*.zip")) if directory.is_dir() else []
            if zips:
                return [zips[0]]
        raise DataError(
            str(data_dir / self.folder / LUMOS5G_FILE),
            "not found: Lumos5G has no public mirror; download Lumos5G-v1.0 (CC BY 4.0) from "
            "https://ieee-dataport.org/open-access/lumos5g-dataset and put the CSV or zip there, "
            "or pass path=",
        )

    def load(
        self,
        data_dir: Path,
        *,
        path: str | Path | None = None,
        preprocessing: str = "none",
        mask_sentinels: bool | None = None,
        verify: bool = True,
        run_num_feature: bool = False,
    ) -> Dataset:
        """Read Lumos5G and validate its 19-column schema.

        Parameters
        ----------
        data_dir
            Data directory searched for ``Lumos5G-v1.0.csv`` / ``Lumos5G*.zip``.
        path
            Explicit CSV, zip or Parquet file (e.g. written by the digital twin).
        preprocessing
            ``"none"``: raw columns, sentinel ``2147483647`` masked as NaN.
            ``"paper"``: the seed paper's notebook (Sababha et al.): drop ``seq_num``
            and ``tower_id``; the 12 numeric columns imputed with 0 and standardized
            over the whole file; ``nrStatus``, ``mobility_mode``,
            ``trajectory_direction`` one-hot encoded; the sentinel NOT masked
            (standardized as a value): a faithful reproduction, flaws included.
        mask_sentinels
            Override the sentinel masking (default: True for ``"none"``, False for ``"paper"``).
        verify
            Compare the git blob id of a CSV with the official one and warn
            (:class:`Lumos5GMismatchWarning`) on mismatch; set False for twin output.
        run_num_feature
            In ``"paper"`` mode, also use ``run_num`` as a feature.  The notebook's
            ``ColumnTransformer(remainder="drop")`` drops it (its windows have 19
            features = 12 numeric + 7 one-hot), so the default is False.
        """
        check_choice(preprocessing, "preprocessing", ("none", "paper"))
        source = self.locate(data_dir, path=path)[0]
        frame, blob = _read(source)
        notes: list[str] = []
        if verify and blob is not None and blob != LUMOS5G_GIT_BLOB_ID:
            warnings.warn(
                f"{source}: git blob id {blob} differs from the official Lumos5G-v1.0.csv "
                f"({LUMOS5G_GIT_BLOB_ID}); results are not comparable with the paper's "
                "(pass verify=False for twin-generated data)",
                Lumos5GMismatchWarning,
                stacklevel=3,
            )
            notes.append(f"git blob id {blob} (official: {LUMOS5G_GIT_BLOB_ID})")
        return lumos5g_dataset(
            frame,
            source=str(source),
            preprocessing=preprocessing,
            mask_sentinels=mask_sentinels,
            run_num_feature=run_num_feature,
            notes=notes,
        )


def lumos5g_dataset(
    frame: pd.DataFrame,
    *,
    source: str = "<frame>",
    name: str = "lumos5g",
    preprocessing: str = "none",
    mask_sentinels: bool | None = None,
    run_num_feature: bool = False,
    notes: list[str] | None = None,
) -> Dataset:
    """A :class:`Dataset` from a frame with the Lumos5G schema (a file's or the twin's).

    Parameters are those of :meth:`Lumos5G.load`; ``frame`` must hold the 19
    Lumos5G columns (validated).
    """
    check_choice(preprocessing, "preprocessing", ("none", "paper"))
    missing = [c for c in LUMOS5G_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(source, f"missing Lumos5G column(s): {', '.join(missing)}")
    frame = frame.copy()
    notes = list(notes or [])
    if mask_sentinels is None:
        mask_sentinels = preprocessing == "none"
    if mask_sentinels:
        masked = mask_sentinel(frame, LUMOS5G_NUMERIC, LUMOS5G_SENTINEL)
        notes += [
            f"masked {n} sentinel value(s) {LUMOS5G_SENTINEL} in {c} as NaN"
            for c, n in masked.items()
        ]
    if preprocessing == "paper":
        dataset = _paper_dataset(frame, source, notes, run_num_feature)
        dataset.name = name
        return dataset
    return Dataset(
        frame=frame,
        name=name,
        target=LUMOS5G_TARGET,
        features=list(LUMOS5G_FEATURES),
        categorical=list(LUMOS5G_CATEGORICAL),
        group="run_num",
        coords=("latitude", "longitude"),
        time="seq_num",
        units=dict(LUMOS5G_UNITS),
        task="regression",
        source=source,
        notes=notes,
    )


def _read(source: Path) -> tuple[pd.DataFrame, str | None]:
    """The raw frame and the git blob id of the CSV bytes (None for Parquet)."""
    suffix = source.suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame = read_parquet_strict(source, required=LUMOS5G_COLUMNS, exact=True)
        check_numeric_frame(frame, str(source), LUMOS5G_NUMERIC)
        return frame[list(LUMOS5G_COLUMNS)].reset_index(drop=True), None
    if suffix == ".zip":
        members = zip_csv_members(source)
        name = next((m for m in members if Path(m).name == LUMOS5G_FILE), None)
        if name is None and len(members) == 1:
            name = next(iter(members))
        if name is None:
            raise DataError(
                str(source), f"zip holds several CSVs but no {LUMOS5G_FILE}: {', '.join(members)}"
            )
        raw, label = members[name], f"{source}:{name}"
    else:
        raw, label = read_bytes(source), str(source)
    frame = read_csv_strict(
        raw, label, required=LUMOS5G_COLUMNS, exact=True, numeric=LUMOS5G_NUMERIC
    )
    if frame.empty:
        raise DataError(label, "has a header but no data rows")
    return frame[list(LUMOS5G_COLUMNS)], git_blob_id(raw)


def paper_preprocess(frame: pd.DataFrame, *, run_num_feature: bool = False) -> pd.DataFrame:
    """The seed notebook's preprocessing of a raw Lumos5G frame (fit on the whole frame).

    Numeric columns: constant imputation with 0, then standardization
    (scikit-learn ``SimpleImputer`` + ``StandardScaler``); categorical columns
    one-hot encoded (``OneHotEncoder``), in that order, as in the notebook of
    Sababha et al. (2025), "Active machine learning for AI-native 6G networks".

    Returns
    -------
    pandas.DataFrame
        The transformed feature columns only.
    """
    # imported on use, not at the top, so `import netal.data` stays light (third-party)
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = list(LUMOS5G_FEATURES) + (["run_num"] if run_num_feature else [])
    transformer = ColumnTransformer(
        [
            (
                "num",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value=0)),
                        ("scale", StandardScaler()),
                    ]
                ),
                numeric,
            ),
            (
                "cat",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                list(LUMOS5G_CATEGORICAL),
            ),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )
    categorical = (
        frame[list(LUMOS5G_CATEGORICAL)]
        .astype(object)
        .where(frame[list(LUMOS5G_CATEGORICAL)].notna(), "nan")
    )
    inputs = pd.concat([frame[numeric].astype("float64"), categorical], axis=1)
    values = transformer.fit_transform(inputs)
    return pd.DataFrame(
        np.asarray(values, dtype=np.float64),
        columns=transformer.get_feature_names_out(),
        index=frame.index,
    )


def _paper_dataset(
    frame: pd.DataFrame, source: str, notes: list[str], run_num_feature: bool
) -> Dataset:
    features = paper_preprocess(frame, run_num_feature=run_num_feature)
    features.columns = [f"x_{c}" for c in features.columns]
    kept = frame[["run_num", "seq_num", LUMOS5G_TARGET]]
    notes = [
        *notes,
        "paper preprocessing: seq_num/tower_id dropped, numeric imputed 0 + standardized on the whole file, "
        "categoricals one-hot, sentinel not masked",
    ]
    return Dataset(
        frame=pd.concat([features, kept], axis=1),
        name="lumos5g",
        target=LUMOS5G_TARGET,
        features=list(features.columns),
        categorical=[],
        group="run_num",
        coords=None,
        time="seq_num",
        units={
            LUMOS5G_TARGET: LUMOS5G_UNITS[LUMOS5G_TARGET],
            **{c: "standardized" for c in features.columns},
        },
        task="regression",
        source=source,
        notes=notes,
    )
