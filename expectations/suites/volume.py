"""Suite for the monthly volume of a source per brand against its own recent history.

An export that silently lost half its rows must not pass as a quiet month. A
brand-month warns when its volume falls outside the range of the brand's
trailing twelve months stretched by a factor: below min / factor or above
max x factor. The range is judged only when at least `MIN_TRAILING_MONTHS` of
those months hold rows of the brand.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from expectations._gx import import_gx
from expectations.frames import as_pandas
from expectations.suites._common import WARN, level, new_suite
from expectations.window import MonthWindow

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

TRAILING_MONTHS = 12
MIN_TRAILING_MONTHS = 3
COLUMNS = (
    "brand",
    "month",
    "volume",
    "trailing_months",
    "trailing_min",
    "trailing_max",
    "lower_bound",
    "upper_bound",
)


def suite_name(table: str) -> str:
    """``raw.mentions.volume`` for ``raw.mentions``."""
    return f"{table}.volume"


def history_start(window: MonthWindow) -> date:
    """The first month whose volume the window's months are compared with."""
    first = window.first
    months = first.year * 12 + first.month - 1 - TRAILING_MONTHS
    return date(months // 12, months % 12 + 1, 1)


def prepare(
    counts: pd.DataFrame, loaded_months: Iterable[date], window: MonthWindow, factor: float
) -> pd.DataFrame:
    """One row per brand and month of `window` with its volume and its trailing bounds.

    `counts` has ``brand``, ``month``, ``volume`` for every brand-month with rows
    (from `history_start` to the window's last month); `loaded_months` are the
    months in which the source holds any row. A brand with no row in a window
    month has volume 0 there. Bounds are null when fewer than
    `MIN_TRAILING_MONTHS` trailing months hold the brand's rows.
    """
    counts = as_pandas(counts)
    counts = counts.assign(month=pd.to_datetime(counts["month"]).dt.date)
    loaded = set(loaded_months)
    history = counts[counts["month"].isin(loaded) & (counts["volume"] > 0)]
    volume = {(r.brand, r.month): int(r.volume) for r in counts.itertuples()}
    rows = []
    for brand in sorted(counts["brand"].dropna().unique()):
        own = history[history["brand"] == brand]
        for month in window.months:
            start = date(month.year - 1, month.month, 1)
            trailing = own[(own["month"] >= start) & (own["month"] < month)]["volume"]
            enough = len(trailing) >= MIN_TRAILING_MONTHS
            low, high = (int(trailing.min()), int(trailing.max())) if enough else (None, None)
            rows.append(
                (
                    brand,
                    pd.Timestamp(month),
                    volume.get((brand, month), 0),
                    len(trailing),
                    low,
                    high,
                    low / factor if enough else None,
                    high * factor if enough else None,
                )
            )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for column in ("trailing_min", "trailing_max"):
        frame[column] = frame[column].astype("Int64")
    for column in ("lower_bound", "upper_bound"):
        frame[column] = frame[column].astype("float64")
    return frame


def build_suite(table: str, factor: float) -> ExpectationSuite:
    """Volume of each brand-month within its trailing range stretched by `factor` (warn)."""
    gx = import_gx()
    expect = gx.expectations
    return new_suite(
        suite_name(table),
        [
            expect.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="volume",
                column_B="lower_bound",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                description=f"a brand's monthly volume is at least its trailing "
                f"{TRAILING_MONTHS} months' minimum / {factor:g}",
                **level(WARN),
            ),
            expect.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="upper_bound",
                column_B="volume",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                description=f"a brand's monthly volume is at most its trailing "
                f"{TRAILING_MONTHS} months' maximum x {factor:g}",
                **level(WARN),
            ),
        ],
    )
