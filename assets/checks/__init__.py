"""Dagster asset checks that run the Great Expectations suites on the boundary assets.

- ``raw/<source>`` : ``gx_expectations`` (blocking) for every raw table, and
  ``volume_anomaly`` (warn only) on ``raw/mentions`` and ``raw/complaints``;
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
from assets.checks.marts import build_mart_checks
from assets.checks.raw import build_raw_checks
from assets.checks.scores import build_score_checks
from assets.checks.volume import build_volume_checks

__all__ = ["GX_CHECK_NAME", "VOLUME_CHECK_NAME", "build_asset_checks"]


def build_asset_checks(
    partitions_def: dg.PartitionsDefinition,
    mart_grains: Mapping[str, tuple[str, ...]],
) -> list[dg.AssetChecksDefinition]:
    """Every Great Expectations check: raw and scores (blocking, per run months), volume
    anomalies (warn only), and one blocking check per mart of `mart_grains` (mart name ->
    its key columns, from the dbt manifest: `assets.dbt.mart_primary_keys`)."""
    return [
        *build_raw_checks(partitions_def),
        *build_volume_checks(partitions_def),
        *build_score_checks(partitions_def),
        *build_mart_checks(mart_grains),
    ]
