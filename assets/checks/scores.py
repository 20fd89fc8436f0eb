"""Blocking Great Expectations checks on the sentiment scores (what the model wrote)."""

from types import ModuleType
from typing import Any

import dagster as dg

from assets.checks import _reading
from assets.checks._running import GX_CHECK_NAME, asset_check, report, run_window, session
from orchestration.resources import WAREHOUSE_POOL, WarehouseResource
from orchestration.settings import Settings

MENTION_SENTIMENT = dg.AssetKey(["scores", "mention_sentiment"])
NPS_COMMENT_SENTIMENT = dg.AssetKey(["scores", "nps_comment_sentiment"])


def build_score_checks(
    partitions_def: dg.PartitionsDefinition,
) -> list[dg.AssetChecksDefinition]:
    """One blocking check per score table, for the run's months."""

    @asset_check(
        partitions_def,
        asset=MENTION_SENTIMENT,
        name=GX_CHECK_NAME,
        description="Great Expectations on scores.mention_sentiment: valid probabilities, "
        "label = arg-max, exactly one score per inbound mention of the month, labels "
        "not collapsed (warn).",
        blocking=True,
        pool=WAREHOUSE_POOL,
    )
    def mention_sentiment_check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, settings: Settings
    ) -> dg.AssetCheckResult:
        from expectations.suites import scores_mention_sentiment as suites

        window = run_window(context, settings)
        with warehouse.connect() as conn:
            frame = _reading.mention_scores(conn, window)
        return _validate(context, settings, suites, frame, window.label)

    @asset_check(
        partitions_def,
        asset=NPS_COMMENT_SENTIMENT,
        name=GX_CHECK_NAME,
        description="Great Expectations on scores.nps_comment_sentiment: valid probabilities, "
        "label = arg-max, exactly one score per NPS response with a comment.",
        blocking=True,
        pool=WAREHOUSE_POOL,
    )
    def nps_comment_sentiment_check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, settings: Settings
    ) -> dg.AssetCheckResult:
        from expectations.suites import scores_nps_comment_sentiment as suites

        window = run_window(context, settings)
        with warehouse.connect() as conn:
            frame = _reading.nps_comment_scores(conn, window)
        return _validate(context, settings, suites, frame, window.label)

    return [mention_sentiment_check, nps_comment_sentiment_check]


def _validate(
    context: dg.AssetCheckExecutionContext,
    settings: Settings,
    suites: ModuleType,
    frame: Any,
    label: str,
) -> dg.AssetCheckResult:
    """Run a score suite module (`prepare`, `build_suite`, `KEY`) on the frame of the months."""
    from expectations.runner import check_result, data_docs_index
    from expectations.suites import _sentiment

    prepared = suites.prepare(frame)
    outcome = session(context, settings).validate(
        prepared,
        suites.build_suite(_sentiment.class_share_floor(prepared)),
        label=label,
        index_columns=suites.KEY,
    )
    return report(
        context,
        check_result([outcome], metadata={"months": label}, docs_index=data_docs_index(settings)),
    )
