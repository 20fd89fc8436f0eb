"""Every query the monthly report runs, all against the published snapshot.

`read_report_data` reads, once, all the mart rows one month's page needs;
`months_with_data` says which months a report can be about. Nothing here draws
or formats.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from assets.serving.snapshot import Snapshot

if TYPE_CHECKING:
    import pandas as pd

# The traditional complaint channels of fct_complaint_channels_monthly (`<channel>_complaints`).
TRADITIONAL_CHANNELS = ("phone", "email", "letter", "webform", "store", "other")

# The brand-months with data: the customer's voice (mentions, complaints, NPS answers)
# was heard. Share prices alone do not make one. A report is about a month that has
# one; its glance table and the console summary list the brands that have one.
BRAND_MONTHS_WITH_DATA = """
    select brand, reporting_month from marts.fct_sentiment_monthly where mentions > 0
    union
    select brand, reporting_month from marts.fct_complaint_channels_monthly
    where traditional_complaints > 0
    union
    select brand, reporting_month from marts.fct_nps_monthly where responses > 0
"""

_MONTHS_WITH_DATA = f"""
    select distinct reporting_month from ({BRAND_MONTHS_WITH_DATA}) order by reporting_month
"""
# The brands with data in the month `$month` (its first day).
BRANDS_WITH_DATA = f"""
    select distinct brand from ({BRAND_MONTHS_WITH_DATA}) where reporting_month = $month
"""

_BRANDS = """
    select brand, coalesce(display_name, brand) as display_name,
        coalesce(sector, 'unassigned') as sector
    from marts.dim_brands
    order by sector, brand
"""

# Queries filter on the report month (first day) through the parameter `$month`.
_QUERIES: dict[str, str] = {
    "sentiment": """
        select brand, reporting_month as month, mentions, positive, neutral, negative,
            share_positive, share_neutral, share_negative, net_sentiment, share_of_voice,
            is_low_volume,
            share_negative_adjusted, share_negative_adjusted_lower_95,
            share_negative_adjusted_upper_95,
            share_neutral_adjusted, share_neutral_adjusted_lower_95,
            share_neutral_adjusted_upper_95,
            share_positive_adjusted, share_positive_adjusted_lower_95,
            share_positive_adjusted_upper_95,
            net_sentiment_adjusted, calibrated_messages, sentiment_calibration
        from marts.fct_sentiment_monthly
        where reporting_month between $month - interval 11 month and $month
    """,
    "response": """
        select brand, inbound_messages, answered_messages, response_rate,
            median_first_response_minutes, p90_first_response_minutes, sla_attainment
        from marts.fct_webcare_response_monthly
        where reporting_month = $month
    """,
    "first_responses": """
        select brand, account_handle, first_response_minutes, promised_response_minutes,
            is_promise_in_business_minutes
        from marts.fct_inbound_messages
        where reporting_month = $month
    """,
    "complaints": f"""
        select brand, traditional_complaints,
            {", ".join(f"{channel}_complaints" for channel in TRADITIONAL_CHANNELS)},
            online_complaints, complaint_to_online_ratio, channel_escalation_rate
        from marts.fct_complaint_channels_monthly
        where reporting_month = $month
    """,
    "nps": """
        select brand, responses, nps, nps_margin_of_error_95, is_low_sample
        from marts.fct_nps_monthly
        where reporting_month = $month
    """,
    # Only the brand-months the correlation mart uses, so the chart shows what r measures.
    "sentiment_nps": """
        select brand, reporting_month as month, net_sentiment, nps
        from marts.fct_sentiment_nps_monthly
        where reporting_month <= $month and not is_low_volume and not is_low_sample
            and net_sentiment is not null and nps is not null
    """,
    "sentiment_nps_correlation": """
        select scope_type, scope, lag_months, n_brand_months, pearson_r,
            pearson_r_ci_lower_95, pearson_r_ci_upper_95
        from marts.fct_sentiment_nps_correlation
    """,
    "sentiment_stock": """
        select brand, reporting_month as month, net_sentiment, monthly_return
        from marts.fct_sentiment_stock_monthly
        where reporting_month <= $month and is_listed and not is_low_volume
            and net_sentiment is not null and monthly_return is not null
    """,
    "sentiment_stock_correlation": """
        select scope_type, scope, lag_months, n_brand_months, pearson_r,
            pearson_r_ci_lower_95, pearson_r_ci_upper_95
        from marts.fct_sentiment_stock_correlation
        where correlation_kind = 'time_series' and sentiment_measure = 'net_sentiment'
            and outcome_measure = 'monthly_return'
    """,
    "market_cap_correlation": """
        select n_brand_months, pearson_r
        from marts.fct_sentiment_stock_correlation
        where correlation_kind = 'cross_section' and outcome_measure = 'market_cap'
            and sentiment_measure = 'net_sentiment' and scope_type = 'all'
            and reporting_month = $month
    """,
    "roi": """
        select * from marts.fct_webcare_roi_monthly where reporting_month = $month
    """,
    "alerts": """
        select brand, reporting_date as alert_date, negative_mentions, alert_threshold
        from marts.fct_negative_spike_alerts
        where reporting_month = $month and is_alert
    """,
    "repeat": """
        select brand, negative_mentions, repeat_complainers, share_of_negative_volume
        from marts.fct_repeat_complainers_monthly
        where reporting_month = $month
    """,
    "benchmark": """
        select * from marts.fct_brand_benchmark_monthly where reporting_month = $month
    """,
    "brands_with_data": BRANDS_WITH_DATA,
}


@dataclass
class ReportData:
    """The marts' rows the report needs, read once from the snapshot for one month."""

    month: date
    source: str
    published_at: datetime | None
    brands: "pd.DataFrame"
    frames: dict[str, "pd.DataFrame"]

    def frame(self, name: str) -> "pd.DataFrame":
        """The rows read for `name` (see `_QUERIES`)."""
        return self.frames[name]

    @property
    def label(self) -> str:
        """The month as managers say it, e.g. ``June 2011``."""
        return self.month.strftime("%B %Y")


def months_with_data(snapshot: Snapshot) -> list[str]:
    """``YYYY-MM`` of every month with mentions, complaints or NPS answers in the marts."""
    return [month.strftime("%Y-%m") for (month,) in snapshot.rows(_MONTHS_WITH_DATA)]


def read_report_data(snapshot: Snapshot, month: date) -> ReportData:
    """Read every mart row the report for `month` (its first day) needs from `snapshot`."""
    frames = {
        name: snapshot.query(sql, {"month": month} if "$month" in sql else None)
        for name, sql in _QUERIES.items()
    }
    return ReportData(
        month=month,
        source=snapshot.description,
        published_at=snapshot.published_at(),
        brands=snapshot.query(_BRANDS),
        frames=frames,
    )
