"""Reading landed files: every format as strings with line numbers; bad files fail clearly."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from assets.raw.errors import LandingFileError
from assets.raw.readers import LINE, read_landed_file


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_csv_values_are_strings_and_lines_count_quoted_newlines(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "a.csv",
        b'id,text,score\n1,"two\nlines",007\n\n2,plain,\n3,"""quoted"", and, commas",1.50\n',
    )
    raw = read_landed_file(path, "a.csv")
    assert raw.columns == ("id", "text", "score")
    assert raw.frame.schema == {
        "id": pl.String,
        "text": pl.String,
        "score": pl.String,
        LINE: pl.Int64,
    }
    assert raw.frame.rows() == [
        ("1", "two\nlines", "007", 2),
        ("2", "plain", None, 5),
        ("3", '"quoted", and, commas', "1.50", 6),
    ]


def test_csv_with_crlf_bom_and_gzip(tmp_path: Path) -> None:
    data = "\ufeffid,text\r\n1,héllo\r\n2,wörld\r\n".encode()
    path = _write(tmp_path, "b.csv.gz", gzip.compress(data))
    raw = read_landed_file(path, "b.csv.gz")
    assert raw.columns == ("id", "text")
    assert raw.frame.rows() == [("1", "héllo", 2), ("2", "wörld", 3)]


def test_jsonl_values_become_strings_and_bad_lines_are_kept_aside(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": 1, "ok": True, "tags": ["a"], "text": "x"}),
        "",
        "{not json",
        json.dumps({"id": "2", "extra": None}),
        "[1, 2]",
    ]
    path = _write(tmp_path, "c.jsonl", "\n".join(lines).encode())
    raw = read_landed_file(path, "c.jsonl")
    assert raw.columns == ("id", "ok", "tags", "text", "extra")
    assert raw.frame.rows() == [
        ("1", "true", '["a"]', "x", None, 1),
        ("2", None, None, None, None, 4),
    ]
    assert [(line, reason.split(" (")[0]) for line, reason, _ in raw.bad_lines] == [
        (3, "line is not valid JSON"),
        (5, "line is not a JSON object"),
    ]


def test_jsonl_whose_first_line_is_not_json_is_not_json_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.jsonl", b"id,text\n1,hello\n")
    with pytest.raises(LandingFileError, match=r"d\.jsonl, line 1: is not JSON Lines"):
        read_landed_file(path, "d.jsonl")


def test_parquet_columns_are_cast_to_strings_with_row_numbers(tmp_path: Path) -> None:
    frame = pl.DataFrame({"id": [1, 2], "score": [9.5, None], "flag": [True, False]})
    path = tmp_path / "e.parquet"
    frame.write_parquet(path)
    raw = read_landed_file(path, "e.parquet")
    assert raw.frame.rows() == [("1", "9.5", "true", 1), ("2", None, "false", 2)]


