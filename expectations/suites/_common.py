"""Building blocks shared by the suites: severities and the rules every raw table repeats."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from expectations import rules
from expectations._gx import import_gx
from expectations.frames import as_pandas
from expectations.window import MonthWindow

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite
    from great_expectations.expectations import Expectation

ERROR = "error"
WARN = "warn"
SEVERITIES = (ERROR, WARN)
# GX 1.x has its own severity field; kept in step with ours so Data Docs show the same level.
_GX_SEVERITY = {ERROR: "critical", WARN: "warning"}

# Row rules share their parameters with the loader (expectations.rules).
PSEUDONYM_REGEX = rules.PSEUDONYM_REGEX
MAX_TEXT_LENGTH = rules.MAX_TEXT_LENGTH


def level(severity: str) -> dict[str, Any]:
    """Keyword arguments marking an expectation with `severity` (``error`` or ``warn``)."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
    return {"meta": {"severity": severity}, "severity": _GX_SEVERITY[severity]}


def new_suite(name: str, expectations: Iterable[Expectation]) -> ExpectationSuite:
    """An expectation suite called `name` holding `expectations`."""
    gx = import_gx()
    suite = gx.ExpectationSuite(name=name)
    for expectation in expectations:
        suite.add_expectation(expectation)
    return suite


def required(columns: Sequence[str]) -> list[Expectation]:
    """Each of `columns` has a value in every row (error)."""
    gx = import_gx()
    return [
        gx.expectations.ExpectColumnValuesToNotBeNull(
            column=column, description=f"{column} is never null", **level(ERROR)
        )
        for column in columns
    ]


def unique(columns: Sequence[str], what: str) -> Expectation:
    """`columns` identify a row: no two rows share them (error)."""
    gx = import_gx()
    description = f"{what} is unique ({', '.join(columns)})"
    if len(columns) == 1:
        return gx.expectations.ExpectColumnValuesToBeUnique(
            column=columns[0], description=description, **level(ERROR)
        )
    return gx.expectations.ExpectCompoundColumnsToBeUnique(
        column_list=list(columns), description=description, **level(ERROR)
    )


def one_of(column: str, values: Sequence[str]) -> Expectation:
    """`column` holds only the listed values (nulls are left to `required`) (error)."""
    gx = import_gx()
    return gx.expectations.ExpectColumnValuesToBeInSet(
        column=column,
        value_set=list(values),
        description=f"{column} is one of {', '.join(values)}",
        **level(ERROR),
    )


def month_column(column: str) -> str:
    """Name of the derived column holding the reporting month of `column` (see `add_month`)."""
    return f"{column}__month"


def add_month(frame: Any, column: str, timezone: str | None) -> pd.DataFrame:
    """Add `month_column(column)`: the first day of the month of `column` in `timezone`.

    Timestamps are naive UTC and are converted to `timezone` first; a date
    column (`timezone` None) is its own local date. ``partition_month`` is cast
    to the same type so the two compare equal when the row sits in its month.
    """
    frame = as_pandas(frame)
    values = pd.to_datetime(frame[column])
    if timezone is not None:
        values = values.dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)
    frame = frame.assign(**{month_column(column): values.dt.to_period("M").dt.to_timestamp()})
    if "partition_month" in frame.columns:
        frame["partition_month"] = pd.to_datetime(frame["partition_month"])
    return frame


def timestamp_rules(column: str, window: MonthWindow) -> list[Expectation]:
    """`column` (naive UTC) falls inside the validated months and not in the future (beyond
    ``window.max_future_days``, as the loader refuses it), and each row's ``partition_month``
    is the reporting month of `column` (all error).

    Needs the frame to have gone through `add_month(frame, column, window.timezone)`.
    """
    gx = import_gx()
    latest = window.latest_utc
    return [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=column,
            min_value=window.start_utc,
            max_value=window.end_utc,
            strict_max=True,
            description=f"{column} lies in {window.label} ({window.timezone})",
            **level(ERROR),
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=column,
            max_value=latest,
            description=f"{column} is not in the future (after {latest:%Y-%m-%d %H:%M} UTC, "
            f"now + {rules.tolerance_text(window.max_future_days)})",
            **level(ERROR),
        ),
        _partition_matches(column),
    ]


def date_rules(column: str, window: MonthWindow) -> list[Expectation]:
    """A calendar-date `column` falls inside the validated months, is not after today in any
    time zone plus ``window.max_future_days`` (as the loader refuses it), and matches its
    row's ``partition_month`` (all error).

    Needs the frame to have gone through `add_month(frame, column, None)`.
    """
    gx = import_gx()
    latest = datetime.combine(window.latest_date, datetime.min.time())
    return [
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=column,
            min_value=datetime.combine(window.first, datetime.min.time()),
            max_value=datetime.combine(window.end, datetime.min.time()),
            strict_max=True,
            description=f"{column} lies in {window.label}",
            **level(ERROR),
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column=column,
            max_value=latest,
            description=f"{column} is not in the future (after {latest:%Y-%m-%d}, today "
            f"anywhere + {rules.tolerance_text(window.max_future_days)})",
            **level(ERROR),
        ),
        _partition_matches(column),
    ]


