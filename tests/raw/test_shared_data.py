"""The adapters on the real third-party files in ../shared/data (exact row counts)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets.raw import derive_reference_files, index_landing
from assets.raw.adapters import IS_BRAND_ACCOUNT
from assets.raw.parsing import parse_landed_file
from warehouse.settings import Settings

pytestmark = pytest.mark.shared_data

TICKERS = (
    "AAL",
    "DAL",
    "LUV",
    "UAL",
    "ALK",
    "CMCSA",
    "VZ",
    "T",
    "CHTR",
    "AAPL",
    "AMZN",
    "BAC",
    "JPM",
    "WFC",
    "C",
    "AXP",
)


def _parse(path: Path, source: str, settings: Settings):
    return parse_landed_file(path, path.name, source, settings)


def test_twcs_sample_loads_all_5000_tweets(shared_data: Path, settings: Settings) -> None:
    parsed = _parse(shared_data / "twcs" / "twcs_random5000.csv", "mentions", settings)
    assert parsed.format == "twcs"
    assert parsed.rows.height == 5000
    assert parsed.rejected.height == 0
    assert parsed.rows.filter(pl.col(IS_BRAND_ACCOUNT)).height == 2282
    assert parsed.rows["mention_id"].n_unique() == 5000
    brands = parsed.rows.filter(pl.col(IS_BRAND_ACCOUNT))["brand"].unique()
    assert brands.len() == 100
    assert "americanair" in brands.to_list()


def test_cfpb_sample_loads_all_6623_complaints(shared_data: Path, settings: Settings) -> None:
    parsed = _parse(
        shared_data / "complaints" / "cfpb_complaints_sample.csv", "complaints", settings
    )
    assert parsed.format == "cfpb"
    assert parsed.rows.height == 6623
    assert parsed.rejected.height == 0
    channels = dict(parsed.rows.group_by("channel").len().iter_rows())
    assert channels == {"webform": 5143, "other": 729, "phone": 482, "letter": 267, "email": 2}
    banks = parsed.rows.filter(pl.col("brand").is_in(["ask_wellsfargo", "chasesupport", "askciti"]))
    assert dict(banks.group_by("brand").len().iter_rows()) == {
        "ask_wellsfargo": 174,
        "chasesupport": 162,
        "askciti": 152,
    }


@pytest.mark.parametrize("ticker", TICKERS)
def test_each_price_file_loads_1259_days(
    shared_data: Path, settings: Settings, ticker: str
) -> None:
    parsed = _parse(shared_data / "stocks" / f"{ticker}_data.csv", "stock_prices", settings)
    assert parsed.format == "daily_prices"
    assert parsed.rows.height == 1259
    assert parsed.rejected.height == 0
    assert parsed.rows["ticker"].unique().to_list() == [ticker]


def test_twcs_export_through_the_assets_with_derived_reference(
    shared_data: Path,
    settings: Settings,
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    export = shared_data / "twcs" / "twcs_random5000.csv"
    target = settings.landing_path / "mentions" / "imports" / export.name
    target.parent.mkdir(parents=True)
    shutil.copyfile(export, target)
    written = derive_reference_files("mentions", "twcs", [export], settings.landing_path)
    assert len(written) == 2

    materialise(
        [
            dg.AssetKey(["raw", "brands"]),
            dg.AssetKey(["raw", "webcare_accounts"]),
            dg.AssetKey(["raw", "webcare_account_opening_hours"]),
        ]
    )
    months = index_landing(settings, ["mentions"]).months("mentions")
    assert (months[0], months[-1], len(months)) == ("2015-02", "2017-12", 12)
    materialise(
        [dg.AssetKey(["raw", "mentions"])],
        tags={
            "dagster/asset_partition_range_start": months[0],
            "dagster/asset_partition_range_end": months[-1],
        },
    )
    assert query("select count(*), count(distinct mention_id) from raw.mentions") == [(5000, 5000)]
    assert query("select count(*) from raw.rejected_rows") == [(0,)]
    assert query("select count(*) from raw.webcare_accounts") == [(100,)]
    assert query("select count(*) from raw.mentions where is_brand_account") == [(2282,)]
    assert query(
        "select count(*) from raw.mentions where is_brand_account "
        "and author_id not in (select handle from raw.webcare_accounts)"
    ) == [(0,)]
    assert query(
        "select count(*) from raw.mentions "
        "where not is_brand_account and not regexp_matches(author_id, '^p_[0-9a-f]{16}$')"
    ) == [(0,)]
    assert query("select sector, ticker from raw.brands where brand = 'ask_wellsfargo'") == [
        ("bank", "WFC")
    ]
