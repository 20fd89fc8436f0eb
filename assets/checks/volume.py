"""Warn-only checks: a brand's monthly mention or complaint volume against its trailing year."""

from datetime import date, datetime

import dagster as dg

from assets.checks import _reading
from assets.checks._running import VOLUME_CHECK_NAME, asset_check, report, run_window, session
from warehouse.partitions import MONTH_FORMAT, covers_to_end, month_end, reporting_day
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
            newest_month, newest_at = _reading.newest_row(conn, source)
        cut_short = _cut_short(source, newest_month, newest_at, settings.reporting_timezone)
        frame = volume.prepare(counts, loaded, window, factor, newest_month)
        outcome = session(context, settings).validate(
            frame,
            volume.build_suite(table, factor),
            label=window.label,
            index_columns=("brand", "month", "trailing_min", "trailing_max"),
            examples=MAX_LISTED_ANOMALIES,
        )
        examples = [e for failure in outcome.failures for e in failure.examples]
        # a note on the anomalies of a newest month that stops short of its end
        cut_month, cut_note = cut_short or ("", "")
        anomalies = sorted(
            {
                f"{e['brand']} {str(e['month'])[:7]}: {e['volume']} "
                f"(trailing 12 months {e['trailing_min']}..{e['trailing_max']})"
                + (f"; {cut_note}" if str(e["month"])[:7] == cut_month else "")
                for e in examples
            }
        )
        flagged = any(str(e["month"])[:7] == cut_month for e in examples)
        result = check_result(
            [outcome],
            metadata={
                "months": window.label,
                "factor": factor,
                "anomalous_brand_months": dg.MetadataValue.json(anomalies),
            },
            docs_index=data_docs_index(settings),
            note=cut_note if flagged else None,
        )
        return report(context, result)

    return check


def _cut_short(
    source: str, month: date | None, newest: datetime | None, timezone: str
) -> tuple[str, str] | None:
    """The newest month of `source` (``YYYY-MM``) and a note, when that month's rows,
    the newest at `newest`, do not run to its end (`warehouse.partitions.covers_to_end`,
    the rule of the report month): a low volume there may be an export that stops,
    not rows that were lost."""
    if month is None or newest is None:
        return None
    key = month.strftime(MONTH_FORMAT)
    day = reporting_day(newest, timezone)
    if covers_to_end(key, day):
        return None
    days = (month_end(key) - day).days
    return key, (
        f"the {source} of {key} end on {day}, {days} days before the month does: "
        "an export that stops there, or rows lost"
    )