def _partition_matches(column: str) -> Expectation:
    gx = import_gx()
    return gx.expectations.ExpectColumnPairValuesToBeEqual(
        column_A="partition_month",
        column_B=month_column(column),
        # A missing timestamp is the `required` rule's failure, not this one's.
        ignore_row_if="either_value_is_missing",
        description=f"partition_month is the month of {column}",
        **level(ERROR),
    )


def row_column(name: str) -> Any:
    """A GX row-condition column: ``row_column("is_brand_account") == False`` selects rows."""
    import_gx()
    from great_expectations.expectations.row_conditions import Column

    return Column(name)


def pseudonymised(column: str, row_condition: Any = None) -> Expectation:
    """`column` holds ingestion pseudonyms, never a readable handle or id (error)."""
    gx = import_gx()
    return gx.expectations.ExpectColumnValuesToMatchRegex(
        column=column,
        regex=PSEUDONYM_REGEX,
        row_condition=row_condition,
        description=f"{column} is a pseudonym (p_ + 16 hex characters)",
        **level(ERROR),
    )


def text_length(column: str, max_length: int = MAX_TEXT_LENGTH) -> Expectation:
    """`column` is at most `max_length` characters long (error)."""
    gx = import_gx()
    return gx.expectations.ExpectColumnValueLengthsToBeBetween(
        column=column,
        min_value=0,
        max_value=max_length,
        description=f"{column} is at most {max_length:,} characters long",
        **level(ERROR),
    )


def has_rows(what: str) -> Expectation:
    """The validated months hold at least one row (warn: a quiet month is possible)."""
    gx = import_gx()
    return gx.expectations.ExpectTableRowCountToBeBetween(
        min_value=1, description=f"the months hold at least one {what}", **level(WARN)
    )


def at_least(column: str, minimum: float, *, strict: bool = False) -> Expectation:
    """`column` is at least (`strict`: above) `minimum` (error)."""
    gx = import_gx()
    sign = ">" if strict else ">="
    return gx.expectations.ExpectColumnValuesToBeBetween(
        column=column,
        min_value=minimum,
        strict_min=strict,
        description=f"{column} {sign} {minimum:g}",
        **level(ERROR),
    )


def not_before(later: str, earlier: str, word: str = "before") -> Expectation:
    """`later` is not before (`word`: below) `earlier` where both are given (error)."""
    gx = import_gx()
    return gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=later,
        column_B=earlier,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
        description=f"{later} is not {word} {earlier}",
        **level(ERROR),
    )


def in_range(column: str, bounds: rules.Range) -> Expectation:
    """`column` stays within `bounds` (error); nulls are left to `required`."""
    if bounds.maximum is None:
        return at_least(column, bounds.minimum, strict=bounds.strict_minimum)
    gx = import_gx()
    return gx.expectations.ExpectColumnValuesToBeBetween(
        column=column,
        min_value=bounds.minimum,
        max_value=bounds.maximum,
        strict_min=bounds.strict_minimum,
        description=f"{column} is {bounds.what + ' ' if bounds.what else ''}from "
        f"{bounds.minimum:g} to {bounds.maximum:g}",
        **level(ERROR),
    )


def row_rules(source: str) -> list[Expectation]:
    """The row rules of `source` from `expectations.rules` that the loader refuses rows by:
    value ranges, column orders, text lengths and columns unique besides the key (all error).
    """
    gx = import_gx()
    return [
        *(in_range(column, bounds) for column, bounds in rules.RANGES.get(source, {}).items()),
        *(
            not_before(order.later, order.earlier, order.word)
            for order in rules.NOT_BEFORE.get(source, ())
        ),
        *(text_length(column) for column in rules.LENGTH_LIMITED.get(source, ())),
        *(
            gx.expectations.ExpectColumnValuesToBeUnique(
                column=column, description=description, **level(ERROR)
            )
            for column, description in rules.ALSO_UNIQUE.get(source, {}).items()
        ),
    ]


def currency_code(column: str = "currency") -> Expectation:
    """`column` is an ISO 4217 code, three capitals (error)."""
    gx = import_gx()
    return gx.expectations.ExpectColumnValuesToMatchRegex(
        column=column,
        regex=rules.CURRENCY_REGEX,
        description=f"{column} is an ISO 4217 code (three capitals)",
        **level(ERROR),
    )
