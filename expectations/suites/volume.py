"""Suite for the monthly volume of a source per brand against its own recent history.

An export that silently lost half its rows must not pass as a quiet month. A
brand-month warns when its volume falls outside the range of the brand's
trailing twelve months stretched by a factor: below min / factor or above
max x factor. The range is judged only when at least `MIN_TRAILING_MONTHS` of
those months hold rows of the brand, the quietest of them at least
`MIN_JUDGED_VOLUME`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from expectations._gx import import_gx
from expectations.frames import as_pandas
from expectations.suites._common import WARN, level, new_suite
from expectations.window import MonthWindow

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

TRAILING_MONTHS = 12
MIN_TRAILING_MONTHS = 3
# A brand whose quietest trailing month held fewer rows is not judged: at such counts
# a month without rows, or twice as many, is chance (a brand with 2 complaints a month
# has none in one month of seven), not a lost or doubled export. The CFPB sample, a few
# complaints per company and month, warned about 1,350 brand-months without it.
MIN_JUDGED_VOLUME = 10
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
    counts: pd.DataFrame,
    loaded_months: Iterable[date],
    window: MonthWindow,
    factor: float,
    newest_month: date | None = None,
) -> pd.DataFrame:
    """One row per brand and judged month of `window`: its volume and trailing bounds.

    `counts` has ``brand``, ``month``, ``volume`` for every brand-month with rows
    (from `history_start` to the window's last month); `loaded_months` are the
    months in which the source holds any row, `newest_month` the newest of all
    (default: the newest of `loaded_months`). Only the `judged_months` of the
    window get rows: none after the source's newest month. A brand with no row in
    a judged month has volume 0 there. Bounds are null when fewer than
    `MIN_TRAILING_MONTHS` trailing months hold the brand's rows or the quietest
    of them holds fewer than `MIN_JUDGED_VOLUME`.
    """
    counts = as_pandas(counts)
    counts = counts.assign(month=pd.to_datetime(counts["month"]).dt.date)
    loaded = set(loaded_months)
    history = counts[counts["month"].isin(loaded) & (counts["volume"] > 0)]
    brands = sorted(counts["brand"].dropna().unique())
    judged = judged_months(newest_month or max(loaded, default=None), window)
    grid = pd.DataFrame(
        [(brand, month) for brand in brands for month in judged], columns=["brand", "month"]
    )
    # A history month lies in the trailing year of each of the twelve months after it:
    # one row per window month it counts for, grouped once (a filter per brand and month
    # took 23 s for 805 brands over 86 months, the CFPB sample's shape; this 0.6 s).
    index = {_month_index(month): month for month in window.months}
    seen = history["month"].map(_month_index).to_numpy()
    spread = pd.DataFrame(
        {
            "brand": np.repeat(history["brand"].to_numpy(), TRAILING_MONTHS),
            "month": np.add.outer(seen, np.arange(1, TRAILING_MONTHS + 1)).ravel(),
            "volume": np.repeat(history["volume"].to_numpy(), TRAILING_MONTHS),
        }
    )
    spread = spread.assign(month=spread["month"].map(index)).dropna(subset=["month"])
    trailing = (
        spread.groupby(["brand", "month"], sort=False)["volume"]
        .agg(trailing_months="size", trailing_min="min", trailing_max="max")
        .reset_index()
    )
    volumes = counts.drop_duplicates(["brand", "month"], keep="last")[["brand", "month", "volume"]]
    frame = grid.merge(volumes, on=["brand", "month"], how="left").merge(
        trailing, on=["brand", "month"], how="left"
    )
    enough = (frame["trailing_months"].fillna(0) >= MIN_TRAILING_MONTHS) & (
        frame["trailing_min"].fillna(0) >= MIN_JUDGED_VOLUME
    )
    frame = frame.assign(
        month=pd.to_datetime(frame["month"]),
        volume=frame["volume"].fillna(0).astype("int64"),
        trailing_months=frame["trailing_months"].fillna(0).astype("int64"),
        trailing_min=frame["trailing_min"].where(enough).astype("Int64"),
        trailing_max=frame["trailing_max"].where(enough).astype("Int64"),
    )
    frame["lower_bound"] = (frame["trailing_min"].astype("float64") / factor).where(enough)
    frame["upper_bound"] = (frame["trailing_max"].astype("float64") * factor).where(enough)
    return frame[list(COLUMNS)]


def judged_months(newest_month: date | None, window: MonthWindow) -> list[date]:
    """The months of `window` up to `newest_month`, the source's newest with rows.

    A month after it is one the source's exports have not reached (the twcs sample
    ends in December 2017 while the CFPB one runs to March 2020): every brand would
    count 0 there. Whether a source stopped arriving is the freshness check's
    question; a month without rows between two with rows (a lost file) is judged.
    """
    return [month for month in window.months if newest_month and month <= newest_month]


def _month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


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
