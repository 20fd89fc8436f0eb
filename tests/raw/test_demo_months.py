"""Three months of the small demo load as truth.json says: rows, refusals and their lines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import dagster as dg
import pytest

from demo import generate
from warehouse.settings import Settings

REFERENCE = (
    dg.AssetKey(["raw", "brands"]),
    dg.AssetKey(["raw", "webcare_accounts"]),
    dg.AssetKey(["raw", "webcare_account_opening_hours"]),
)
MONTHLY = tuple(
    dg.AssetKey(["raw", source])
    for source in ("mentions", "complaints", "nps_responses", "stock_prices")
)
REASON_STARTS = {
    "missing_required": "required value is missing",
    "unparsable_timestamp": "cannot parse",
    "duplicate_id": "duplicate",
    "score_out_of_range": "is outside 0..10",
    "non_positive_close": "must be greater than 0",
}


@pytest.fixture
def truth(settings: Settings) -> dict:
    """The small demo, three months, written into the test home."""
    return generate(
        settings.landing_path,
        settings.home_path / "truth.json",
        size="small",
        months=3,
        reporting_timezone=settings.reporting_timezone,
    )


def test_demo_months_load_as_planted(
    truth: dict,
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    months = truth["months"]
    assert months == ["2010-01", "2010-02", "2010-03"]
    materialise(REFERENCE)
    result = materialise(
        MONTHLY,
        tags={
            "dagster/asset_partition_range_start": months[0],
            "dagster/asset_partition_range_end": months[-1],
        },
    )

    for source, expected in truth["reference_counts"].items():
        assert query(f"select count(*) from raw.{source}") == [(expected["loaded"],)], source
    assert query("select count(*) from raw.rejected_rows where partition_month is null") == [(0,)]

    duplicates = {
        event.asset_key.path[-1]: {
            row["month"]: row["duplicates_dropped"]
            for row in event.materialization.metadata["per_month_counts"].value
        }
        for event in result.get_asset_materialization_events()
    }
    for source, by_month in truth["expected_counts"].items():
        for month, expected in by_month.items():
            first_day = date.fromisoformat(f"{month}-01")
            loaded = query(
                f"select count(*) from raw.{source} where partition_month = ?", [first_day]
            )
            rejected = query(
                "select count(*) from raw.rejected_rows where source = ? and partition_month = ?",
                [source, first_day],
            )
            where = f"{source} {month}"
            assert loaded == [(expected["loaded"],)], where
            assert rejected == [(expected["rejected"],)], where
            assert duplicates[source][month] == expected["identical_duplicates"], where

    refused = query('select source, file, line, "column", reason from raw.rejected_rows')
    planted = {
        (row["source"], row["file"], row["line"], row["column"]): row["reason"]
        for row in truth["bad_rows"]
    }
    assert {row[:4] for row in refused} == set(planted)
    for source, file, line, column, reason in refused:
        assert REASON_STARTS[planted[(source, file, line, column)]] in reason, (file, line, reason)

    dst_ids = [row["mention_id"] for row in truth["dst_rows"]]
    stored = dict(
        query(
            "select mention_id, strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') from raw.mentions "
            "where list_contains(?, mention_id)",
            [dst_ids],
        )
    )
    assert stored == {row["mention_id"]: row["utc"] for row in truth["dst_rows"]}
