"""Blocking Great Expectations checks on the sentiment scores (what the model wrote)."""

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from assets.checks import _reading
from assets.checks._running import GX_CHECK_NAME, asset_check, report, run_window, session
from assets.sentiment.scoring import MENTION_SENTIMENT_KEY, NPS_COMMENT_SENTIMENT_KEY
from expectations.window import MonthWindow
from warehouse.resource import WAREHOUSE_POOL, WarehouseResource
from warehouse.settings import Settings

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class ScoreTable:
    """A score asset, how its months are read, and the suite module that checks them."""

    asset: dg.AssetKey
    read: Callable[[duckdb.DuckDBPyConnection, MonthWindow], "pd.DataFrame"]
    suite_module: str
    description: str


SCORE_TABLES = (
    ScoreTable(
        MENTION_SENTIMENT_KEY,
        _reading.mention_scores,
        "expectations.suites.scores_mention_sentiment",
        "Great Expectations on scores.mention_sentiment: valid probabilities, "
        "label = arg-max, exactly one score per inbound mention of the month, labels "
        "not collapsed (warn).",
    ),
    ScoreTable(
        NPS_COMMENT_SENTIMENT_KEY,
        _reading.nps_comment_scores,
        "expectations.suites.scores_nps_comment_sentiment",
        "Great Expectations on scores.nps_comment_sentiment: valid probabilities, "
        "label = arg-max, exactly one score per NPS response with a comment.",
    ),
)


def build_score_checks(
    partitions_def: dg.PartitionsDefinition,
) -> list[dg.AssetChecksDefinition]:
    """One blocking check per score table, for the run's months."""
    return [_score_check(table, partitions_def) for table in SCORE_TABLES]


def _score_check(
    scores: ScoreTable, partitions_def: dg.PartitionsDefinition
) -> dg.AssetChecksDefinition:
    @asset_check(
        partitions_def,
        asset=scores.asset,
        name=GX_CHECK_NAME,
        description=scores.description,
        blocking=True,
        pool=WAREHOUSE_POOL,
    )
    def check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, settings: Settings
    ) -> dg.AssetCheckResult:
        from expectations.runner import check_result, data_docs_index
        from expectations.suites import _sentiment

        suites = importlib.import_module(scores.suite_module)
        window = run_window(context, settings)
        with warehouse.connect() as conn:
            frame = scores.read(conn, window)
        prepared = suites.prepare(frame)
        outcome = session(context, settings).validate(
            prepared,
            suites.build_suite(_sentiment.class_share_floor(prepared)),
            label=window.label,
            index_columns=suites.KEY,
        )
        return report(
            context,
            check_result(
                [outcome], metadata={"months": window.label}, docs_index=data_docs_index(settings)
            ),
        )

    return check
