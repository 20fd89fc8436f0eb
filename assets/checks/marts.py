"""Blocking Great Expectations checks on the published marts (``marts.*``).

They run after dbt has built the marts and before the publish asset, which
depends on every mart: an error-level failure stops the publication, so BI
tools keep reading the previous, checked snapshot.
"""

from collections.abc import Sequence

import dagster as dg

from assets.checks import _reading
from assets.checks._running import GX_CHECK_NAME, report, session
from warehouse.resource import WAREHOUSE_POOL, WarehouseResource
from warehouse.settings import Settings

MARTS_SCHEMA = "marts"
# The KPI marts of KPI_DEFINITIONS.md and the dimensions (issue 4).
DEFAULT_MARTS = (
    "dim_brands",
    "dim_months",
    "dim_webcare_accounts",
    "fct_sentiment_monthly",
    "fct_inbound_messages",
    "fct_webcare_response_monthly",
    "fct_complaint_channels_monthly",
    "fct_nps_monthly",
    "fct_sentiment_nps_monthly",
    "fct_sentiment_nps_correlation",
    "fct_sentiment_stock_monthly",
    "fct_sentiment_stock_correlation",
    "fct_webcare_roi_monthly",
    "fct_brand_benchmark_monthly",
    "fct_negative_spike_alerts",
    "fct_repeat_complainers_monthly",
)


def build_mart_checks(
    mart_keys: Sequence[dg.AssetKey] | None = None,
) -> list[dg.AssetChecksDefinition]:
    """One blocking check per mart key (``marts/<model>``); default: every mart of issue 4."""
    keys = (
        list(mart_keys)
        if mart_keys is not None
        else [dg.AssetKey([MARTS_SCHEMA, m]) for m in DEFAULT_MARTS]
    )
    return [_mart_check(key) for key in keys]


def _mart_check(key: dg.AssetKey) -> dg.AssetChecksDefinition:
    mart = key.path[-1]
    relation = f"{MARTS_SCHEMA}.{mart}"

    @dg.asset_check(
        asset=key,
        name=GX_CHECK_NAME,
        description=f"Great Expectations on the published {relation}: value domains by column "
        "naming convention and the brand-month spine covered. An error-level "
        "failure stops the publication.",
        blocking=True,
        pool=WAREHOUSE_POOL,
    )
    def check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, settings: Settings
    ) -> dg.AssetCheckResult:
        from expectations.runner import check_result, data_docs_index
        from expectations.suites import marts

        with warehouse.connect() as conn:
            frame = _reading.read_table(conn, relation)
            spine = None
            if marts.needs_spine(mart, frame.columns):
                spine = _reading.brand_month_spine(
                    conn,
                    f"{MARTS_SCHEMA}.{marts.SPINE_MONTHS}",
                    f"{MARTS_SCHEMA}.{marts.SPINE_BRANDS}",
                )
        if spine is not None:
            frame = marts.spine_flags(frame, spine)
        key_columns = marts.key_of(mart, frame.columns) or ()
        outcome = session(context, settings).validate(
            frame,
            marts.build_suite(mart, dict(frame.dtypes), spine=spine is not None),
            label="all",
            index_columns=key_columns,
        )
        return report(
            context,
            check_result([outcome], docs_index=data_docs_index(settings)),
        )

    return check
