"""Bad data files: one DataError naming the file, line and column; nothing half-loaded."""

from __future__ import annotations

import zipfile

import pytest
from data_helpers import lumos5g_like

from netal.data import load_dataset
from netal.data._io import read_csv_strict, zip_csv_members
from netal.errors import DataError, InvalidInputError


def _write(tmp_path, text: str | bytes, name: str = "table.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def _load_csv(path, **options):
    return load_dataset("csv", path=path, **options)


def test_truncated_csv_names_the_last_line(tmp_path):
    path = _write(tmp_path, "a,b,y\n1,2,3\n4,5,6\n7,8")
    with pytest.raises(DataError) as err:
        _load_csv(path, target="y")
    assert err.value.path == str(path)
    assert err.value.line == 4
    assert "truncated" in str(err.value)


def test_truncated_lumos5g_csv(tmp_path):
    text = lumos5g_like().to_csv(index=False)
    path = _write(tmp_path, text[: len(text) - 40], "Lumos5G-v1.0.csv")
    with pytest.raises(DataError, match="truncated") as err:
        load_dataset("lumos5g", path=path)
    assert err.value.line == text[: len(text) - 40].count("\n") + 1


def test_extra_field_is_malformed(tmp_path):
    path = _write(tmp_path, "a,b,y\n1,2,3\n4,5,6,7\n8,9,10\n")
    with pytest.raises(DataError, match="has 4 field") as err:
        _load_csv(path, target="y")
    assert err.value.line == 3


def test_quoted_fields_are_counted_as_csv(tmp_path):
    path = _write(tmp_path, 'name,y\n"a,b",1\n"c",2,3\n')
    with pytest.raises(DataError, match="field"):
        _load_csv(path, target="y")
    ok = _write(tmp_path, 'name,y\n"a,b",1\n"c",2\n', "ok.csv")
    assert list(_load_csv(ok, target="y", features=[]).frame["name"]) == ["a,b", "c"]


def test_blank_line_in_the_middle(tmp_path):
    path = _write(tmp_path, "a,y\n1,2\n\n3,4\n")
    with pytest.raises(DataError, match="empty") as err:
        _load_csv(path, target="y")
    assert err.value.line == 3


def test_non_numeric_value_names_line_and_column(tmp_path):
    path = _write(tmp_path, "a,b,y\n1,2,3\n4,oops,6\n")
    with pytest.raises(DataError, match="'oops'") as err:
        _load_csv(path, target="y", features=["a", "b"])
    assert (err.value.line, err.value.column) == (3, "b")
    assert f"{path}, line 3, column 'b'" in str(err.value)


def test_non_numeric_in_lumos5g(tmp_path):
    frame = lumos5g_like().astype({"lte_rsrp": object})
    frame.loc[7, "lte_rsrp"] = "-9x"
    path = tmp_path / "l.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        load_dataset("lumos5g", path=path)
    assert (err.value.line, err.value.column) == (9, "lte_rsrp")


def test_missing_target_and_feature_columns(tmp_path):
    path = _write(tmp_path, "a,b\n1,2\n")
    with pytest.raises(DataError, match=r"missing column\(s\): y") as err:
        _load_csv(path, target="y")
    assert err.value.line == 1
    with pytest.raises(DataError, match=r"missing column\(s\): c"):
        _load_csv(path, target="a", features="b,c")


def test_duplicate_header(tmp_path):
    path = _write(tmp_path, "a,a,y\n1,2,3\n")
    with pytest.raises(DataError, match="duplicate column"):
        _load_csv(path, target="y")


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_file(tmp_path, content):
    path = _write(tmp_path, content)
    with pytest.raises(DataError, match="empty") as err:
        _load_csv(path, target="y")
    assert err.value.path == str(path)


def test_header_only(tmp_path):
    with pytest.raises(DataError, match="no data rows"):
        _load_csv(_write(tmp_path, "a,y\n"), target="y")


def test_binary_garbage(tmp_path):
    with pytest.raises(DataError, match="binary, not CSV text"):
        _load_csv(_write(tmp_path, b"a,y\n1,2\n\xff\xfe\x00\x01"), target="y")
    with pytest.raises(DataError, match="UTF-8"):
        _load_csv(_write(tmp_path, b"a,y\n1,2\n\xff\xfe,3\n"), target="y")


def test_zip_without_csv(tmp_path):
    archive = tmp_path / "5G-production-dataset.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("5G-production-dataset/readme.txt", "nothing here")
        zf.writestr("__MACOSX/5G-production-dataset/._x.csv", "a,b\n")
    with pytest.raises(DataError, match="no CSV") as err:
        zip_csv_members(archive)
    assert err.value.path == str(archive)
    with pytest.raises(DataError, match="no CSV"):
        load_dataset("ucc5g", path=archive)
    with pytest.raises(DataError, match="no CSV"):
        load_dataset("lumos5g", path=archive)


def test_not_a_zip(tmp_path):
    archive = _write(tmp_path, b"this is not a zip", "broken.zip")
    with pytest.raises(DataError, match="not a readable zip"):
        load_dataset("ucc5g", path=archive)


def test_malformed_member_in_ucc_zip_names_the_member(tmp_path, data_dir):
    # a real session file, truncated, inside an otherwise valid archive
    real = zip_csv_members(data_dir / "ucc5g" / "5G-production-dataset.zip")
    name, raw = next(iter(real.items()))
    archive = tmp_path / "5G-production-dataset.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(name, raw[: len(raw) // 2])
    with pytest.raises(DataError) as err:
        load_dataset("ucc5g", path=archive)
    assert name in err.value.path and err.value.line is not None


def test_csv_loader_arguments(tmp_path):
    path = _write(tmp_path, "a,g,y\n1,x,3\n4,y,6\n")
    with pytest.raises(InvalidInputError, match="target"):
        _load_csv(path)
    with pytest.raises(InvalidInputError, match="path"):
        load_dataset("csv", target="y")
    with pytest.raises(DataError, match="file not found"):
        load_dataset("csv", path=tmp_path / "nope.csv", target="y")
    ds = _load_csv(path, target="y")
    assert ds.features == ["a"] and ds.categorical == ["g"]


def test_user_parquet_with_non_numeric_feature(tmp_path):
    import pandas as pd

    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": ["1", "zz"], "y": [1.0, 2.0]}).to_parquet(path)
    with pytest.raises(DataError, match="not numeric") as err:
        _load_csv(path, target="y", features=["a"])
    assert err.value.column == "a"
    with pytest.raises(DataError, match="Parquet"):
        _load_csv(_write(tmp_path, b"PAR1garbage", "x.parquet"), target="y")


def test_read_csv_strict_converts_missing_tokens():
    frame = read_csv_strict(
        b"a,b\n1,-\n2,NaN\n", "mem", numeric=("a", "b"), na_tokens={"-", "NaN", ""}
    )
    assert frame["b"].isna().all() and frame["a"].tolist() == [1, 2]


def test_errors_in_a_later_zip_member_name_that_member_and_its_line(tmp_path, data_dir):
    real = zip_csv_members(data_dir / "ucc5g" / "5G-production-dataset.zip")
    (first, raw1), (second, raw2) = list(real.items())[:2]
    lines = raw2.decode().split("\n")
    fields = lines[4].split(",")
    fields[12] = "12k"  # DL_bitrate on line 5 of the second file
    bad_number = "\n".join([*lines[:4], ",".join(fields), *lines[5:]]).encode()
    fields = lines[6].split(",")
    fields[0] = "2019-13-45"  # Timestamp on line 7
    bad_time = "\n".join([*lines[:6], ",".join(fields), *lines[7:]]).encode()
    for content, line, column in ((bad_number, 5, "DL_bitrate"), (bad_time, 7, "Timestamp")):
        archive = tmp_path / f"{column}.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr(first, raw1)
            zf.writestr(second, content)
        with pytest.raises(DataError) as err:
            load_dataset("ucc5g", path=archive)
        assert err.value.path == f"{archive}:{second}"
        assert (err.value.line, err.value.column) == (line, column)


def test_classification_target_must_be_integer_labels(tmp_path):
    path = _write(tmp_path, "a,y\n1,0\n2,1\n3,0.5\n")
    with pytest.raises(DataError, match="integer class labels") as err:
        _load_csv(path, target="y", task="classification")
    assert err.value.column == "y"
    assert _load_csv(path, target="y", task="regression").task == "regression"
