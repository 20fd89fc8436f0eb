"""Warn-only checks: a brand's monthly mention or complaint volume against its trailing year."""

import dagster as dg

from assets.checks import _reading
from assets.checks._running import VOLUME_CHECK_NAME, asset_check, report, run_window, session
from warehouse.resource import WAREHOUSE_POOL, WarehouseResource
from warehouse.settings import Settings

VOLUME_SOURCES = ("mentions", "complaints")
# Enough to name every anomalous brand-month of a run in the check's metadata.
MAX_LISTED_ANOMALIES = 50


def build_volume_checks(
    partitions_def: dg.PartitionsDefinition,
) -> list[dg.AssetChecksDefinition]:
    """A non-blocking volume check on ``raw/mentions`` and ``raw/complaints``."""
    return [_volume_check(source, partitions_def) for source in VOLUME_SOURCES]


def _volume_check(source: str, partitions_def: dg.PartitionsDefinition) -> dg.AssetChecksDefinition:
    table = f"raw.{source}"

    @asset_check(
        partitions_def,
        asset=dg.AssetKey(["raw", source]),
        name=VOLUME_CHECK_NAME,
        description=f"Warns when a brand's monthly {source} volume falls outside its trailing "
        "twelve months' range stretched by settings.volume_anomaly_factor (an export that "
        "lost rows must not pass as a quiet month).",
        blocking=False,
        pool=WAREHOUSE_POOL,
    )
    def check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, settings: Settings
    ) -> dg.AssetCheckResult:
        from expectations.runner import check_result, data_docs_index
        from expectations.suites import volume

        window = run_window(context, settings)
        factor = settings.volume_anomaly_factor
        with warehouse.connect() as conn:
            counts, loaded = _reading.monthly_volumes(
                conn, table, volume.history_start(window), window.last
            )
        frame = volume.prepare(counts, loaded, window, factor)
        outcome = session(context, settings).validate(
            frame,
            volume.build_suite(table, factor),
            label=window.label,
            index_columns=("brand", "month", "trailing_min", "trailing_max"),
            examples=MAX_LISTED_ANOMALIES,
        )
        anomalies = sorted(
            {
                f"{e['brand']} {str(e['month'])[:7]}: {e['volume']} "
                f"(trailing 12 months {e['trailing_min']}..{e['trailing_max']})"
                for failure in outcome.failures
                for e in failure.examples
            }
        )
        result = check_result(
            [outcome],
            metadata={
                "months": window.label,
                "factor": factor,
                "anomalous_brand_months": dg.MetadataValue.json(anomalies),
            },
            docs_index=data_docs_index(settings),
        )
        return report(context, result)

    return check
