"""Row-by-row validation of a canonical frame, vectorised with polars expressions.

Every column gets a value expression and an error expression (null when the
value is fine). A row with any error is refused: it keeps its line, the first
failing column (as the file names it) and every reason, joined by ``; ``.
Valid rows come out typed (timestamps as naive UTC) with their partition month.

Duplicates are a separate step (`find_duplicates`) because they span files:
rows with the same key and the same content are loaded once; a row whose key
was seen before with different content is refused and points to the first one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from zoneinfo import available_timezones

import polars as pl

from assets.raw.adapters import EXTRA, Adapter, Canonical, Parser
from assets.raw.readers import LINE, RawFile
from assets.raw.schemas import Column, Kind, SourceSchema
from assets.raw.timestamps import (
    Parsed,
    date_partition_month,
    parse_date,
    parse_iso_timestamp,
    partition_month,
    shown,
)

PARTITION = "partition_month"
_VALUE = "__value_"
_ERROR = "__error_"
COLUMN = "column"
REASON = "reason"

_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")


@dataclass
class Validated:
    """Valid rows (typed) and refused rows (line, column, reason, partition month or null)."""

    rows: pl.DataFrame
    rejected: pl.DataFrame


def rejected_schema() -> dict[str, pl.DataType]:
    """Columns of a refused-rows frame as validation produces it."""
    return {LINE: pl.Int64, COLUMN: pl.String, REASON: pl.String, PARTITION: pl.Date}


def validate(
    raw: RawFile,
    canonical: Canonical,
    schema: SourceSchema,
    adapter: Adapter,
    source_timezone: str,
    reporting_timezone: str,
) -> Validated:
    """Check every value of `canonical` against `schema`; see the module docstring."""
    columns = list(schema.columns) + list(adapter.hints)
    overrides = adapter.parsers(source_timezone, reporting_timezone)
    frame = canonical.frame.with_columns(_prepared(column) for column in columns)

    parsed_columns: list[tuple[Column, str, Parsed]] = []
    for column in columns:
        label = canonical.labels.get(column.name, column.name)
        parser = overrides.get(column.name) or _default_parser(
            column, source_timezone, reporting_timezone
        )
        parsed_columns.append((column, label, parser(pl.col(column.name), label)))

    # Helper columns first (stage by stage), then each value and error once, then
    # the row's verdict from the error columns: every expression is evaluated once.
    depth = max((len(parsed.stages) for _, _, parsed in parsed_columns), default=0)
    for step in range(depth):
        frame = frame.with_columns(
            expr
            for _, _, parsed in parsed_columns
            if step < len(parsed.stages)
            for expr in parsed.stages[step]
        )
    frame = frame.with_columns(
        expr
        for column, label, parsed in parsed_columns
        for expr in (
            _value(column, parsed).alias(_VALUE + column.name),
            _error(column, label, parsed).alias(_ERROR + column.name),
        )
    )
    errors = [pl.col(_ERROR + column.name) for column, _, _ in parsed_columns]
    reason = pl.concat_str(errors, separator="; ", ignore_nulls=True)
    checked = frame.with_columns(
        *[pl.col(_VALUE + column.name).alias(column.name) for column, _, _ in parsed_columns],
        pl.coalesce(
            pl.when(pl.col(_ERROR + column.name).is_not_null()).then(pl.lit(label))
            for column, label, _ in parsed_columns
        ).alias(COLUMN),
        pl.when(reason != "").then(reason).alias(REASON),
    )
    checked = checked.with_columns(_partition(schema, reporting_timezone).alias(PARTITION))
    rows = checked.filter(pl.col(REASON).is_null()).select(
        *[column.name for column in columns], LINE, EXTRA, PARTITION
    )
    rejected = checked.filter(pl.col(REASON).is_not_null()).select(LINE, COLUMN, REASON, PARTITION)
    if raw.bad_lines:
        unreadable = pl.DataFrame(
            {
                LINE: [line for line, _, _ in raw.bad_lines],
                COLUMN: [None] * len(raw.bad_lines),
                REASON: [reason for _, reason, _ in raw.bad_lines],
                PARTITION: [None] * len(raw.bad_lines),
            },
            schema=rejected_schema(),
        )
        rejected = pl.concat([rejected, unreadable]).sort(LINE)
    return Validated(rows=rows, rejected=rejected)


def _prepared(column: Column) -> pl.Expr:
    """Strip spaces; an empty value is a missing value."""
    value = pl.col(column.name).str.strip_chars()
    return pl.when(value != "").then(value).alias(column.name)


def _partition(schema: SourceSchema, reporting_timezone: str) -> pl.Expr:
    if schema.partition_column is None:
        return pl.lit(None, dtype=pl.Date)
    value = pl.col(schema.partition_column)
    if schema.column(schema.partition_column).kind is Kind.DATE:
        return date_partition_month(value)
    return partition_month(value, reporting_timezone)


def _value(column: Column, parsed: Parsed) -> pl.Expr:
    if column.kind is Kind.TEXT and column.allow_empty:
        return pl.col(column.name).fill_null("")
    return parsed.value


def _error(column: Column, label: str, parsed: Parsed) -> pl.Expr:
    missing = pl.col(column.name).is_null()
    if column.required and not column.allow_empty:
        return (
            pl.when(missing)
            .then(pl.format("{}: required value is missing", pl.lit(label)))
            .otherwise(parsed.error)
        )
    return pl.when(~missing).then(parsed.error)


def _default_parser(column: Column, source_timezone: str, reporting_timezone: str) -> Parser:
    kind = column.kind
    if kind is Kind.TIMESTAMP:
        # A date alone starts its day in the reporting zone: it stays on its calendar day.
        return lambda value, label: parse_iso_timestamp(
            value, label, source_timezone, date_timezone=reporting_timezone
        )
    if kind is Kind.DATE:
        return lambda value, label: parse_date(value, label, ("%Y-%m-%d",), "YYYY-MM-DD")
    if kind is Kind.CHOICE:
        return lambda value, label: _parse_choice(value, label, column.choices)
    if kind is Kind.INTEGER:
        return lambda value, label: _bounded(column, value, label, _parse_integer(value, label))
    if kind is Kind.NUMBER:
        return lambda value, label: _bounded(column, value, label, _parse_number(value, label))
    if kind is Kind.BOOLEAN:
        return _parse_boolean
    if kind is Kind.LANGUAGE:
        return _parse_language
    if kind is Kind.KEYWORDS:
        return _parse_keywords
    if kind is Kind.TIMEZONE:
        return _parse_timezone
    if kind is Kind.HANDLE:
        return _parse_handle
    return lambda value, label: Parsed(value, pl.lit(None, dtype=pl.String))


def _parse_choice(value: pl.Expr, label: str, choices: tuple[str, ...]) -> Parsed:
    lowered = value.str.to_lowercase()
    ok = lowered.is_in(list(choices))
    error = pl.when(~ok).then(
        pl.format(
            "{}: '{}' is not one of {}", pl.lit(label), shown(value), pl.lit(", ".join(choices))
        )
    )
    return Parsed(pl.when(ok).then(lowered), error)


def _parse_integer(value: pl.Expr, label: str) -> Parsed:
    as_int = value.cast(pl.Int64, strict=False)
    as_float = value.cast(pl.Float64, strict=False)
    # Exports often write whole numbers as floats ("8407500.0").
    whole = as_float.is_finite() & (as_float == as_float.round(0)) & (as_float.abs() < 9e15)
    parsed = pl.coalesce(as_int, pl.when(whole).then(as_float.cast(pl.Int64)))
    error = pl.when(parsed.is_null()).then(
        pl.format("{}: cannot parse '{}' as a whole number", pl.lit(label), shown(value))
    )
    return Parsed(parsed, error)


def _parse_number(value: pl.Expr, label: str) -> Parsed:
    as_float = value.cast(pl.Float64, strict=False)
    parsed = pl.when(as_float.is_finite()).then(as_float)
    error = pl.when(parsed.is_null()).then(
        pl.format("{}: cannot parse '{}' as a number", pl.lit(label), shown(value))
    )
    return Parsed(parsed, error)


def _number_text(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _bounded(column: Column, value: pl.Expr, label: str, parsed: Parsed) -> Parsed:
    """Add the column's range check to a numeric parse."""
    low, high = column.minimum, column.maximum
    if low is None and high is None:
        return parsed
    number = parsed.value
    if low is not None and high is not None:
        outside = (number < low) | (number > high)
        message = pl.format(
            "{}: {} is outside {}..{}",
            pl.lit(label),
            shown(value),
            pl.lit(_number_text(low)),
            pl.lit(_number_text(high)),
        )
    elif column.exclusive_minimum:
        outside = number <= low
        message = pl.format(
            "{}: {} must be greater than {}", pl.lit(label), shown(value), pl.lit(_number_text(low))
        )
    elif low is not None:
        outside = number < low
        message = pl.format(
            "{}: {} is below {}", pl.lit(label), shown(value), pl.lit(_number_text(low))
        )
    else:
        outside = number > high
        message = pl.format(
            "{}: {} is above {}", pl.lit(label), shown(value), pl.lit(_number_text(high))
        )
    error = pl.when(parsed.error.is_not_null()).then(parsed.error).when(outside).then(message)
    return Parsed(pl.when(~outside).then(number), error)


