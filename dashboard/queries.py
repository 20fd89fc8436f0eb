"""Every query the dashboard runs, all against the published snapshot.

Each function takes an open `Snapshot` (`assets.serving.snapshot.open_snapshot`)
and returns plain values or a DataFrame; nothing here draws or formats, so the
page (`dashboard/app.py`) and its tests read the same numbers. Months are the
first day of the month (`datetime.date`); brands are brand keys.

Computed numbers are cast to DOUBLE here, so the page does not depend on how a
mart stores a count or an amount (BIGINT, HUGEINT, DECIMAL).
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from assets.serving.snapshot import Snapshot
from dashboard.kpis import KPIS
from warehouse.partitions import MONTH_FORMAT, covers_to_end, reporting_day

if TYPE_CHECKING:
    import pandas as pd

# The marts the page reads. A snapshot published before one of them existed
# cannot be shown; the page names the missing ones.
MARTS = (
    "dim_brands",
    "dim_months",
    "fct_sentiment_monthly",
    "fct_brand_benchmark_monthly",
    "fct_webcare_response_monthly",
    "fct_negative_spike_alerts",
    "fct_inbound_messages",
)

# Mentions are not benchmarked by fct_brand_benchmark_monthly; their sector median
# and rank are computed below the same way (median over the sector's brands that month,
# rank 1 = most mentions). Every other tile reads the benchmark mart's own columns.
_OWN_BENCHMARK = ("mentions",)
_BENCHMARKED = tuple(kpi.column for kpi in KPIS if kpi.column not in _OWN_BENCHMARK)

_BENCHMARK_COLUMNS = ",\n".join(
    f"cast(benchmark.{column} as double) as {column}, "
    f"cast(benchmark.sector_median_{column} as double) as sector_median_{column}, "
    f"benchmark.sector_rank_{column}"
    for column in _BENCHMARKED
)

# One row per brand-month: every KPI with its sector median and rank.
_KPI_ROWS = f"""
    with sentiment as (
        select
            brand,
            reporting_month,
            sector,
            cast(mentions as double) as mentions,
            median(cast(mentions as double)) over sector_month as sector_median_mentions,
            rank() over (partition by sector, reporting_month order by mentions desc)
                as sector_rank_mentions,
            count(*) over sector_month as sector_brands
        from marts.fct_sentiment_monthly
        window sector_month as (partition by sector, reporting_month)
    )
    select
        sentiment.brand,
        sentiment.reporting_month,
        sentiment.sector_brands,
        sentiment.mentions,
        sentiment.sector_median_mentions,
        sentiment.sector_rank_mentions,
        {_BENCHMARK_COLUMNS}
    from sentiment
    left join marts.fct_brand_benchmark_monthly as benchmark
        on sentiment.brand = benchmark.brand
        and sentiment.reporting_month = benchmark.reporting_month
