"""Suite for ``raw.mentions``: what the social-media loader landed for the validated months."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from expectations import rules
from expectations._gx import import_gx
from expectations.suites._common import (
    ERROR,
    WARN,
    add_month,
    has_rows,
    level,
    new_suite,
    one_of,
    pseudonymised,
    required,
    row_column,
    row_rules,
    timestamp_rules,
    unique,
)
from expectations.window import MonthWindow
from warehouse import contract

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

NAME = "raw.mentions"
# The logical key of the table, defined once in warehouse.contract.
KEY = contract.table(NAME).primary_key
PLATFORMS = rules.PLATFORMS
# Media-only posts are the only texts allowed to be empty; when more than this
# share of a month is empty, the text column was most likely lost in an export.
MAX_EMPTY_TEXT_SHARE = 0.10


def prepare(frame: pd.DataFrame, window: MonthWindow) -> pd.DataFrame:
    """Add the reporting month of ``created_at`` for the partition rule."""
    return add_month(frame, "created_at", window.timezone)


def build_suite(window: MonthWindow) -> ExpectationSuite:
    """Rules for the mentions of `window`'s months."""
    gx = import_gx()
    expect = gx.expectations
    return new_suite(
        NAME,
        [
            has_rows("mention"),
            *required(("mention_id", "platform", "created_at", "author_id", "is_brand_account")),
            expect.ExpectColumnValuesToNotBeNull(
                column="text",
                description="text is never null (empty only for media-only posts)",
                **level(ERROR),
            ),
            unique(KEY, "a mention"),
            one_of("platform", PLATFORMS),
            *timestamp_rules("created_at", window),
            pseudonymised(
                "author_id",
                row_condition=row_column("is_brand_account") == False,  # noqa: E712
            ),
            *row_rules("mentions"),
            expect.ExpectColumnValueLengthsToBeBetween(
                column="text",
                min_value=1,
                mostly=1 - MAX_EMPTY_TEXT_SHARE,
                description=f"at most {MAX_EMPTY_TEXT_SHARE:.0%} of texts are empty",
                **level(WARN),
            ),
            expect.ExpectColumnValuesToMatchRegex(
                column="language",
                regex=r"^[a-z]{2}$",
                description="language is an ISO 639-1 code (two lower-case letters)",
                **level(ERROR),
            ),
        ],
    )
