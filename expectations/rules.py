"""The row rules of the raw tables, defined once for the loader and the suites.

A rule that a single bad row can break is enforced twice: the raw loader
(`assets.raw.validation`) refuses the row into ``raw.rejected_rows`` with a
reason, and the blocking Great Expectations check on ``raw.*``
(`expectations.suites.raw_*`) verifies that none slipped through. Both take
the rule's parameters from here, so they cannot drift apart: a row the loader
accepts is a row the check passes, and a bad row never reaches raw where it
would block every later run.

The definition lives in ``expectations/`` because assets may import
expectations while expectations import only the foundation, ``warehouse/``
(docs/architecture.md).
Plain Python only: no Great Expectations, pandas or polars, so the loader
pays nothing for importing it.

Rules about a whole month (volume, the share of refused rows, empty texts)
are not row rules and stay checks only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

PLATFORMS = ("twitter", "facebook", "instagram", "forum", "blog", "news", "review", "other")
CHANNELS = ("phone", "email", "letter", "webform", "store", "social", "other")

# A pseudonym made at ingestion: "p_" + 16 hex characters of a keyed HMAC.
PSEUDONYM_PREFIX = "p_"
PSEUDONYM_HEX_CHARS = 16
PSEUDONYM_REGEX = rf"^{PSEUDONYM_PREFIX}[0-9a-f]{{{PSEUDONYM_HEX_CHARS}}}$"

# A CSV quote left open glues the following rows into one field; no real post,
# complaint or comment comes near this many characters.
MAX_TEXT_LENGTH = 20_000
# Per source: the text columns held to MAX_TEXT_LENGTH.
LENGTH_LIMITED: dict[str, tuple[str, ...]] = {
    "mentions": ("text",),
    "nps_responses": ("comment",),
}

CURRENCY_REGEX = r"^[A-Z]{3}$"
# Handles are stored without their leading "@" (one "@" is taken off at load).
HANDLE_PREFIX = "@"

# Control characters that make two ids look the same while comparing different.
# They are removed from every id before duplicates are looked for.
ZERO_WIDTH_CHARACTERS = "\u200b\u200c\u200d\u2060\ufeff"


@dataclass(frozen=True)
class Range:
    """Bounds of a numeric column; `strict_minimum` excludes the minimum itself; `what` names
    the values in descriptions ("an NPS answer")."""

    minimum: float | None = None
    maximum: float | None = None
    strict_minimum: bool = False
    what: str = ""


# Per source and column: the values a row may hold.
RANGES: dict[str, dict[str, Range]] = {
    "mentions": {"author_followers": Range(minimum=0)},
    "nps_responses": {"score": Range(minimum=0, maximum=10, what="an NPS answer")},
    "stock_prices": {
        "close": Range(minimum=0, strict_minimum=True),
        "open": Range(minimum=0),
        "high": Range(minimum=0),
        "low": Range(minimum=0),
        "adj_close": Range(minimum=0),
        "volume": Range(minimum=0),
    },
    # No shares means no market cap: 0 is a missing value written as a number.
    "brands": {"shares_outstanding": Range(minimum=0, strict_minimum=True)},
    # A promise of 0 minutes cannot be kept; a missing promise is left empty.
    "webcare_accounts": {"promised_response_minutes": Range(minimum=1)},
}


@dataclass(frozen=True)
class NotBefore:
    """`later` is not before (`word` "before") or below (`word` "below") `earlier` in a row
    where both are given."""

    later: str
    earlier: str
    word: str = "before"


# Per source: pairs of columns whose order a row must respect.
NOT_BEFORE: dict[str, tuple[NotBefore, ...]] = {
    "mentions": (NotBefore("deleted_at", "created_at"),),
    "complaints": (NotBefore("resolved_at", "received_at"),),
    "stock_prices": (NotBefore("high", "low", word="below"),),
}

# Per source: columns (besides the key) that no two rows may share, nulls apart,
# with the rule as the suite describes it.
ALSO_UNIQUE: dict[str, dict[str, str]] = {
    "brands": {"ticker": "no two brands share a ticker (market cap would count twice)"}
}

# A calendar date is local to whoever wrote it: the latest "today" anywhere is UTC + 14 h.
_LATEST_ZONE = timedelta(hours=14)


def latest_instant(now: datetime, max_future_days: float) -> datetime:
    """The latest timestamp (naive UTC, as `now`) a row may carry: `now` + `max_future_days`."""
    return now + timedelta(days=max_future_days)


def latest_date(now: datetime, max_future_days: float) -> date:
    """The latest calendar date a row may carry: today in the zone furthest ahead of UTC
    (UTC + 14 h), plus `max_future_days`."""
    return (now + _LATEST_ZONE + timedelta(days=max_future_days)).date()


def tolerance_text(max_future_days: float) -> str:
    """``1 day``, ``0.5 days``, ``2 days``: the tolerance as reasons and descriptions say it."""
    number = f"{max_future_days:g}"
    return f"{number} day" if max_future_days == 1 else f"{number} days"
