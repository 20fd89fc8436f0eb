"""Bad rows in a landed file: refused at load, never blocking a run (issue 11, point 4).

A 1 MB text, a price whose high is below its low and a date in 2099 used to
reach raw, fail the blocking check there and block every later run until
someone edited the warehouse; the 2099 date also opened a partition per month
up to it. Now the loader refuses them into raw.rejected_rows by the same rule
as the check (`expectations.rules`), the run goes on, and the next one too.

The runs before and after the bad files land are the raw assets and their
blocking checks in process (what the rows can block); the run with the bad
files is the real `webcare run`, the one whose exit status users see.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from assets.checks.raw import build_raw_checks
from assets.raw import build_raw_assets
from assets.raw.landing import index_landing
from assets.raw.pseudonymise import pseudonymise
from demo import generate
from expectations.rules import latest_instant
from orchestration import commands
from orchestration.instance import open_instance
from warehouse.partitions import monthly_partitions
from warehouse.resource import WarehouseResource
from warehouse.settings import PARTITIONED_SOURCES as MONTHLY_SOURCES
from warehouse.settings import REFERENCE_SOURCES, Settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

DEMO_MONTHS = ["2010-01", "2010-02", "2010-03"]
MENTIONS_FILE = "mentions/faults/2010-02/bad.jsonl"
PRICES_FILE = "stock_prices/faults/2010-02/prices.csv"
ONE_MB = 1_000_000
GOOD_MENTIONS = 60
TRADING_DAYS = [date(2010, 2, 1) + timedelta(days=i) for i in range(28)]
TRADING_DAYS = [day for day in TRADING_DAYS if day.weekday() < 5]


def raw_run(settings: Settings) -> list[dg.ExecuteInProcessResult]:
    """The raw assets and their blocking checks for the demo months, in process."""
    partitions = monthly_partitions(settings)
    definitions = [*build_raw_assets(partitions), *build_raw_checks(partitions)]
    resources = {
        "warehouse": WarehouseResource(database=settings.duckdb_path),
        "settings": settings,
    }
    reference = [dg.AssetKey(["raw", source]) for source in REFERENCE_SOURCES]
    reference.append(dg.AssetKey(["raw", "webcare_account_opening_hours"]))
    monthly = [dg.AssetKey(["raw", source]) for source in MONTHLY_SOURCES]
    return [
        dg.materialize(
            definitions,
            selection=dg.AssetSelection.assets(*reference),
            resources=resources,
            raise_on_error=False,
        ),
        dg.materialize(
            definitions,
            selection=dg.AssetSelection.assets(*monthly),
            tags=commands.range_tags(DEMO_MONTHS[0], DEMO_MONTHS[-1]),
            resources=resources,
            raise_on_error=False,
        ),
    ]


def failed_checks(results: list[dg.ExecuteInProcessResult]) -> list[str]:
    """Every failed check of the runs, as ``asset:check``; fails the test if no check ran."""
    evaluations = [e for result in results for e in result.get_asset_check_evaluations()]
    assert len(evaluations) >= 6
    return [f"{e.asset_key.to_user_string()}:{e.check_name}" for e in evaluations if not e.passed]


def land_bad_files(landing: Path) -> None:
    """A mentions file and a prices file, each with bad rows among enough good ones to stay
    under the 5% reject threshold of a file."""
    mentions = [
        {
            "mention_id": f"fault-{i}",
            "platform": "forum",
            "created_at": f"2010-02-{1 + i % 27:02d}T10:00:00Z",
            "author_id": f"forum_user_{i}",
            "text": "Vandaag weer geen bereik in de trein",
        }
        for i in range(GOOD_MENTIONS)
    ]
    mentions.append({**mentions[0], "mention_id": "fault-long", "text": "x" * ONE_MB})
    mentions.append(
        {**mentions[0], "mention_id": "fault-2099", "created_at": "2099-06-01T10:00:00Z"}
    )
    path = landing / MENTIONS_FILE
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in mentions))

    lines = ["ticker,date,open,high,low,close,volume,currency"]
    for ticker in ("FLTA", "FLTB"):
        lines += [f"{ticker},{day},10,11,9,10.5,1000,EUR" for day in TRADING_DAYS]
    lines.append("FLTA,2010-02-27,10,9,10,9.5,1000,EUR")
    lines.append("FLTA,2099-01-05,10,11,9,10.5,1000,EUR")
    path = landing / PRICES_FILE
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(lines) + "\n")


def query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_bad_rows_are_refused_at_load_and_never_block_a_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_cache_dir: Path
) -> None:
    home = tmp_path / "home"
    generate(home / "landing", home / "truth.json", seed=7, size="small", months=3)
    monkeypatch.setenv("WEBCARE_MODEL_CACHE_DIR", str(model_cache_dir))
    settings = Settings.from_env(home)
    assert failed_checks(raw_run(settings)) == []

    land_bad_files(settings.landing_path)
    assert commands.run(home=str(home)) == 0

    assert query(
        settings,
        'select file, line, "column", reason, partition_month from raw.rejected_rows '
        "where file like '%faults%' order by file, line",
    ) == [
        (
            MENTIONS_FILE,
            GOOD_MENTIONS + 1,
            "text",
            f"text: the text is {ONE_MB} characters long, more than the 20,000 allowed",
            date(2010, 2, 1),
        ),
        (
            MENTIONS_FILE,
            GOOD_MENTIONS + 2,
            "created_at",
            "created_at: '2099-06-01T10:00:00Z' lies more than 1 day in the future "
            "(settings max_future_days)",
            date(2010, 2, 1),
        ),
        (
            PRICES_FILE,
            2 * len(TRADING_DAYS) + 2,
            "high",
            "high: '9' is below low '10'",
            date(2010, 2, 1),
        ),
        (
            PRICES_FILE,
            2 * len(TRADING_DAYS) + 3,
            "date",
            "date: '2099-01-05' lies more than 1 day after today (settings max_future_days)",
            date(2010, 2, 1),
        ),
    ]
    # The rest of each file loaded.
    assert query(settings, "select count(*) from raw.mentions where mention_id like 'fault-%'") == [
        (GOOD_MENTIONS,)
    ]
    assert query(settings, "select count(*) from raw.stock_prices where ticker like 'FLT%'") == [
        (2 * len(TRADING_DAYS),)
    ]
    # The refused mention's author is as private as in raw.mentions.
    [(author,)] = query(
        settings,
        "select record->>'author_id' from raw.rejected_rows where reason like 'text:%' "
        f"and file = '{MENTIONS_FILE}'",
    )
    assert author == pseudonymise(settings.pseudonymisation_key, "forum_user_0")

    # No month beyond today + max_future_days: not landed, not written, not a partition.
    now = datetime.now(UTC).replace(tzinfo=None)
    limit = latest_instant(now, settings.max_future_days).replace(tzinfo=UTC)
    last_allowed = limit.astimezone(ZoneInfo(settings.reporting_timezone)).strftime("%Y-%m")
    assert index_landing(settings).months() == DEMO_MONTHS
    months = query(
        settings,
        "select distinct strftime(partition_month, '%Y-%m') from ("
        + " union all ".join(
            f"select partition_month from raw.{table}"
            for table in (
                "mentions",
                "complaints",
                "nps_responses",
                "stock_prices",
                "rejected_rows",
            )
        )
        + ") where partition_month is not null order by 1",
    )
    assert [month for (month,) in months] == DEMO_MONTHS
    assert DEMO_MONTHS[-1] <= last_allowed
    with open_instance(settings) as instance:
        materialised = instance.get_materialized_partitions(dg.AssetKey(["raw", "mentions"]))
    assert sorted(materialised) == DEMO_MONTHS

    # The next run is not blocked: every raw check passes on what was loaded.
    assert failed_checks(raw_run(settings)) == []
