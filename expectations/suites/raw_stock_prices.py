"""Suite for ``raw.stock_prices``: daily prices per ticker, by month of the trading day."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from expectations._gx import import_gx
from expectations.suites._common import (
    ERROR,
    add_month,
    at_least,
    date_rules,
    has_rows,
    level,
    new_suite,
    required,
    unique,
)
from expectations.window import MonthWindow

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

NAME = "raw.stock_prices"
KEY = ("ticker", "date")


def prepare(frame: pd.DataFrame, window: MonthWindow) -> pd.DataFrame:
    """Add the month of ``date`` (a trading day has no time zone) for the partition rule."""
    return add_month(frame, "date", None)


def build_suite(window: MonthWindow) -> ExpectationSuite:
    """Rules for the prices of `window`'s months."""
    gx = import_gx()
    expect = gx.expectations
    return new_suite(
        NAME,
        [
            has_rows("price"),
            *required(("ticker", "date", "close")),
            unique(KEY, "a ticker's trading day"),
            *date_rules("date", window),
            at_least("close", 0, strict=True),
            *(at_least(column, 0) for column in ("open", "high", "low", "adj_close", "volume")),
            expect.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="high",
                column_B="low",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                description="high is not below low",
                **level(ERROR),
            ),
            expect.ExpectColumnValuesToMatchRegex(
                column="currency",
                regex=r"^[A-Z]{3}$",
                description="currency is an ISO 4217 code (three capitals)",
                **level(ERROR),
            ),
        ],
    )
