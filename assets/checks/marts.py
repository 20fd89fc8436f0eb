"""Blocking Great Expectations checks on the published marts (``marts.*``).

They run after dbt has built the marts and before the publish asset, which
depends on every mart: an error-level failure stops the publication, so BI
tools keep reading the previous, checked snapshot.
"""

from collections.abc import Mapping

import dagster as dg

from assets.checks import _reading
from assets.checks._running import GX_CHECK_NAME, report, session
from warehouse.resource import WAREHOUSE_POOL, WarehouseResource
from warehouse.settings import Settings

MARTS_SCHEMA = "marts"


def build_mart_checks(
    mart_grains: Mapping[str, tuple[str, ...]],
) -> list[dg.AssetChecksDefinition]:
    """One blocking check per mart (``marts/<model>``) of `mart_grains`: mart name -> the
    columns of its grain, which name an offending row in the check's report (the dbt
    manifest's list of marts and their primary keys: `assets.dbt.mart_primary_keys`)."""
    return [_mart_check(mart, key) for mart, key in mart_grains.items()]


def _mart_check(mart: str, key_columns: tuple[str, ...]) -> dg.AssetChecksDefinition:
    key = dg.AssetKey([MARTS_SCHEMA, mart])
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