def _parse_boolean(value: pl.Expr, label: str) -> Parsed:
    lowered = value.str.to_lowercase()
    parsed = (
        pl.when(lowered.is_in(list(_TRUE))).then(True).when(lowered.is_in(list(_FALSE))).then(False)
    )
    error = pl.when(parsed.is_null()).then(
        pl.format(
            "{}: '{}' is not a boolean (true/false, yes/no, 1/0)", pl.lit(label), shown(value)
        )
    )
    return Parsed(parsed, error)


def _parse_language(value: pl.Expr, label: str) -> Parsed:
    # "nl-NL" and "en_GB" carry the ISO 639-1 code before the region.
    code = value.str.to_lowercase().str.extract(r"^([a-z]{2})(?:[-_][a-z0-9]+)?$")
    error = pl.when(code.is_null()).then(
        pl.format("{}: '{}' is not an ISO 639-1 language code", pl.lit(label), shown(value))
    )
    return Parsed(code, error)


def split_keywords(text: str | None) -> list[str] | None:
    """Keywords from a JSON array (``["bank", "loan"]``) or text separated by ``;``, ``|``, ``,``.

    Returns None when the text starts like a JSON array but is not one.
    """
    if text is None:
        return None
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError:
            return None
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            return None
    else:
        items = re.split(r"[;|,]", stripped)
    return [item.strip() for item in items if item.strip()]


