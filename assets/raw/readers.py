"""Read a landed file into a frame of strings, one row per record, with its line number.

Every value is read as a string (nothing is inferred), so the validation step
decides what a value means and can say exactly which value was refused. Each
row carries `LINE`: the 1-based line where the record starts (CSV: the header
is line 1; a quoted value spanning lines moves later records down, as an
editor shows them; JSON Lines: the line; Parquet: the row number; YAML: the
line of the list item).

A column without a name is not data of the contract: pandas'
`DataFrame.to_csv` writes its index as a first column with an empty header,
re-reading such a file names it ``Unnamed: 0``, and `to_parquet` may keep it
as ``__index_level_0__``. Such columns (an empty or blank header, ``Unnamed:
<n>``, ``__index_level_<n>__``; in every format) are dropped on reading and
listed in `RawFile.ignored`, so the loader can say so; they never reach
``extra``.

A file that cannot be read at all raises `LandingFileError` naming the file,
the problem and, where known, the line. A header naming a column twice is
such a file, and so is a YAML file using aliases (``*name``): a few hundred
bytes of nested aliases expand to gigabytes.

`RawFile.sha256` is the hash of the bytes actually read, so a caller can tell
whether they are the bytes it indexed (`expected_sha256`): a file rewritten
while it is read must not load as a quiet half of itself.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import yaml

from assets.raw.errors import LandingFileError

LINE = "__line"
SIDECAR_SUFFIX = ".webcare.json"

_KINDS: tuple[tuple[str, str], ...] = (
    (".csv.gz", "csv"),
    (".csv", "csv"),
    (".jsonl.gz", "jsonl"),
    (".ndjson.gz", "jsonl"),
    (".jsonl", "jsonl"),
    (".ndjson", "jsonl"),
    (".parquet", "parquet"),
    (".yaml", "yaml"),
    (".yml", "yaml"),
)
_DECODE_CHUNK = 8 * 1024 * 1024
# pandas' placeholder for a header cell without a name, and pyarrow's name for a pandas index.
_UNNAMED = re.compile(r"^(Unnamed: \d+|__index_level_\d+__)$")


@dataclass
class RawFile:
    """A landed file as read: string columns in file order plus `LINE`.

    `bad_lines` holds records that could not be parsed on their own (a JSON
    Lines line that is not a JSON object) with a reason; the rest of the file
    is usable, so they become rejected rows instead of failing the file.
    `ignored` lists the unnamed columns left out of `frame` and `columns`:
    (1-based position in the file, the name as written).
    """

    name: str
    kind: str
    frame: pl.DataFrame
    columns: tuple[str, ...]
    bad_lines: list[tuple[int, str, str]] = field(default_factory=list)
    ignored: list[tuple[int, str]] = field(default_factory=list)
    sha256: str = ""

    def ignored_notes(self) -> list[str]:
        """One readable line per ignored column, naming the file and the column's position."""
        total = len(self.columns) + len(self.ignored)
        return [
            f"{self.name}: column {position} of {total} has no name "
            f"({_describe_unnamed(name)}); it is ignored, not loaded"
            for position, name in self.ignored
        ]


def is_unnamed(column: str) -> bool:
    """Whether a column name means "no name" (empty, blank, pandas' ``Unnamed: 0``, ...)."""
    name = column.strip().lstrip("\ufeff")
    return not name or bool(_UNNAMED.match(name))


def _describe_unnamed(name: str) -> str:
    if not name.strip():
        return "empty header, as pandas' DataFrame.to_csv writes its index"
    if name.startswith("Unnamed: "):
        return f"'{name}' is pandas' placeholder for an empty header"
    return f"'{name}' is a pandas index stored by DataFrame.to_parquet"


def _without_unnamed(
    frame: pl.DataFrame, columns: Sequence[str], written: Sequence[str] | None = None
) -> tuple[pl.DataFrame, tuple[str, ...], list[tuple[int, str]]]:
    """`frame` and `columns` without the unnamed columns, and those columns (position, name).

    `written` gives the names as the file writes them when `columns` (the frame's
    names) had to stand in for them (a CSV header with empty names).
    """
    written = list(written if written is not None else columns)
    ignored = [
        (position, label)
        for position, (column, label) in enumerate(zip(columns, written, strict=True), start=1)
        if is_unnamed(label)
    ]
    if not ignored:
        return frame, tuple(columns), []
    dropped = [column for column, label in zip(columns, written, strict=True) if is_unnamed(label)]
    kept = tuple(column for column in columns if column not in dropped)
    return frame.drop([column for column in dropped if column in frame.columns]), kept, ignored