"""

# Buckets of the response-time distribution: (label, from minutes, below minutes).
# Response times span seconds to days, so the buckets widen as they go.
RESPONSE_TIME_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("< 15 min", 0, 15),
    ("15-30 min", 15, 30),
    ("30-60 min", 30, 60),
    ("1-2 h", 60, 120),
    ("2-4 h", 120, 240),
    ("4-8 h", 240, 480),
    ("8-24 h", 480, 1440),
    ("1-3 days", 1440, 4320),
    ("> 3 days", 4320, float("inf")),
)


@dataclass(frozen=True)
class Tile:
    """One KPI of a brand-month beside its sector: value, sector median, rank (1 = best)."""

    column: str
    value: float | None
    sector_median: float | None
    sector_rank: int | None
    sector_brands: int | None


@dataclass(frozen=True)
class DrillDown:
    """A set of inbound messages behind a KPI: a condition on fct_inbound_messages rows."""

    key: str
    label: str
    condition: str


DRILL_DOWNS: tuple[DrillDown, ...] = (
    DrillDown("all", "Inbound messages (all)", "true"),
    DrillDown("unanswered", "Unanswered", "not is_answered"),
    DrillDown(
        "outside_window",
        "Response rate: not answered within the response window",
        "not coalesce(is_answered_within_window, false)",
    ),
    DrillDown(
        "promise_missed",
        "SLA attainment: promise missed (late or unanswered)",
        "not coalesce(is_within_promise, false)",
    ),
    DrillDown(
        "answered_late",
        "Answered later than promised",
        "is_answered and not coalesce(is_within_promise, false)",
    ),
    DrillDown("answered", "Median first response: answered messages", "is_answered"),
    DrillDown(
        "negative",
        "Net sentiment: inbound messages scored negative",
        "sentiment_label = 'negative'",
    ),
)


def drill_down(key: str) -> DrillDown:
    """The drill-down named `key`; a `KeyError` names the known ones otherwise."""
    for choice in DRILL_DOWNS:
        if choice.key == key:
            return choice
    known = ", ".join(choice.key for choice in DRILL_DOWNS)
    raise KeyError(f"no drill-down {key!r} (known: {known})")


def missing_marts(snapshot: Snapshot) -> list[str]:
    """The marts of `MARTS` that `snapshot` lacks (an older publication)."""
    published = set(snapshot.marts())
    return [mart for mart in MARTS if mart not in published]


def published_at(snapshot: Snapshot) -> datetime | None:
    """When `snapshot` was published (UTC), or None for a file without a publication record."""
    return snapshot.published_at()


def brands(snapshot: Snapshot) -> "pd.DataFrame":
    """Every brand: ``brand``, ``display_name``, ``sector``, ordered by sector and name."""
    return snapshot.query(
        """
        select brand, coalesce(display_name, brand) as display_name,
            coalesce(sector, 'unassigned') as sector
        from marts.dim_brands
        order by sector, display_name, brand
        """
    )


def months(snapshot: Snapshot) -> list[date]:
    """The reporting months of the data, newest first."""
    return [
        month
        for (month,) in snapshot.rows(
            "select reporting_month from marts.dim_months order by reporting_month desc"
        )
    ]


def opening_view(snapshot: Snapshot, reporting_timezone: str) -> tuple[str, date] | None:
    """The brand and month the page opens on; None for a snapshot without inbound messages.

    The month is the newest whose inbound messages cover it to its end (their newest
    message in its last days, `warehouse.partitions.covers_to_end`, the rule by which
    `webcare run` picks its report month), else the newest with inbound messages; the
    brand is the one with the most mentions that month (then the first key). The
    newest month of `dim_months` can hold complaints or prices only (the CFPB sample
    runs to March 2020, the twcs one stops on 3 December 2017), and the first brand
    of the list need have no mention at all: the page would open on empty tiles.
    """
    newest = snapshot.rows(
        "select reporting_month, max(created_at) from marts.fct_inbound_messages "
        "group by reporting_month"
    )
    if not newest:
        return None
    complete = [
        month
        for month, at in newest
        if covers_to_end(month.strftime(MONTH_FORMAT), reporting_day(at, reporting_timezone))
    ]
    month = max(complete or [month for month, _ in newest])
    most = snapshot.rows(
        "select brand from marts.fct_sentiment_monthly "
        "where reporting_month = $month and mentions > 0 order by mentions desc, brand limit 1",
        {"month": month},
    )
    return (most[0][0], month) if most else None


def kpi_tiles(snapshot: Snapshot, brand: str, month: date) -> list[Tile]:
    """The tiles of `brand` in `month`, one per `KPIS` entry, in that order.

    A brand-month without rows gives tiles without values.
    """
    columns = [
        f"{kpi.column}, sector_median_{kpi.column}, sector_rank_{kpi.column}" for kpi in KPIS
    ]
    rows = snapshot.rows(
        f"select sector_brands, {', '.join(columns)} from ({_KPI_ROWS}) "
        "where brand = $brand and reporting_month = $month",
        {"brand": brand, "month": month},
    )
    sector_brands, *values = rows[0] if rows else (None,) * (1 + 3 * len(KPIS))
    return [
        Tile(
            column=kpi.column,
            value=values[3 * index],
            sector_median=values[3 * index + 1],
            sector_rank=values[3 * index + 2],
            sector_brands=sector_brands,
        )
        for index, kpi in enumerate(KPIS)
    ]


def kpi_trends(snapshot: Snapshot, brand: str) -> "pd.DataFrame":
    """Every month of `brand`: ``reporting_month`` and, per KPI, ``<kpi>`` and
    ``sector_median_<kpi>``, oldest month first."""
    columns = ", ".join(f"{kpi.column}, sector_median_{kpi.column}" for kpi in KPIS)
    return snapshot.query(
        f"select reporting_month, {columns} from ({_KPI_ROWS}) "
        "where brand = $brand order by reporting_month",
        {"brand": brand},
    )


def response_summary(snapshot: Snapshot, brand: str, month: date) -> dict[str, float | None]:
    """Inbound, answered, median and p90 first response minutes of `brand` in `month`
    (fct_webcare_response_monthly); every value None for a brand-month without a row."""
    names = (
        "inbound_messages",
        "answered_messages",
        "median_first_response_minutes",
        "p90_first_response_minutes",
    )
    rows = snapshot.rows(
        f"select {', '.join(f'cast({name} as double)' for name in names)} "
        "from marts.fct_webcare_response_monthly "
        "where brand = $brand and reporting_month = $month",
        {"brand": brand, "month": month},
    )
    return dict(zip(names, rows[0] if rows else (None,) * len(names), strict=True))


def response_time_distribution(snapshot: Snapshot, brand: str, month: date) -> "pd.DataFrame":
    """Answered inbound messages of `brand` in `month` per `RESPONSE_TIME_BUCKETS` bucket
    of first response minutes: ``bucket``, ``messages``, in bucket order (empty buckets too)."""
    values = ", ".join(
        f"({order}, '{label}', {lower}, cast('{upper}' as double))"
        for order, (label, lower, upper) in enumerate(RESPONSE_TIME_BUCKETS)
    )
    return snapshot.query(
        f"""
        with buckets (bucket_order, bucket, lower_minutes, upper_minutes) as (
            values {values}
        ),
        answered as (
            select cast(first_response_minutes as double) as minutes
            from marts.fct_inbound_messages
            where brand = $brand and reporting_month = $month and is_answered
        )
        select buckets.bucket, count(answered.minutes) as messages
        from buckets
        left join answered
            on answered.minutes >= buckets.lower_minutes
            and answered.minutes < buckets.upper_minutes
        group by buckets.bucket_order, buckets.bucket
        order by buckets.bucket_order
        """,
        {"brand": brand, "month": month},
    )


def alerts(snapshot: Snapshot, month: date) -> "pd.DataFrame":
    """The negative-spike alerts of every brand in `month`: ``brand``, ``display_name``,
    ``alert_date``, ``negative_mentions``, ``alert_threshold``, ``baseline_mean`` and
    ``sigma`` (the threshold's standard deviations above the mean), by day."""
    return snapshot.query(
        """
        select alerts.brand, coalesce(brands.display_name, alerts.brand) as display_name,
            alerts.reporting_date as alert_date,
            cast(alerts.negative_mentions as double) as negative_mentions,
            cast(alerts.alert_threshold as double) as alert_threshold,
            cast(alerts.baseline_mean as double) as baseline_mean,
            cast(alerts.assumption_spike_sigma as double) as sigma
        from marts.fct_negative_spike_alerts as alerts
        left join marts.dim_brands as brands on alerts.brand = brands.brand
        where alerts.reporting_month = $month and alerts.is_alert
        order by alerts.reporting_date, alerts.brand
        """,
        {"month": month},
    )


def messages(snapshot: Snapshot, brand: str, month: date, key: str) -> "pd.DataFrame":
    """The inbound messages of `brand` in `month` behind the drill-down `key`, oldest first.

    Columns: ``posted_at``, ``author`` (the author's pseudonym), ``text`` (only when the
    snapshot publishes the message text), ``account``, ``sentiment``, ``addressed_via``,
    ``first_response_at``, ``first_response_minutes``,
    ``first_response_business_minutes``, ``promised_response_minutes``,
    ``within_promise``. One row per message and addressed account of the brand, as
    fct_webcare_response_monthly counts them.
    """
    choice = drill_down(key)
    text = "text," if "text" in message_columns(snapshot) else ""
    return snapshot.query(
        f"""
        select
            created_at as posted_at,
            author_id as author,
            {text}
            account_handle as account,
            sentiment_label as sentiment,
            addressed_via,
            first_response_at,
            cast(first_response_minutes as double) as first_response_minutes,
            cast(first_response_business_minutes as double) as first_response_business_minutes,
            cast(promised_response_minutes as double) as promised_response_minutes,
            is_within_promise as within_promise
        from marts.fct_inbound_messages
        where brand = $brand and reporting_month = $month and ({choice.condition})
        order by posted_at, author, account
        """,
        {"brand": brand, "month": month},
    )


def message_columns(snapshot: Snapshot) -> set[str]:
    """The columns of the published fct_inbound_messages."""
    return {
        name
        for (name,) in snapshot.rows(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'fct_inbound_messages' "
            "and table_catalog = current_database()"
        )
    }
