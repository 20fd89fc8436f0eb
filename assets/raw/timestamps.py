"""Timestamp and date parsing as polars expressions, with a readable reason per bad value.

Every parser takes a string expression (already stripped, null when the value
is missing) and returns a `Parsed`: the typed value and an error expression
that is null when the value is fine and otherwise says why it is not.

Rules (DATA_CONTRACTS.md):
- ISO 8601 with an offset (``Z``, ``+01:00``, ``+0100``, ``+01``) is converted to UTC.
- Without an offset the value is local time in the source time zone. The hour
  that does not exist when clocks jump forward in spring is refused. The hour
  that happens twice in autumn is read as its *first* occurrence (still summer
  time, e.g. ``2010-10-31T02:30`` in Europe/Amsterdam is 00:30 UTC, not 01:30),
  so the same file always gives the same instants.
- A date alone (``2010-03-18``, a CFPB ``2020/3/18``) is a calendar day, not an
  instant: it is read as the start of that day in the *reporting* time zone,
  so it stays on its day and in its month whatever the reporting zone is
  (read in the source zone, 18 March would become 17 March in New York).
  Where the clock jumps over midnight the day starts at the end of the jump.

Results are naive `Datetime("us")` values holding UTC, as the warehouse stores them.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

_ISO_PATTERN = (
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$"
)
_ISO_PARTS = ("year", "month", "day", "hour", "minute", "second", "fraction", "offset")
_NAIVE_FORMAT = "%Y-%m-%dT%H:%M:%S%.f"
_SHOWN_VALUE_CHARS = 60


@dataclass(frozen=True)
class Parsed:
    """A parsed column: `value` (typed, null when invalid) and `error` (null when valid).

    `stages` are helper columns to compute first, one tuple per step (a step may
    use the columns of the steps before it); `value` and `error` may use them all.
    """

    value: pl.Expr
    error: pl.Expr
    stages: tuple[tuple[pl.Expr, ...], ...] = ()

    def evaluate(self, frame: pl.DataFrame) -> pl.DataFrame:
        """This parse over `frame` on its own: columns ``value`` and ``error``."""
        for stage in self.stages:
            frame = frame.with_columns(stage)
        return frame.select(self.value.alias("value"), self.error.alias("error"))


def shown(value: pl.Expr) -> pl.Expr:
    """The value as quoted in a reason, cut to a readable length."""
    return (
        pl.when(value.str.len_chars() > _SHOWN_VALUE_CHARS)
        .then(value.str.slice(0, _SHOWN_VALUE_CHARS) + pl.lit("..."))
        .otherwise(value)
    )


def localise(naive: pl.Expr, timezone: str) -> pl.Expr:
    """Read naive local times in `timezone` and return naive UTC.

    Nonexistent local times (the spring gap) become null; ambiguous ones (the
    repeated autumn hour) take the earlier instant.
    """
    return (
        naive.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
    )


def day_start(day: pl.Expr, timezone: str) -> pl.Expr:
    """The first instant of each calendar day (a naive midnight) in `timezone`, as naive UTC.

    Where the clock jumps forward over midnight (e.g. America/Santiago) the
    day starts an hour later; a day the zone skipped entirely is null.
    """
    return pl.coalesce(localise(day, timezone), localise(day + pl.duration(hours=1), timezone))


def _gap_error(label: str, value: pl.Expr, timezone: str) -> pl.Expr:
    return pl.format(
        "{}: '{}' does not exist in {} (the clock jumps forward over that hour)",
        pl.lit(label),
        shown(value),
        pl.lit(timezone),
    )


def _skipped_day_error(label: str, value: pl.Expr, timezone: str) -> pl.Expr:
    return pl.format(
        "{}: '{}' is a day {} skipped (the clock jumped over it)",
        pl.lit(label),
        shown(value),
        pl.lit(timezone),
    )


def parse_iso_timestamp(value: pl.Expr, label: str, timezone: str, *, date_timezone: str) -> Parsed:
    """ISO 8601 date-time (or date) to naive UTC.

    Offset-less date-times are local in `timezone` (the source's); a date
    alone starts its day in `date_timezone` (the reporting zone, see the
    module docstring). The work happens in stages (regex parts, then naive
    time and offset, then the local-time conversion), each stored in a helper
    column, so the value and its error reuse them instead of repeating the
    regex and time-zone work.
    """
    name = value.meta.output_name()
    parts_column, naive_column = f"__iso_parts_{name}", f"__iso_naive_{name}"
    offset_column, offset_ok_column = f"__iso_offset_{name}", f"__iso_offset_ok_{name}"
    local_column, date_only_column = f"__iso_local_{name}", f"__iso_date_only_{name}"

    parts = pl.col(parts_column)
    part = {key: parts.struct.field(str(i + 1)) for i, key in enumerate(_ISO_PARTS)}
    fraction = part["fraction"].fill_null("").str.slice(0, 6).str.pad_end(6, "0")
    naive_text = pl.concat_str(
        part["year"],
        pl.lit("-"),
        part["month"],
        pl.lit("-"),
        part["day"],
        pl.lit("T"),
        part["hour"].fill_null("00"),
        pl.lit(":"),
        part["minute"].fill_null("00"),
        pl.lit(":"),
        part["second"].fill_null("00"),
        pl.lit("."),
        fraction,
    )
    offset = part["offset"]
    digits = offset.str.replace_all(":", "")
    sign = pl.when(digits.str.starts_with("-")).then(-1).otherwise(1)
    offset_hours = digits.str.slice(1, 2).cast(pl.Int64, strict=False)
    offset_minutes_part = digits.str.slice(3, 2).cast(pl.Int64, strict=False).fill_null(0)
    is_utc = offset.str.to_uppercase() == "Z"
    offset_minutes = (
        pl.when(is_utc)
        .then(pl.lit(0, pl.Int64))
        .when(offset.is_not_null())
        .then(sign * (offset_hours * 60 + offset_minutes_part))
    )
    offset_ok = is_utc | ((offset_hours <= 23) & (offset_minutes_part < 60))

    naive = pl.col(naive_column)
    has_offset = pl.col(offset_column).is_not_null()
    date_only = pl.col(date_only_column)
    local = pl.col(local_column)
    utc = (
        pl.when(~has_offset)
        .then(local)
        .when(pl.col(offset_ok_column))
        .then(naive - pl.duration(minutes=pl.col(offset_column)))
    )
    unparsable = pl.format(
        "{}: cannot parse '{}' as an ISO 8601 timestamp", pl.lit(label), shown(value)
    )
    error = (
        pl.when(naive.is_null())
        .then(unparsable)
        .when(has_offset & ~pl.col(offset_ok_column))
        .then(pl.format("{}: offset in '{}' is out of range", pl.lit(label), shown(value)))
        .when(~has_offset & local.is_null())
        .then(
            pl.when(date_only)
            .then(_skipped_day_error(label, value, date_timezone))
            .otherwise(_gap_error(label, value, timezone))
        )
    )
    stages = (
        (value.str.extract_groups(_ISO_PATTERN).alias(parts_column),),
        (
            naive_text.str.strptime(pl.Datetime("us"), _NAIVE_FORMAT, strict=False).alias(
                naive_column
            ),
            offset_minutes.alias(offset_column),
            offset_ok.fill_null(False).alias(offset_ok_column),
            (part["hour"].is_null() & offset.is_null()).alias(date_only_column),
        ),
        (
            pl.when(date_only)
            .then(day_start(naive, date_timezone))
            .otherwise(localise(naive, timezone))
            .alias(local_column),
        ),
    )
    return Parsed(utc, error, stages)


def parse_strftime_timestamp(value: pl.Expr, label: str, fmt: str, example: str) -> Parsed:
    """A timestamp written with an offset in a fixed strftime layout (e.g. Twitter's), to UTC."""
    parsed = value.str.strptime(pl.Datetime("us", "UTC"), fmt, strict=False).dt.replace_time_zone(
        None
    )
    error = pl.when(parsed.is_null()).then(
        pl.format(
            "{}: cannot parse '{}' as a timestamp like '{}'",
            pl.lit(label),
            shown(value),
            pl.lit(example),
        )
    )
    return Parsed(parsed, error)


def parse_date(value: pl.Expr, label: str, formats: tuple[str, ...], described: str) -> Parsed:
    """A calendar date in one of `formats` (tried in order); `described` names them in reasons."""
    candidates = [value.str.strptime(pl.Date, fmt, strict=False) for fmt in formats]
    parsed = pl.coalesce(candidates) if len(candidates) > 1 else candidates[0]
    error = pl.when(parsed.is_null()).then(
        pl.format(
            "{}: cannot parse '{}' as a date ({})", pl.lit(label), shown(value), pl.lit(described)
        )
    )
    return Parsed(parsed, error)


def parse_date_as_local_midnight(
    value: pl.Expr, label: str, formats: tuple[str, ...], described: str, timezone: str
) -> Parsed:
    """A date without a time, read as the start of that day in `timezone`, to naive UTC.

    Pass the reporting time zone, so the date stays on its calendar day (module docstring).
    """
    day = parse_date(value, label, formats, described)
    utc = day_start(day.value.cast(pl.Datetime("us")), timezone)
    error = (
        pl.when(day.error.is_not_null())
        .then(day.error)
        .when(utc.is_null())
        .then(_skipped_day_error(label, value, timezone))
    )
    return Parsed(utc, error)


def partition_month(utc: pl.Expr, reporting_timezone: str) -> pl.Expr:
    """First day of the calendar month, in `reporting_timezone`, of a naive-UTC timestamp."""
    return (
        utc.dt.replace_time_zone("UTC")
        .dt.convert_time_zone(reporting_timezone)
        .dt.month_start()
        .dt.date()
    )


def date_partition_month(day: pl.Expr) -> pl.Expr:
    """First day of the month of a calendar date (daily prices have no time zone)."""
    return day.dt.month_start()
