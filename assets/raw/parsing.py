"""One landed file from bytes to validated rows: read, choose the format, adapt, validate.

`check_exports` runs the same parse on exports before `webcare ingest` lands
them, so an export that cannot be loaded at all stops the command before
anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from assets.raw.adapters import resolve_adapter
from assets.raw.errors import LandingFileError
from assets.raw.readers import LINE, SIDECAR_SUFFIX, RawFile, read_landed_file
from assets.raw.schemas import SCHEMAS
from assets.raw.validation import PARTITION, REASON, validate
from warehouse.partitions import is_month_key
from warehouse.settings import Settings


@dataclass
class ParsedFile:
    """A landed file after validation.

    `rows`: valid rows, typed, with `LINE` and `PARTITION`; `rejected`: refused
    rows (line, column, reason, partition month or null when the row cannot be
    dated); `labels`: canonical column -> the file's column name.
    """

    source: str
    relative_path: str
    format: str
    raw: RawFile
    labels: dict[str, str]
    rows: pl.DataFrame
    rejected: pl.DataFrame

    def datable_months(self) -> list[str]:
        """Months (``YYYY-MM``) of the rows whose partition column could be read."""
        months = (
            pl.concat([self.rows.select(PARTITION), self.rejected.select(PARTITION)])
            .drop_nulls()
            .unique()
        )
        return sorted(day.strftime("%Y-%m") for day in months.to_series().to_list())

    @property
    def undatable_rows(self) -> int:
        """Refused rows that belong to no month by their own timestamp."""
        return self.rejected.filter(pl.col(PARTITION).is_null()).height


def folder_month(relative_path: str) -> str | None:
    """The ``YYYY-MM`` folder nearest to the file in its path, if any."""
    for part in reversed(Path(relative_path).parts[:-1]):
        if is_month_key(part):
            return part
    return None


def sidecar_path(path: Path) -> Path:
    """Where the format sidecar of a landed file lives."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def forced_format(path: Path, relative_path: str, source: str, settings: Settings) -> str | None:
    """The format a file must be read as: its sidecar's, else the settings', else None."""
    sidecar = sidecar_path(path)
    if sidecar.exists():
        try:
            value = json.loads(sidecar.read_text(encoding="utf-8"))["format"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise LandingFileError(
                relative_path, f'its sidecar {sidecar.name} is not {{"format": "<name>"}} ({error})'
            ) from error
        return str(value)
    return settings.source_formats.get(source)


def parse_landed_file(
    path: Path,
    relative_path: str,
    source: str,
    settings: Settings,
    format: str | None = None,
    expected_sha256: str | None = None,
) -> ParsedFile:
    """Read and validate one file. Raises `LandingFileError` when it cannot be read at all.

    The format is `format` when given, else the file's sidecar's or the settings'
    (`forced_format`), else the one its header matches. With `expected_sha256`
    (the hash the landing index recorded), other bytes raise `FileChangedError`.
    """
    forced = format or forced_format(path, relative_path, source, settings)
    raw = read_landed_file(path, relative_path, expected_sha256)
    adapter = resolve_adapter(source, raw.columns, forced, relative_path)
    canonical = adapter.to_canonical(raw, path)
    validated = validate(
        raw,
        canonical,
        SCHEMAS[source],
        adapter,
        source_timezone=settings.source_timezone,
        reporting_timezone=settings.reporting_timezone,
        max_future_days=settings.max_future_days,
    )
    return ParsedFile(
        source=source,
        relative_path=relative_path,
        format=adapter.name,
        raw=raw,
        labels=canonical.labels,
        rows=validated.rows,
        rejected=validated.rejected,
    )


def check_exports(
    source: str, format: str, paths: Sequence[Path], settings: Settings
) -> list[ParsedFile]:
    """Parse exports as `format` of `source` before they are landed; return them parsed.

    Raises `LandingFileError` (naming the file as given, the column and what
    was expected) for the first export that cannot be loaded at all: not
    readable, not in `format` (a missing column), or, for a monthly source, not
    one row whose month can be read. Paths that are not files are skipped:
    the caller reports them as missing.
    """
    parsed = []
    for path in paths:
        if not path.is_file():
            continue
        name = str(path)
        found = parse_landed_file(path, name, source, settings, format=format)
        _check_some_row_is_datable(found, SCHEMAS[source].partition_column)
        parsed.append(found)
    return parsed


def _check_some_row_is_datable(parsed: ParsedFile, partition_column: str | None) -> None:
    """Fail a file of a monthly source whose rows all lack a readable partition value.

    Every row refused for the same column means the export writes that column
    in a way the format does not expect (a date layout, a time zone): loading
    it would only fill raw.rejected_rows.
    """
    if partition_column is None or parsed.rows.height or parsed.rejected.height == 0:
        return
    if parsed.rejected.filter(pl.col(PARTITION).is_not_null()).height:
        return
    label = parsed.labels.get(partition_column, partition_column)
    first_line, first_reason = None, None
    for line, reason in parsed.rejected.select(LINE, REASON).iter_rows():
        own = [part for part in reason.split("; ") if part.startswith(f"{label}: ")]
        if own:
            first_line, first_reason = line, own[0]
            break
    if first_reason is None:
        first_line, first_reason = parsed.rejected.select(LINE, REASON).row(0)
    count = parsed.rejected.height
    rows = "its only row" if count == 1 else f"any of its {count:,} rows"
    raise LandingFileError(
        parsed.relative_path,
        f"column '{label}' is not readable on {rows}, so no row can be placed in a month "
        f"(line {first_line}: {first_reason}); nothing was loaded",
    )


def records_as_json(raw: RawFile, lines: list[int]) -> dict[int, str]:
    """The rows as read (all file columns, as strings) for the given lines, as JSON objects."""
    wanted = raw.frame.filter(pl.col(LINE).is_in(lines))
    columns = [column for column in raw.columns if column in wanted.columns]
    records: dict[int, str] = {}
    if columns:
        encoded = wanted.select(LINE, pl.struct(columns).struct.json_encode().alias("record"))
        records = dict(encoded.iter_rows())
    for line, _reason, text in raw.bad_lines:
        if line in lines:
            records[line] = json.dumps({"raw_line": text}, ensure_ascii=False)
    return records
