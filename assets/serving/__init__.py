"""Serving: what BI tools and managers read.

A read-only DuckDB snapshot of the marts, one Parquet file per mart, and the
monthly HTML report, all under ``settings.published_dir``. Nothing here reads
files or settings at import time.
"""

from collections.abc import Mapping, Sequence
from pathlib import Path

import dagster as dg

from assets.serving.publish import (
    PUBLISH_KEY,
    REPORT_DIR,
    build_publish_asset,
    parquet_dir,
    snapshot_path,
)
from assets.serving.report import REPORT_KEY, build_report_asset, write_report
from warehouse.settings import Settings

__all__ = ["PUBLISH_KEY", "REPORT_KEY", "build_serving_assets", "published_paths", "write_report"]


def build_serving_assets(
    partitions_def: dg.PartitionsDefinition,
    mart_keys: list[dg.AssetKey],
    pseudonymised: Mapping[str, Sequence[str]] | None = None,
) -> list[dg.AssetsDefinition]:
    """The publish asset (downstream of every mart in `mart_keys`, publishing the
    `pseudonymised` columns as keyed pseudonyms) and the monthly report asset."""
    return [build_publish_asset(mart_keys, pseudonymised), build_report_asset(partitions_def)]


def published_paths(settings: Settings) -> dict[str, Path]:
    """Where readers find the outputs: ``snapshot`` file, ``parquet`` and ``report`` folders."""
    published = settings.published_path
    return {
        "snapshot": snapshot_path(published),
        "parquet": parquet_dir(published),
        "report": published / REPORT_DIR,
    }
