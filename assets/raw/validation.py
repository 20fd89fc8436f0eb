"""Row-by-row validation of a canonical frame, vectorised with polars expressions.

Every column gets a value expression and an error expression (null when the
value is fine). A row with any error is refused: it keeps its line, the first
failing column (as the file names it) and every reason, joined by ``; ``.
Valid rows come out typed (timestamps as naive UTC) with their partition month.

Besides each value on its own, a row is refused when it breaks a row rule of
`expectations.rules` that the blocking check on its raw table verifies: a text
over the length limit, a pair of columns out of order (high below low), or a
partition timestamp more than settings.max_future_days in the future (such a
row gets no partition month, so it never opens a month of its own). Ids
(`Column.identifier`) lose zero-width characters and are put in Unicode NFC
before anything compares them.

Duplicates are a separate step (`find_duplicates`) because they span files:
rows with the same key and the same content are loaded once; a row whose key
was seen before with different content is refused and points to the first one,
as is a row sharing a column that must be unique besides the key (a brand's
ticker) with an earlier row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

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
from expectations import rules
from warehouse.defaults import DEFAULT_MAX_FUTURE_DAYS
from warehouse.settings import time_zone_names

PARTITION = "partition_month"
_VALUE = "__value_"
_ERROR = "__error_"
_ORDER_ERROR = "__order_error_"
_ZERO_WIDTH = "[" + rules.ZERO_WIDTH_CHARACTERS + "]"
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
    max_future_days: float = DEFAULT_MAX_FUTURE_DAYS,
    now: datetime | None = None,
) -> Validated:
    """Check every value of `canonical` against `schema`; see the module docstring.

    The partition column may lie at most `max_future_days` after `now` (naive
    UTC; default the current time), by the rule of `expectations.rules`.
    """
    columns = list(schema.columns) + list(adapter.hints)
    overrides = adapter.parsers(source_timezone, reporting_timezone)
    frame = canonical.frame.with_columns(_prepared(column) for column in columns)
    if now is None:
        now = datetime.now(UTC).replace(tzinfo=None)

    parsed_columns: list[tuple[Column, str, Parsed]] = []
    for column in columns:
        label = canonical.labels.get(column.name, column.name)
        parser = overrides.get(column.name) or _default_parser(
            column, source_timezone, reporting_timezone
        )
        parsed = parser(pl.col(column.name), label)
        if column.name == schema.partition_column:
            parsed = _not_in_future(column, label, parsed, now, max_future_days)
        parsed_columns.append((column, label, parsed))

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
    # Orders between two columns compare the parsed values, so they only speak
    # when both values are valid on their own.
    frame = frame.with_columns(
        _order_error(order, canonical.labels).alias(_ORDER_ERROR + order.later)
        for order in schema.not_before
    )
    failing = [(pl.col(_ERROR + column.name), label) for column, label, _ in parsed_columns] + [
        (
            pl.col(_ORDER_ERROR + order.later),
            canonical.labels.get(order.later, order.later),
        )
        for order in schema.not_before
    ]
    reason = pl.concat_str([error for error, _ in failing], separator="; ", ignore_nulls=True)
    checked = frame.with_columns(
        *[pl.col(_VALUE + column.name).alias(column.name) for column, _, _ in parsed_columns],
        pl.coalesce(
            pl.when(error.is_not_null()).then(pl.lit(label)) for error, label in failing
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
    """Strip spaces; an empty value is a missing value.

    An id also loses its zero-width characters and is put in NFC, so ``m1``
    followed by U+200B, or an ``é`` written as ``e`` + accent, is the same id as
    its plain form: a second mention otherwise, and a thread that no longer joins.
    """
    value = pl.col(column.name)
    if column.identifier:
        value = value.str.replace_all(_ZERO_WIDTH, "").str.normalize("NFC")
    value = value.str.strip_chars()
    return pl.when(value != "").then(value).alias(column.name)


def _not_in_future(
    column: Column, label: str, parsed: Parsed, now: datetime, max_future_days: float
) -> Parsed:
    """Refuse a partition value beyond `now` + `max_future_days` (`expectations.rules`).

    The refused value becomes null, so the row has no partition month: a typo
    like 2099 is recorded with the file's month instead of opening months up to it.
    """
    tolerance = rules.tolerance_text(max_future_days)
    if column.kind is Kind.DATE:
        too_late = parsed.value > pl.lit(rules.latest_date(now, max_future_days))
        message = f"lies more than {tolerance} after today (settings max_future_days)"
    else:
        too_late = parsed.value > pl.lit(rules.latest_instant(now, max_future_days))
        message = f"lies more than {tolerance} in the future (settings max_future_days)"
    error = (
        pl.when(parsed.error.is_not_null())
        .then(parsed.error)
        .when(too_late)
        .then(pl.format("{}: '{}' {}", pl.lit(label), shown(pl.col(column.name)), pl.lit(message)))
    )
    return Parsed(pl.when(~too_late).then(parsed.value), error, parsed.stages)


def _order_error(order: rules.NotBefore, labels: dict[str, str]) -> pl.Expr:
    """The reason a row breaks `order` (e.g. ``high: '9.5' is below low '10.0'``), else null."""
    later = labels.get(order.later, order.later)
    earlier = labels.get(order.earlier, order.earlier)
    return pl.when(pl.col(_VALUE + order.later) < pl.col(_VALUE + order.earlier)).then(
        pl.format(
            "{}: '{}' is {} {} '{}'",
            pl.lit(later),
            shown(pl.col(order.later)),
            pl.lit(order.word),
            pl.lit(earlier),
            shown(pl.col(order.earlier)),
        )
    )


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
    if kind is Kind.CURRENCY:
        return _parse_currency
    if column.max_length is not None:
        return lambda value, label: _limited_text(value, label, column.max_length)
    return lambda value, label: Parsed(value, pl.lit(None, dtype=pl.String))


def _limited_text(value: pl.Expr, label: str, max_length: int) -> Parsed:
    length = value.str.len_chars()
    error = pl.when(length > max_length).then(
        pl.format(
            "{}: the text is {} characters long, more than the {} allowed",
            pl.lit(label),
            length,
            pl.lit(f"{max_length:,}"),
        )
    )
    return Parsed(value, error)


def _parse_currency(value: pl.Expr, label: str) -> Parsed:
    code = value.str.to_uppercase()
    ok = code.str.contains(rules.CURRENCY_REGEX)
    error = pl.when(~ok).then(
        pl.format(
            "{}: '{}' is not an ISO 4217 currency code (three letters, e.g. EUR)",
            pl.lit(label),
            shown(value),
        )
    )
    return Parsed(pl.when(ok).then(code), error)


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
    return sorted(time_zone_names())


def _parse_timezone(value: pl.Expr, label: str) -> Parsed:
    ok = value.is_in(_time_zones())
    error = pl.when(~ok).then(
        pl.format(
            "{}: '{}' is not an IANA time zone (e.g. Europe/Amsterdam)", pl.lit(label), shown(value)
        )
    )
    return Parsed(pl.when(ok).then(value), error)


def _parse_handle(value: pl.Expr, label: str) -> Parsed:
    prefix = rules.HANDLE_PREFIX
    handle = value.str.strip_prefix(prefix).str.strip_chars()
    spaced = (handle == "") | handle.str.contains(r"\s")
    # Handles are stored without their "@"; "@@x" would keep one.
    prefixed = handle.str.starts_with(prefix)
    error = (
        pl.when(spaced)
        .then(
            pl.format("{}: '{}' is not a handle (no spaces allowed)", pl.lit(label), shown(value))
        )
        .when(prefixed)
        .then(
            pl.format(
                "{}: '{}' is not a handle (one leading {} at most)",
                pl.lit(label),
                shown(value),
                pl.lit(prefix),
            )
        )
    )
    return Parsed(pl.when(~spaced & ~prefixed).then(handle), error)


@dataclass
class Duplicates:
    """Outcome of `find_duplicates` over rows ordered by file and line.

    `keep`: boolean per row (first occurrence of its key, or a row without
    duplicates). `exact`: rows dropped because an earlier row has the same
    key and content. `conflicts`: rows refused, with the file and line of the
    first occurrence; `column` names the column they share with it when that
    is one of `SourceSchema.also_unique` (its `value` too), null when it is the key.
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
        pl.lit(None, dtype=pl.String).alias("column"),
        pl.lit(None, dtype=pl.String).alias("value"),
    )
    clashes = [conflicts]
    for column in schema.also_unique:
        # Among the rows kept so far, the first to carry a value keeps it.
        kept = rows.with_row_index("__index").filter(pl.lit(keep) & pl.col(column).is_not_null())
        later = kept.filter(pl.int_range(pl.len()).over(column) > 0)
        firsts = kept.select(
            pl.col(column),
            pl.col(file_column).first().over(column).alias("first_file"),
            pl.col(LINE).first().over(column).alias("first_line"),
        ).unique(subset=column, keep="first")
        clashes.append(
            later.join(firsts, on=column, how="left", maintain_order="left").select(
                file_column,
                LINE,
                "first_file",
                "first_line",
                pl.lit(column).alias("column"),
                pl.col(column).cast(pl.String).alias("value"),
            )
        )
        keep = keep.scatter(later["__index"].cast(pl.Int64).to_list(), False)
    return Duplicates(keep=keep, exact=exact, conflicts=pl.concat(clashes))
