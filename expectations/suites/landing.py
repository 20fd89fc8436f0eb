"""Suite for the landing of one raw source: the share of rows refused per month.

Validates one row per month (or one row for a reference source) with the
columns ``source``, ``partition_month``, ``rows_loaded``, ``rows_rejected`` and
``reject_share`` = rejected / (loaded + rejected), counted from the raw table
and ``raw.rejected_rows``; null (not judged) for a month with fewer rows than
settings.reject_min_month_rows, where one bad line moves the share by points.
The raw asset already fails a single file over the threshold; this catches a
month whose files each stayed just under it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations._gx import import_gx
from expectations.suites._common import ERROR, level, new_suite

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite


def suite_name(table: str) -> str:
    """``raw.mentions.landing`` for ``raw.mentions``."""
    return f"{table}.landing"


def build_suite(
    table: str, reject_threshold: float, *, reference: bool = False
) -> ExpectationSuite:
    """The reject share of every month of `table` (of the whole table when `reference`) stays
    at or below `reject_threshold`."""
    of = "the table's" if reference else "a month's"
    gx = import_gx()
    return new_suite(
        suite_name(table),
        [
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="reject_share",
                min_value=0,
                max_value=reject_threshold,
                description=f"at most {reject_threshold:.1%} of {of} rows were rejected",
                **level(ERROR),
            ),
        ],
    )
