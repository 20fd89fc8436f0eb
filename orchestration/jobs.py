"""Jobs: what a run materialises, by asset group."""

from __future__ import annotations

import dagster as dg

RAW = dg.AssetSelection.groups("raw")
SCORES = dg.AssetSelection.groups("scores")
REFERENCE = dg.AssetSelection.assets(
    ["raw", "brands"], ["raw", "webcare_accounts"], ["raw", "webcare_account_opening_hours"]
)
# Every dbt model: one asset group per dbt schema (the MetricFlow time spine in `semantic`).
MARTS = dg.AssetSelection.groups("staging", "intermediate", "marts", "semantic")
PUBLISHED = dg.AssetSelection.groups("published")


def build_jobs() -> dict[str, dg.UnresolvedAssetJobDefinition]:
    """The warehouse's jobs, keyed by name (partitioning follows the selected assets).

    - `load_reference`: brands and webcare accounts (unpartitioned reference data).
    - `load_raw`: reference data and the raw landing loaders for a month.
    - `load_and_score`: raw loaders and sentiment scoring for a month or a range
      (the first half of `webcare run`, one run for all months).
    - `publish_marts`: dbt build, checks, snapshot, Parquet and the month's report.
    - `monthly_research`: all of it for one month: the monthly schedule runs it.
    """
    return {
        "load_reference": dg.define_asset_job(
            "load_reference",
            selection=REFERENCE,
            description="Load the reference data (brands, webcare accounts and opening hours).",
        ),
        "load_raw": dg.define_asset_job(
            "load_raw",
            selection=RAW,
            description="Load a month of landing files into raw.*, with every refused row "
            "in raw.rejected_rows.",
        ),
        "load_and_score": dg.define_asset_job(
            "load_and_score",
            selection=RAW | SCORES,
            description="Load landing files and score new texts for a month or a range of months.",
        ),
        "publish_marts": dg.define_asset_job(
            "publish_marts",
            selection=MARTS | PUBLISHED,
            description="Build and test the dbt marts, then publish the snapshot, Parquet files "
            "and the month's report.",
        ),
        "monthly_research": dg.define_asset_job(
            "monthly_research",
            selection=RAW | SCORES | MARTS | PUBLISHED,
            description="The continuous-research cycle for one month: raw -> scores -> marts "
            "-> checks -> publish.",
        ),
    }
