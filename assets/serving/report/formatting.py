"""How the report writes numbers: one function per kind, "–" for a missing value."""

from decimal import Decimal
from typing import Any


def missing(value: Any) -> bool:
    """None, NaN, NaT or pandas' NA: what a nullable mart column holds when it has no value."""
    import pandas as pd

    return value is None or bool(pd.api.types.is_scalar(value) and pd.isna(value))


# Fisher's z interval needs more pairs than this (macros/correlation_ctes.sql).
FEWEST_PAIRS_WITHOUT_CI = 3


# Under this many pairs no measure varies, and r is null when one does not
# (macros/correlation_ctes.sql).
FEWEST_PAIRS_FOR_R = 2


def correlation_without_r(n: int) -> str:
    """Why a correlation over n pairs has no r: too few pairs, else a constant variable."""
    if n < FEWEST_PAIRS_FOR_R:
        return f"too few brand-months ({n})"
    return f"no r over {n} brand-months: one of the two measures does not vary"


def correlation_interval(n: int, r: Any, lower: Any, upper: Any) -> str:
    """``, 95% CI -0.10 to +0.62`` for a correlation r over n pairs, or why it has none
    (empty without r): over two or three pairs r is +-1 or near it by arithmetic
    alone, and at |r| = 1 Fisher's z is infinite."""
    if missing(r):
        return ""
    if not missing(lower) and not missing(upper):
        return f", 95% CI {lower:+.2f} to {upper:+.2f}"
    if n <= FEWEST_PAIRS_WITHOUT_CI:
        return ", too few for a 95% CI"
    return ", no 95% CI at |r| = 1"


def pct(value: Any, digits: int = 0) -> str:
    """A share as a percentage, e.g. ``42%``."""
    return "–" if missing(value) else f"{value:.{digits}%}"


def signed(value: Any, digits: int = 2) -> str:
    """A number with its sign, e.g. ``+0.12``."""
    return "–" if missing(value) else f"{value:+.{digits}f}"


def minutes(value: Any) -> str:
    """A duration given in minutes, in minutes, hours or days as its size suits."""
    if missing(value):
        return "–"
    if value < 90:
        return f"{value:.0f} min"
    if value < 48 * 60:
        return f"{value / 60:.1f} h"
    return f"{value / 1440:.1f} d"


def points(value: Any) -> str:
    """A difference of two shares in percentage points, e.g. ``+12 pts``."""
    return "–" if missing(value) else f"{value * 100:+.0f} pts"


def count(value: Any) -> str:
    """A whole number with thousands separators, e.g. ``1,234``."""
    return "–" if missing(value) else f"{int(value):,}"


def assumption(value: Any) -> str:
    """An ROI assumption as the mart holds it: ``250`` for 250.0 or the amount 250.00,
    ``0.3``, ``4.50`` for an amount with cents, or its text."""
    whole = (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value()
    )
    if whole:
        return f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int | float | Decimal) else str(value)