def file_kind(path: Path) -> str | None:
    """``csv``, ``jsonl``, ``parquet`` or ``yaml`` from the file name; None for other files."""
    name = path.name.lower()
    for suffix, kind in _KINDS:
        if name.endswith(suffix):
            return kind
    return None


def is_landing_candidate(path: Path) -> bool:
    """Whether a path under the landing folder is a data file (not hidden, not a sidecar)."""
    return (
        path.is_file()
        and not path.name.startswith(".")
        and not path.name.endswith(SIDECAR_SUFFIX)
        and file_kind(path) is not None
    )


class FileChangedError(LandingFileError):
    """The bytes read are not the bytes indexed: the file is being written. Never cached."""

    def __init__(self, file: str) -> None:
        super().__init__(
            file, "changed while it was read; run again once the file is completely written"
        )


def unreadable_problem(error: OSError) -> str:
    """What to say about a file the operating system will not let us read (one line)."""
    reason = error.strerror or type(error).__name__
    return (
        f"cannot be read ({reason}); give the webcare user read access to it "
        "or move it out of the landing folder"
    )


def read_landed_file(path: Path, name: str, expected_sha256: str | None = None) -> RawFile:
    """Read `path` (shown as `name` in messages) according to its suffix.

    With `expected_sha256`, bytes with another hash raise `FileChangedError`.
    """
    kind = file_kind(path)
    if kind is None:
        expected = ", ".join(suffix for suffix, _ in _KINDS)
        raise LandingFileError(name, f"unknown file type (expected one of {expected})")
    data, digest = _read_bytes(path, name, expected_sha256)
    raw = _read_kind(kind, data, name)
    raw.sha256 = digest
    return raw


def _read_kind(kind: str, data: bytes, name: str) -> RawFile:
    if kind == "parquet":
        return _read_parquet(data, name)
    if not data.strip():
        raise LandingFileError(name, "the file is empty; a file must hold a header and rows")
    _check_utf8(data, name)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if kind == "csv":
        return _read_csv(data, name)
    if kind == "jsonl":
        return _read_jsonl(data, name)
    return _read_yaml(data, name)


def _read_bytes(path: Path, name: str, expected_sha256: str | None) -> tuple[bytes, str]:
    """The file's bytes (decompressed when gzip) and the sha256 of the bytes as stored."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LandingFileError(name, unreadable_problem(error)) from error
    digest = hashlib.sha256(data).hexdigest()
    if expected_sha256 is not None and digest != expected_sha256:
        raise FileChangedError(name)
    if path.name.lower().endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise LandingFileError(
                name,
                f"is not a readable gzip file ({error}); land it again whole, "
                "or without .gz if it is not compressed",
            ) from error
    return data, digest


def _check_utf8(data: bytes, name: str) -> None:
    """Fail with the line of the first byte that is not UTF-8; decodes in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), _DECODE_CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            decoder.decode(
                data[start : start + _DECODE_CHUNK], final=start + _DECODE_CHUNK >= len(data)
            )
        except UnicodeDecodeError as error:
            offset = start - pending + error.start
            line = data.count(b"\n", 0, offset) + 1
            raise LandingFileError(
                name,
                f"is not valid UTF-8 (byte 0x{data[offset]:02x}); save the export as UTF-8",
                line=line,
            ) from error


def _decode_head(data: bytes) -> str:
    return data[:65536].decode("utf-8", errors="replace")


def _read_csv(data: bytes, name: str) -> RawFile:
    header = _csv_header(data, name)
    # polars needs a distinct name for every column: unnamed ones get a
    # placeholder no header can hold (a NUL byte) until they are dropped.
    names = [
        f"\x00unnamed {position}" if is_unnamed(column) else column
        for position, column in enumerate(header, start=1)
    ]
    try:
        frame = pl.read_csv(
            data,
            has_header=True,
            new_columns=names,
            infer_schema=False,
            eol_char="\n",
            quote_char='"',
        )
    except pl.exceptions.PolarsError as error:
        raise _csv_error(data, name, header, error) from error
    # Lines are counted over every column, unnamed ones included: a quoted
    # newline in any of them moves the records after it down.
    frame = frame.with_columns(_csv_lines(data, frame).alias(LINE))
    # A blank line reads as a row of nulls; it is not a record.
    frame = frame.filter(~pl.all_horizontal(pl.exclude(LINE).is_null()))
    frame, columns, ignored = _without_unnamed(frame, names, header)
    return RawFile(name=name, kind="csv", frame=frame, columns=columns, ignored=ignored)


