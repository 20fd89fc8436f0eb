"""Suite for ``raw.brands``: the brand reference (replaced whole on every load)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations._gx import import_gx
from expectations.suites._common import (
    WARN,
    currency_code,
    level,
    new_suite,
    required,
    row_rules,
    unique,
)
from warehouse import contract

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

NAME = "raw.brands"
# The logical key of the table, defined once in warehouse.contract.
KEY = contract.table(NAME).primary_key


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
            *row_rules("brands"),
            currency_code(),
        ],
    )
