"""Warn-only freshness checks: each monthly raw source's newest month against the calendar.

A source that stopped arriving (an export nobody delivered, a feed that broke)
must not pass as a quiet month. ``raw/<source>:source_freshness`` warns when the
newest month holding rows of the source lies more months before the current
month (reporting time zone) than the source's limit,
``settings.source_max_age_months`` (declared once, in warehouse/settings.py).

The check reads the whole table, not the months of its run: freshness is about
what the warehouse holds. It never blocks and never fails a run; historic data
(the demo's 2010-2011) warns, which is what it should do.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import dagster as dg
import duckdb

from assets.checks import _reading
from assets.checks._running import report
from warehouse.partitions import reporting_day
from warehouse.resource import WAREHOUSE_POOL, WarehouseResource, tables_in
from warehouse.settings import ENV_PREFIX, PARTITIONED_SOURCES, Settings

FRESHNESS_CHECK_NAME = "source_freshness"
LIMIT_VARIABLE = f"{ENV_PREFIX}SOURCE_MAX_AGE_MONTHS"
# "Now" for the checks; tests pass a fixed clock to `build_freshness_checks`.
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def month_of(moment: datetime, timezone: str) -> date:
    """The first day of the calendar month `moment` (timezone-aware) falls in, in `timezone`."""
    return reporting_day(moment, timezone).replace(day=1)


@dataclass(frozen=True)
class Freshness:
    """One source's newest month against the current month and the source's limit."""

    source: str
    newest_month: date | None
    current_month: date
    max_age_months: int
    newest_row: datetime | date | None = None

    @property
    def age_months(self) -> int | None:
        """Whole calendar months from the newest month to the current one (None: no rows)."""
        if self.newest_month is None:
            return None
        newest, current = self.newest_month, self.current_month
        return (current.year - newest.year) * 12 + current.month - newest.month

    @property
    def is_fresh(self) -> bool:
        """Whether the newest month is at most `max_age_months` before the current month."""
        age = self.age_months
        return age is not None and age <= self.max_age_months

    def describe(self) -> str:
        """One sentence for people: the source, its newest month, the current month, the limit."""
        table = f"raw.{self.source}"
        current = f"{self.current_month:%Y-%m}"
        limit = f"its limit of {_months(self.max_age_months)} ({LIMIT_VARIABLE})"
        if self.newest_month is None:
            return (
                f"{table} is stale: it holds no rows (its newest month may be at most "
                f"{_months(self.max_age_months)} before the current month {current}, "
                f"{LIMIT_VARIABLE})"
            )
        newest = f"{self.newest_month:%Y-%m}"
        age = _months(max(self.age_months or 0, 0))
        if self.is_fresh:
            return (
                f"{table} is fresh: its newest month {newest} is {age} before {current}, "
                f"within {limit}"
            )
        return (
            f"{table} is stale: its newest month {newest} is {age} before the current month "
            f"{current}, more than {limit}"
        )


def _months(count: int) -> str:
    return f"{count} month" if count == 1 else f"{count} months"


def read_freshness(
    conn: duckdb.DuckDBPyConnection, source: str, current_month: date, max_age_months: int
) -> Freshness:
    """The `Freshness` of ``raw.<source>`` as `conn` (the live warehouse) holds it now."""
    if source not in tables_in(conn, "raw"):
        return Freshness(source, None, current_month, max_age_months)
    newest_month, newest_row = _reading.newest_row(conn, source)
    return Freshness(source, newest_month, current_month, max_age_months, newest_row)


def build_freshness_checks(clock: Clock = _now) -> list[dg.AssetChecksDefinition]:
    """A non-blocking ``source_freshness`` check on each monthly raw source; `clock` is "now"."""
    return [_freshness_check(source, clock) for source in PARTITIONED_SOURCES]


def _freshness_check(source: str, clock: Clock) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", source]),
        name=FRESHNESS_CHECK_NAME,
        description=f"Warns when the newest month of raw.{source} lies more months before the "
        "current month than settings.source_max_age_months allows (a source that stopped "
        "arriving must not pass as a quiet month).",
        blocking=False,
        pool=WAREHOUSE_POOL,
    )
    def check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, settings: Settings
    ) -> dg.AssetCheckResult:
        current = month_of(clock(), settings.reporting_timezone)
        limit = settings.source_max_age_months[source]
        with warehouse.connect(read_only=True) as conn:
            freshness = read_freshness(conn, source, current, limit)
        metadata = {
            "newest_month": f"{freshness.newest_month:%Y-%m}" if freshness.newest_month else None,
            "newest_row": str(freshness.newest_row) if freshness.newest_row else None,
            "current_month": f"{current:%Y-%m}",
            "age_months": freshness.age_months,
            "max_age_months": limit,
        }
        result = dg.AssetCheckResult(
            passed=freshness.is_fresh,
            severity=dg.AssetCheckSeverity.WARN,
            description=freshness.describe(),
            metadata={key: value for key, value in metadata.items() if value is not None},
        )
        return report(context, result)

    return check
