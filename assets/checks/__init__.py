"""Dagster asset checks on the boundary assets: Great Expectations suites, and freshness.

- ``raw/<source>`` : ``gx_expectations`` (blocking) for every raw table,
  ``volume_anomaly`` (warn only) on ``raw/mentions`` and ``raw/complaints``, and
  ``source_freshness`` (warn only, plain Python: the newest month against the
  calendar) on every monthly source;
- ``scores/mention_sentiment``, ``scores/nps_comment_sentiment``: ``gx_expectations`` (blocking);
- ``marts/<model>``: ``gx_expectations`` (blocking, so a failed mart is not published).

A check on a monthly asset validates the months of its run (the partition key,
or every key of a single-run range). Building the checks imports nothing heavy:
Great Expectations is imported when a check runs.
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from assets.checks._running import GX_CHECK_NAME, VOLUME_CHECK_NAME
from assets.checks.freshness import FRESHNESS_CHECK_NAME, build_freshness_checks
from assets.checks.marts import build_mart_checks
from assets.checks.raw import build_raw_checks
from assets.checks.scores import build_score_checks
from assets.checks.volume import build_volume_checks

__all__ = ["FRESHNESS_CHECK_NAME", "GX_CHECK_NAME", "VOLUME_CHECK_NAME", "build_asset_checks"]


def build_asset_checks(
    partitions_def: dg.PartitionsDefinition,
    mart_grains: Mapping[str, tuple[str, ...]],
) -> list[dg.AssetChecksDefinition]:
    """Every asset check: Great Expectations on raw and scores (blocking, per run months),
    volume anomalies and source freshness (warn only), and one blocking check per mart of
    `mart_grains` (mart name -> its key columns, from the dbt manifest:
    `assets.dbt.mart_primary_keys`)."""
    return [
        *build_raw_checks(partitions_def),
        *build_volume_checks(partitions_def),
        *build_freshness_checks(),
        *build_score_checks(partitions_def),
        *build_mart_checks(mart_grains),
    ]
