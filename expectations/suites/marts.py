"""Suites for the published marts (``marts.*``): what BI tools and the report read.

The rules follow the project's column naming convention (ARCHITECTURE.md), so a
new KPI column is checked without a Python change:

- shares and rates (``share_*``, ``*_share``, ``*_rate``, ``*_rate_*``,
  ``*_attainment``) lie in [0, 1];
- NPS (``nps``, ``*_nps``) lies in [-100, 100]; margins of error are >= 0;
- durations (``*_minutes``, ``*_hours``, ``*_days``) and ratios (``*_ratio``) are >= 0;
- correlations (``pearson_r*``, ``spearman_rho*``) and sentiment (``net_sentiment``,
  ``*sentiment_score``) lie in [-1, 1];
- integer columns (counts, ranks, lags) are >= 0.

- ranks (``*rank*``) are at least 1.

A brand-month mart (``*_monthly`` with ``brand`` and ``reporting_month``) has a
row for every brand-month of the spine ``dim_months`` x ``dim_brands`` and none
outside it: the frame it validates is the mart full-outer-joined with the
spine, with the flags ``in_mart`` and ``in_spine`` (see `spine_flags`).

A mart's primary key is not checked here: STYLE.md rule 4 gives every model a
primary-key test in dbt, and a rule lives in one tool only. The check names an
offending row by the mart's grain, which it takes from the dbt manifest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from expectations._gx import import_gx
from expectations.frames import as_pandas
from expectations.suites._common import ERROR, WARN, level, new_suite

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite
    from great_expectations.expectations import Expectation

BRAND = "brand"
MONTH = "reporting_month"
BRAND_MONTH = (BRAND, MONTH)
SPINE_MONTHS = "dim_months"
SPINE_BRANDS = "dim_brands"

_RANK = re.compile(r"(^|_)rank(_|$)")
_FRACTION = re.compile(r"(^share_|_share$|_share_|(^|_)rate($|_)|_attainment$)")
_NPS = re.compile(r"(^|_)nps$")
_NON_NEGATIVE = re.compile(r"(_minutes|_hours|_days|_ratio|margin_of_error(_\d+)?)$")
_CORRELATION = re.compile(r"^(pearson_r|spearman_rho)($|_)")
_SENTIMENT = re.compile(r"((^|_)net_sentiment|sentiment_score)$")
# Integer columns that may be negative: changes, differences and calendar offsets.
_SIGNED_INTEGER = re.compile(r"(change|delta|diff|offset)")


def suite_name(mart: str) -> str:
    """``marts.fct_nps_monthly`` for ``fct_nps_monthly``."""
    return f"marts.{mart}"


def is_brand_month(mart: str, columns: Iterable[str]) -> bool:
    """Whether `mart` has brand x month grain (a ``*_monthly`` mart with brand and month)."""
    return mart.endswith("_monthly") and set(BRAND_MONTH) <= set(columns)


def needs_spine(mart: str, columns: Iterable[str]) -> bool:
    """Whether `mart` must hold a row for every brand-month of the spine (every brand-month
    mart does: a brand without activity in a month still gets its row, with zero counts)."""
    return is_brand_month(mart, columns)


def spine_flags(mart: pd.DataFrame, spine: pd.DataFrame) -> pd.DataFrame:
    """The mart full-outer-joined with the brand-month `spine` on (brand, reporting_month).

    Adds ``in_mart`` (false for a spine brand-month the mart lacks) and
    ``in_spine`` (false for a mart row outside the spine).
    """
    mart, spine = as_pandas(mart), as_pandas(spine)
    spine = spine[list(BRAND_MONTH)].drop_duplicates().assign(in_spine=True)
    mart = mart.assign(in_mart=True)
    for frame in (mart, spine):
        frame[MONTH] = pd.to_datetime(frame[MONTH])
    joined = mart.merge(spine, on=list(BRAND_MONTH), how="outer")
    joined["in_mart"] = joined["in_mart"].astype("boolean").fillna(False).astype(bool)
    joined["in_spine"] = joined["in_spine"].astype("boolean").fillna(False).astype(bool)
    return joined


def build_suite(mart: str, dtypes: Mapping[str, object], *, spine: bool) -> ExpectationSuite:
    """The rules for `mart`, whose columns and pandas dtypes are `dtypes`.

    With `spine` the frame must come from `spine_flags`, and the suite also
    requires every spine brand-month to be in the mart (and no mart row outside it).
    """
    gx = import_gx()
    expect = gx.expectations
    columns = [c for c in dtypes if c not in ("in_mart", "in_spine")]
    rules: list[Expectation] = [
        expect.ExpectTableRowCountToBeBetween(
            min_value=1, description=f"{mart} is not empty", **level(WARN)
        )
    ]
    if spine:
        rules.extend(
            [
                expect.ExpectColumnValuesToBeInSet(
                    column="in_mart",
                    value_set=[True],
                    description=f"every brand-month of {SPINE_MONTHS} x {SPINE_BRANDS} "
                    f"has a row in {mart}",
                    **level(ERROR),
                ),
                expect.ExpectColumnValuesToBeInSet(
                    column="in_spine",
                    value_set=[True],
                    description=f"every row of {mart} is a brand-month of "
                    f"{SPINE_MONTHS} x {SPINE_BRANDS}",
                    **level(ERROR),
                ),
            ]
        )
    for column in columns:
        rules.extend(_domain_rules(column, dtypes[column]))
    return new_suite(suite_name(mart), rules)


def _domain_rules(column: str, dtype: object) -> Sequence[Expectation]:
    if column.startswith("assumption_") or not _is_numeric(dtype):
        return ()
    if _RANK.search(column):
        return [_between(column, 1, None, "a rank, at least 1")]
    if _FRACTION.search(column):
        return [_between(column, 0, 1, "a share in [0, 1]")]
    if _NPS.search(column):
        return [_between(column, -100, 100, "an NPS in [-100, 100]")]
    if _CORRELATION.search(column):
        return [_between(column, -1, 1, "a correlation in [-1, 1]")]
    if _SENTIMENT.search(column):
        return [_between(column, -1, 1, "a sentiment in [-1, 1]")]
    if _NON_NEGATIVE.search(column):
        return [_between(column, 0, None, "never negative")]
    if pd.api.types.is_integer_dtype(dtype) and not _SIGNED_INTEGER.search(column):
        return [_between(column, 0, None, "a count, never negative")]
    return ()


def _between(column: str, low: float, high: float | None, what: str) -> Expectation:
    gx = import_gx()
    return gx.expectations.ExpectColumnValuesToBeBetween(
        column=column,
        min_value=low,
        max_value=high,
        description=f"{column} is {what}",
        **level(ERROR),
    )


def _is_numeric(dtype: object) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
