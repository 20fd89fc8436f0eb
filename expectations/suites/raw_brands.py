"""Suite for ``raw.brands``: the brand reference (replaced whole on every load)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations._gx import import_gx
from expectations.suites._common import ERROR, WARN, at_least, level, new_suite, required, unique

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

NAME = "raw.brands"
KEY = ("brand",)


def build_suite() -> ExpectationSuite:
    """Rules for the whole brand reference."""
    gx = import_gx()
    expect = gx.expectations
    return new_suite(
        NAME,
        [
            expect.ExpectTableRowCountToBeBetween(
                min_value=1,
                description="the reference names at least one brand",
                **level(WARN),
            ),
            *required(KEY),
            unique(KEY, "a brand"),
            expect.ExpectColumnValuesToBeUnique(
                column="ticker",
                description="no two brands share a ticker (market cap would count twice)",
                **level(ERROR),
            ),
            expect.ExpectColumnValuesToMatchRegex(
                column="currency",
                regex=r"^[A-Z]{3}$",
                description="currency is an ISO 4217 code (three capitals)",
                **level(ERROR),
            ),
            at_least("shares_outstanding", 0, strict=True),
        ],
    )