def _parse_keywords(value: pl.Expr, label: str) -> Parsed:
    parsed = value.map_elements(split_keywords, return_dtype=pl.List(pl.String), skip_nulls=True)
    error = pl.when(parsed.is_null()).then(
        pl.format(
            "{}: '{}' is not a keyword list (a JSON array of strings, or words separated by ;)",
            pl.lit(label),
            shown(value),
        )
    )
    return Parsed(parsed, error)


@cache
def _time_zones() -> list[str]:
    return sorted(available_timezones())


def _parse_timezone(value: pl.Expr, label: str) -> Parsed:
    ok = value.is_in(_time_zones())
    error = pl.when(~ok).then(
        pl.format(
            "{}: '{}' is not an IANA time zone (e.g. Europe/Amsterdam)", pl.lit(label), shown(value)
        )
    )
    return Parsed(pl.when(ok).then(value), error)


def _parse_handle(value: pl.Expr, label: str) -> Parsed:
    handle = value.str.strip_prefix("@").str.strip_chars()
    ok = (handle != "") & ~handle.str.contains(r"\s")
    error = pl.when(~ok).then(
        pl.format("{}: '{}' is not a handle (no spaces allowed)", pl.lit(label), shown(value))
    )
    return Parsed(pl.when(ok).then(handle), error)


@dataclass
class Duplicates:
    """Outcome of `find_duplicates` over rows ordered by file and line.

    `keep`: boolean per row (first occurrence of its key, or a row without
    duplicates). `exact`: rows dropped because an earlier row has the same
    key and content. `conflicts`: rows refused, with the file and line of the
    first occurrence.
    """

    keep: pl.Series
    exact: pl.Series
    conflicts: pl.DataFrame


def find_duplicates(
    rows: pl.DataFrame, schema: SourceSchema, content: list[str], file_column: str
) -> Duplicates:
    """Classify rows (already in file, line order) by their key and content."""
    key = [
        pl.col(name).str.to_lowercase() if name in schema.casefold_key else pl.col(name)
        for name in schema.key
    ]
    content_hash = pl.struct(content).hash()
    marked = rows.select(
        pl.col(file_column),
        pl.col(LINE),
        pl.int_range(pl.len()).over(key).alias("__rank"),
        content_hash.alias("__content"),
        content_hash.first().over(key).alias("__first_content"),
        pl.col(file_column).first().over(key).alias("__first_file"),
        pl.col(LINE).first().over(key).alias("__first_line"),
    )
    first = pl.col("__rank") == 0
    same = pl.col("__content") == pl.col("__first_content")
    keep = marked.select(first).to_series()
    exact = marked.select(~first & same).to_series()
    conflicts = marked.filter(~first & ~same).select(
        file_column,
        LINE,
        pl.col("__first_file").alias("first_file"),
        pl.col("__first_line").alias("first_line"),
    )
    return Duplicates(keep=keep, exact=exact, conflicts=conflicts)
