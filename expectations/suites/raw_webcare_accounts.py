"""Suite for ``raw.webcare_accounts``: the brands' webcare accounts (replaced whole)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import available_timezones

import pandas as pd

from expectations import rules
from expectations._gx import import_gx
from expectations.frames import as_pandas
from expectations.suites._common import (
    ERROR,
    WARN,
    level,
    new_suite,
    one_of,
    required,
    row_rules,
    unique,
)
from warehouse import contract

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

NAME = "raw.webcare_accounts"
# The logical key of the table, defined once in warehouse.contract.
KEY = contract.table(NAME).primary_key


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``timezone_is_iana``: whether ``timezone`` names an IANA zone (null when absent).

    The ~600 zone names would make an unreadable value set in Data Docs, so the
    lookup happens here and the suite checks the flag.
    """
    frame = as_pandas(frame)
    zones = available_timezones()
    known = frame["timezone"].map(lambda tz: None if pd.isna(tz) else tz in zones)
    return frame.assign(timezone_is_iana=known.astype("boolean"))


def build_suite() -> ExpectationSuite:
    """Rules for the whole account reference (the frame must have gone through `prepare`)."""
    gx = import_gx()
    expect = gx.expectations
    return new_suite(
        NAME,
        [
            expect.ExpectTableRowCountToBeBetween(
                min_value=1,
                description="the reference names at least one webcare account",
                **level(WARN),
            ),
            *required(("brand", "handle", "platform")),
            unique(KEY, "an account"),
            one_of("platform", rules.PLATFORMS),
            expect.ExpectColumnValuesToNotMatchRegex(
                column="handle",
                regex=f"^{rules.HANDLE_PREFIX}",
                description="handle is stored without a leading @",
                **level(ERROR),
            ),
            *row_rules("webcare_accounts"),
            expect.ExpectColumnValuesToBeInSet(
                column="timezone_is_iana",
                value_set=[True],
                description="timezone is an IANA time zone name (e.g. Europe/Amsterdam)",
                **level(ERROR),
            ),
        ],
    )
