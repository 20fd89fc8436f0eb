"""The calendar months a validation covers, and their bounds in UTC."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from expectations import rules
from warehouse.defaults import DEFAULT_MAX_FUTURE_DAYS


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _local_midnight_utc(day: date, timezone: str) -> datetime:
    """Midnight starting `day` in `timezone`, as a naive UTC datetime (the warehouse's form)."""
    local = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class MonthWindow:
    """The partition months being validated, counted in the reporting time zone.

    `now` is the moment "not in the future" is measured against (naive UTC); it
    is fixed when the window is made so that every expectation of a check run
    uses the same instant. `max_future_days` is how far past `now` a row may
    lie (settings.max_future_days; the loader refuses rows beyond it by the
    same rule, `expectations.rules`).
    """

    months: tuple[date, ...]
    timezone: str = "Europe/Amsterdam"
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))
    max_future_days: float = DEFAULT_MAX_FUTURE_DAYS

    def __post_init__(self) -> None:
        if not self.months:
            raise ValueError("a MonthWindow needs at least one month")
        if any(m.day != 1 for m in self.months):
            raise ValueError(f"months must be first days of a month, got {self.months}")
        object.__setattr__(self, "months", tuple(sorted(set(self.months))))

    @classmethod
    def from_keys(
        cls,
        partition_keys: Iterable[str],
        timezone: str,
        now: datetime | None = None,
        max_future_days: float = DEFAULT_MAX_FUTURE_DAYS,
    ) -> MonthWindow:
        """The window of ``YYYY-MM`` partition keys (the keys of a Dagster run)."""
        months = tuple(date(int(key[:4]), int(key[5:7]), 1) for key in partition_keys)
        if now is None:
            return cls(months=months, timezone=timezone, max_future_days=max_future_days)
        return cls(months=months, timezone=timezone, now=now, max_future_days=max_future_days)

    @property
    def first(self) -> date:
        """The first month."""
        return self.months[0]

    @property
    def last(self) -> date:
        """The last month."""
        return self.months[-1]

    @property
    def end(self) -> date:
        """The first day after the last month (exclusive bound)."""
        return _next_month(self.last)

    @property
    def start_utc(self) -> datetime:
        """Start of the first month in the reporting time zone, as naive UTC."""
        return _local_midnight_utc(self.first, self.timezone)

    @property
    def end_utc(self) -> datetime:
        """Start of the month after the last one in the reporting time zone, as naive UTC."""
        return _local_midnight_utc(self.end, self.timezone)

    @property
    def latest_utc(self) -> datetime:
        """The latest timestamp a row may carry (naive UTC): `now` + `max_future_days`."""
        return rules.latest_instant(self.now, self.max_future_days)

    @property
    def latest_date(self) -> date:
        """The latest calendar date a row may carry (`expectations.rules.latest_date`)."""
        return rules.latest_date(self.now, self.max_future_days)

    @property
    def label(self) -> str:
        """``2010-01`` for one month, ``2010-01..2010-03`` for a range."""
        first = f"{self.first:%Y-%m}"
        return first if self.first == self.last else f"{first}..{self.last:%Y-%m}"
