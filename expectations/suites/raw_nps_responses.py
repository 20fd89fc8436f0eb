"""Suite for ``raw.nps_responses``: survey answers, by month answered."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from expectations._gx import import_gx
from expectations.suites._common import (
    ERROR,
    add_month,
    has_rows,
    level,
    new_suite,
    pseudonymised,
    required,
    text_length,
    timestamp_rules,
    unique,
)
from expectations.window import MonthWindow

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

NAME = "raw.nps_responses"
KEY = ("response_id",)


def prepare(frame: pd.DataFrame, window: MonthWindow) -> pd.DataFrame:
    """Add the reporting month of ``answered_at`` for the partition rule."""
    return add_month(frame, "answered_at", window.timezone)


def build_suite(window: MonthWindow) -> ExpectationSuite:
    """Rules for the NPS answers of `window`'s months."""
    gx = import_gx()
    return new_suite(
        NAME,
        [
            has_rows("NPS response"),
            *required(("response_id", "brand", "answered_at", "score")),
            unique(KEY, "an NPS response"),
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="score",
                min_value=0,
                max_value=10,
                description="score is an NPS answer from 0 to 10",
                **level(ERROR),
            ),
            *timestamp_rules("answered_at", window),
            pseudonymised("respondent_id"),
            text_length("comment"),
        ],
    )