def _csv_header(data: bytes, name: str) -> tuple[str, ...]:
    """The header's names as written (stripped); a named column may appear only once."""
    try:
        header = next(csv.reader(io.StringIO(_decode_head(data))))
    except (StopIteration, csv.Error) as error:
        raise LandingFileError(name, f"has no readable CSV header ({error})", line=1) from error
    header = [column.strip().lstrip("\ufeff") for column in header]
    seen: dict[str, int] = {}
    for position, column in enumerate(header, start=1):
        if is_unnamed(column):
            continue
        if column in seen:
            raise LandingFileError(
                name,
                f"column '{column}' appears twice in the header "
                f"(columns {seen[column]} and {position})",
                line=1,
            )
        seen[column] = position
    return tuple(header)


def _csv_lines(data: bytes, frame: pl.DataFrame) -> pl.Series:
    """Line where each record starts: header is line 1, quoted newlines push later records down."""
    if frame.height == 0:
        return pl.Series(LINE, [], dtype=pl.Int64)
    values = [pl.col(column).str.count_matches("\n").fill_null(0) for column in frame.columns]
    newlines_in_record = frame.select(pl.sum_horizontal(values).cast(pl.Int64)).to_series()
    lines = (
        pl.int_range(0, frame.height, eager=True, dtype=pl.Int64)
        + 2
        + newlines_in_record.cum_sum()
        - newlines_in_record
    )
    expected_newlines = (
        int(newlines_in_record.sum()) + frame.height + (1 if data.endswith(b"\n") else 0)
    )
    if data.count(b"\n") == expected_newlines:
        return lines.alias(LINE)
    # Lines ended by something polars does not count the same way (e.g. bare CR
    # records): fall back to Python's csv module, which tracks physical lines.
    return pl.Series(LINE, _csv_lines_by_python(data, frame.height), dtype=pl.Int64)


def _csv_lines_by_python(data: bytes, records: int) -> list[int]:
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    next(reader)
    starts: list[int] = []
    previous_end = reader.line_num
    for _row in reader:
        starts.append(previous_end + 1)
        previous_end = reader.line_num
    if len(starts) != records:
        return list(range(2, records + 2))
    return starts


