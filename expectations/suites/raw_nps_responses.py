"""Suite for ``raw.nps_responses``: survey answers, by month answered."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from expectations.suites._common import (
    add_month,
    has_rows,
    new_suite,
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

NAME = "raw.nps_responses"
# The logical key of the table, defined once in warehouse.contract.
KEY = contract.table(NAME).primary_key


def prepare(frame: pd.DataFrame, window: MonthWindow) -> pd.DataFrame:
    """Add the reporting month of ``answered_at`` for the partition rule."""
    return add_month(frame, "answered_at", window.timezone)


def build_suite(window: MonthWindow) -> ExpectationSuite:
    """Rules for the NPS answers of `window`'s months."""
    return new_suite(
        NAME,
        [
            has_rows("NPS response"),
            *required(("response_id", "brand", "answered_at", "score")),
            unique(KEY, "an NPS response"),
            *timestamp_rules("answered_at", window),
            pseudonymised("respondent_id"),
            *row_rules("nps_responses"),
        ],
    )
