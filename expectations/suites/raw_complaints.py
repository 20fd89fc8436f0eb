"""Suite for ``raw.complaints``: complaints from the traditional channels, by month received."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from expectations import rules
from expectations.suites._common import (
    add_month,
    has_rows,
    new_suite,
    one_of,
    pseudonymised,
    required,
    row_rules,
    timestamp_rules,
    unique,
)
from expectations.window import MonthWindow
from warehouse import contract

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

NAME = "raw.complaints"
# The logical key of the table, defined once in warehouse.contract.
KEY = contract.table(NAME).primary_key
CHANNELS = rules.CHANNELS


def prepare(frame: pd.DataFrame, window: MonthWindow) -> pd.DataFrame:
    """Add the reporting month of ``received_at`` for the partition rule."""
    return add_month(frame, "received_at", window.timezone)


def build_suite(window: MonthWindow) -> ExpectationSuite:
    """Rules for the complaints of `window`'s months."""
    return new_suite(
        NAME,
        [
            has_rows("complaint"),
            *required(("complaint_id", "brand", "received_at", "channel")),
            unique(KEY, "a complaint"),
            one_of("channel", CHANNELS),
            *timestamp_rules("received_at", window),
            pseudonymised("customer_id"),
            pseudonymised("social_handle"),
            *row_rules("complaints"),
        ],
    )