def test_yaml_records_carry_their_line(tmp_path: Path) -> None:
    text = "accounts:\n  - handle: A\n    is_bot: yes\n  - handle: B\n    minutes: 60\n"
    path = _write(tmp_path, "f.yaml", text.encode())
    raw = read_landed_file(path, "f.yaml")
    assert raw.frame.rows() == [("A", "true", None, 2), ("B", None, "60", 4)]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "bad.csv",
            b"id,text\n1,ok\n2,caf\xe9\n",
            r"bad\.csv, line 3: is not valid UTF-8 \(byte 0xe9\)",
        ),
        ("bad.csv.gz", b"\x1f\x8b\x08\x00broken", r"bad\.csv\.gz: is not a readable gzip file"),
        ("bad.csv", b"id,text\n1,ok\n2,too,many,fields\n", r"bad\.csv, line 3: has 4 fields"),
        ("bad.csv", b"id,id\n1,2\n", r"bad\.csv, line 1: column 'id' appears twice"),
        ("bad.csv", b"", r"bad\.csv: the file is empty"),
        ("bad.parquet", b"id,text\n1,ok\n", r"bad\.parquet: is not a readable Parquet file"),
        ("bad.yaml", b"- a: [1\n", r"bad\.yaml, line 2: is not valid YAML"),
    ],
)
def test_unreadable_files_name_the_file_and_problem(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = _write(tmp_path, name, data)
    with pytest.raises(LandingFileError, match=message):
        read_landed_file(path, name)


def test_truncated_gzip_fails_with_the_file_name(tmp_path: Path) -> None:
    data = gzip.compress(b"id,text\n" + b"1,hello\n" * 1000)
    path = _write(tmp_path, "cut.csv.gz", data[: len(data) // 2])
    with pytest.raises(LandingFileError, match=r"cut\.csv\.gz: is not a readable gzip file"):
        read_landed_file(path, "cut.csv.gz")


def test_unnamed_columns_are_ignored_in_every_format(tmp_path: Path) -> None:
    """pandas' index (empty header, ``Unnamed: 0``, ``__index_level_0__``) is not data."""
    frame = pd.DataFrame({"id": ["a", "b"], "text": ["x\ny", "z"]})
    frame.to_csv(tmp_path / "to_csv.csv")
    pd.read_csv(tmp_path / "to_csv.csv").to_csv(tmp_path / "reread.csv.gz", index=False)
    pl.DataFrame({"__index_level_0__": [0, 1], "id": ["a", "b"], "": [1, 2]}).write_parquet(
        tmp_path / "indexed.parquet"
    )
    _write(tmp_path, "keys.jsonl", b'{"": 0, "id": "a"}\n{"": 1, "id": "b"}\n')
    # A quoted newline in an ignored column still moves the later records down.
    _write(tmp_path, "middle.csv", b'id,,text\na,"1\n2",x\nb,3,y\n')

    read = {name: read_landed_file(tmp_path / name, name) for name in sorted(os.listdir(tmp_path))}
    assert {name: raw.columns for name, raw in read.items()} == {
        "indexed.parquet": ("id",),
        "keys.jsonl": ("id",),
        "middle.csv": ("id", "text"),
        "reread.csv.gz": ("id", "text"),
        "to_csv.csv": ("id", "text"),
    }
    assert read["to_csv.csv"].frame.rows() == [("a", "x\ny", 2), ("b", "z", 4)]
    assert read["middle.csv"].frame.rows() == [("a", "x", 2), ("b", "y", 4)]
    assert {name: raw.ignored for name, raw in read.items()} == {
        "indexed.parquet": [(1, "__index_level_0__"), (3, "")],
        "keys.jsonl": [(1, "")],
        "middle.csv": [(2, "")],
        "reread.csv.gz": [(1, "Unnamed: 0")],
        "to_csv.csv": [(1, "")],
    }
    assert read["to_csv.csv"].ignored_notes() == [
        "to_csv.csv: column 1 of 3 has no name (empty header, as pandas' DataFrame.to_csv "
        "writes its index); it is ignored, not loaded"
    ]
    assert read["reread.csv.gz"].ignored_notes() == [
        "reread.csv.gz: column 1 of 3 has no name ('Unnamed: 0' is pandas' placeholder for "
        "an empty header); it is ignored, not loaded"
    ]
    assert read["indexed.parquet"].ignored_notes()[0] == (
        "indexed.parquet: column 1 of 3 has no name ('__index_level_0__' is a pandas index "
        "stored by DataFrame.to_parquet); it is ignored, not loaded"
    )


def test_a_named_column_twice_still_fails_with_both_positions(tmp_path: Path) -> None:
    path = _write(tmp_path, "twice.csv", b",id,text,id\n0,1,x,2\n")
    with pytest.raises(
        LandingFileError,
        match=r"^twice\.csv, line 1: column 'id' appears twice in the header \(columns 2 and 4\)$",
    ):
        read_landed_file(path, "twice.csv")
