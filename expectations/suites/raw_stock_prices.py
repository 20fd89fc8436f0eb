"""Suite for ``raw.stock_prices``: daily prices per ticker, by month of the trading day."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from expectations.suites._common import (
    add_month,
    currency_code,
    date_rules,
    has_rows,
    new_suite,
    required,
    row_rules,
    unique,
)
from expectations.window import MonthWindow
from warehouse import contract

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

NAME = "raw.stock_prices"
# The logical key of the table, defined once in warehouse.contract.
KEY = contract.table(NAME).primary_key


def prepare(frame: pd.DataFrame, window: MonthWindow) -> pd.DataFrame:
    """Add the month of ``date`` (a trading day has no time zone) for the partition rule."""
    return add_month(frame, "date", None)


def build_suite(window: MonthWindow) -> ExpectationSuite:
    """Rules for the prices of `window`'s months."""
    return new_suite(
        NAME,
        [
            has_rows("price"),
            *required(("ticker", "date", "close")),
            unique(KEY, "a ticker's trading day"),
            *date_rules("date", window),
            *row_rules("stock_prices"),
            currency_code(),
        ],
    )