def _csv_error(
    data: bytes, name: str, header: tuple[str, ...], error: Exception
) -> LandingFileError:
    """Turn a polars CSV error into one that names the first bad line when we can find it."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True)
    previous_end = 0
    try:
        next(reader)
        previous_end = reader.line_num
        for row in reader:
            if row and len(row) > len(header):
                return LandingFileError(
                    name,
                    f"has {len(row)} fields where the header has {len(header)}; "
                    "check the quoting and separators of that record",
                    line=previous_end + 1,
                )
            previous_end = reader.line_num
    except csv.Error as csv_error:
        if "unexpected end of data" in str(csv_error):
            # The record swallowed the rest of the file: name where it starts.
            return LandingFileError(
                name,
                'has a quote (") that is never closed: the record starting here runs to the '
                "end of the file; close or remove the quote",
                line=previous_end + 1,
            )
        return LandingFileError(name, f"is not valid CSV ({csv_error})", line=reader.line_num)
    first_line = str(error).strip().splitlines()[0]
    return LandingFileError(name, f"is not valid CSV ({first_line})")


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _records_to_frame(
    records: list[tuple[int, dict[str, object]]],
) -> tuple[pl.DataFrame, tuple[str, ...]]:
    columns: dict[str, None] = {}
    for _line, record in records:
        for key in record:
            columns.setdefault(str(key), None)
    data: dict[str, list[str | None]] = {column: [] for column in columns}
    for _line, record in records:
        for column in columns:
            data[column].append(_as_text(record.get(column)))
    frame = pl.DataFrame(data, schema={column: pl.String for column in columns})
    frame = frame.with_columns(pl.Series(LINE, [line for line, _ in records], dtype=pl.Int64))
    return frame, tuple(columns)


def _read_jsonl(data: bytes, name: str) -> RawFile:
    records: list[tuple[int, dict[str, object]]] = []
    bad_lines: list[tuple[int, str, str]] = []
    for number, line in enumerate(data.decode("utf-8").split("\n"), start=1):
        text = line.strip()
        if not text:
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            reason = f"line is not valid JSON ({error.msg} at column {error.colno})"
            value = None
        else:
            reason = "line is not a JSON object" if not isinstance(value, dict) else ""
        if reason:
            if not records and not bad_lines:
                raise LandingFileError(name, f"is not JSON Lines: {reason}", line=number)
            bad_lines.append((number, reason, text))
        else:
            records.append((number, value))
    frame, columns = _records_to_frame(records)
    frame, columns, ignored = _without_unnamed(frame, columns)
    return RawFile(
        name=name,
        kind="jsonl",
        frame=frame,
        columns=columns,
        bad_lines=bad_lines,
        ignored=ignored,
    )


def _read_parquet(data: bytes, name: str) -> RawFile:
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except Exception as error:  # polars and pyarrow raise several types for a bad file
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise LandingFileError(
            name,
            f"is not a readable Parquet file ({message}); land it again whole, "
            "or name it for its real format (.csv, .jsonl)",
        ) from error
    as_text = []
    for column, dtype in frame.schema.items():
        if dtype.is_nested():
            values = [_as_text(value) for value in frame[column].to_list()]
            as_text.append(pl.Series(column, values, dtype=pl.String))
        else:
            as_text.append(frame[column].cast(pl.String))
    text = pl.DataFrame(as_text) if as_text else pl.DataFrame()
    text = text.with_columns(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(LINE))
    text, columns, ignored = _without_unnamed(text, frame.columns)
    return RawFile(name=name, kind="parquet", frame=text, columns=columns, ignored=ignored)


class _YamlAliasError(yaml.YAMLError):
    def __init__(self, line: int) -> None:
        super().__init__(f"alias at line {line}")
        self.line = line


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases before anything is built from them.

    Aliases are how a few hundred bytes (the "billion laughs") expand to
    gigabytes once values are turned into text; reference files never need them.
    """

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        """Refuse an alias node (``*name``); compose anything else as PyYAML does."""
        if self.check_event(yaml.AliasEvent):
            raise _YamlAliasError(self.peek_event().start_mark.line + 1)
        return super().compose_node(parent, index)


def _read_yaml(data: bytes, name: str) -> RawFile:
    # One pass builds the node tree (for line numbers) and the values from it.
    loader = _NoAliasLoader(data.decode("utf-8"))
    try:
        node = loader.get_single_node()
        document = loader.construct_document(node) if node is not None else None
    except _YamlAliasError as error:
        raise LandingFileError(
            name,
            "uses a YAML alias (*name), which is not allowed in landing files (a few aliases "
            "can expand to gigabytes); write the values out in full",
            line=error.line,
        ) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise LandingFileError(name, f"is not valid YAML ({error})", line=line) from error
    finally:
        loader.dispose()
    items, item_nodes = _yaml_records(document, node)
    if items is None:
        raise LandingFileError(
            name, "must hold a list of records (or one key whose value is that list)"
        )
    records: list[tuple[int, dict[str, object]]] = []
    for item, item_node in zip(items, item_nodes, strict=True):
        line = item_node.start_mark.line + 1
        if not isinstance(item, dict):
            raise LandingFileError(name, "a list item is not a mapping of column: value", line=line)
        records.append((line, item))
    frame, columns = _records_to_frame(records)
    frame, columns, ignored = _without_unnamed(frame, columns)
    return RawFile(name=name, kind="yaml", frame=frame, columns=columns, ignored=ignored)


def _yaml_records(document: object, node: yaml.Node | None) -> tuple[list | None, list]:
    if isinstance(document, list) and isinstance(node, yaml.SequenceNode):
        return document, list(node.value)
    if (
        isinstance(document, dict)
        and len(document) == 1
        and isinstance(node, yaml.MappingNode)
        and isinstance(next(iter(document.values())), list)
    ):
        return next(iter(document.values())), list(node.value[0][1].value)
    return None, []
