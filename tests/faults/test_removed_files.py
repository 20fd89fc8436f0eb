"""Landing files that are removed take their months out of raw and the marts (issue 11, point 6).

Removing the files of an ingested month used to leave the month in raw, in the
marts and in the report. The landing index now remembers the months of files
that disappeared until they are written again, `webcare run` reloads them from
what is left (nothing: an empty partition) and says so, one line per month.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from assets.raw.landing import index_landing
from orchestration import commands
from warehouse.settings import PARTITIONED_SOURCES, Settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

REMOVED = ("2010-02", "2010-03")


def raw_months(home: Path) -> dict[str, list[str]]:
    """Months with rows per partitioned raw table, and of the refused rows."""
    found = {}
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        for table in (*PARTITIONED_SOURCES, "rejected_rows"):
            found[table] = [
                month
                for (month,) in conn.execute(
                    f"select distinct strftime(partition_month, '%Y-%m') from raw.{table} "
                    "where partition_month is not null order by 1"
                ).fetchall()
            ]
    return found


def kept_rows(home: Path) -> dict[str, list[tuple]]:
    """Every raw row outside the removed months, without its load time."""
    rows = {}
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        for table in (*PARTITIONED_SOURCES, "rejected_rows", "brands", "webcare_accounts"):
            loaded = "rejected_at" if table == "rejected_rows" else "_loaded_at"
            where = (
                "where partition_month is null or strftime(partition_month, '%Y-%m') "
                f"not in {REMOVED}"
                if table in (*PARTITIONED_SOURCES, "rejected_rows")
                else ""
            )
            rows[table] = conn.execute(
                f"select * exclude ({loaded}) from raw.{table} {where} order by all"
            ).fetchall()
    return rows


def published_months(home: Path) -> dict[str, list[str]]:
    """Reporting months per published mart that has them (rows over all months aside)."""
    found = {}
    with duckdb.connect(str(home / "published" / "warehouse.duckdb"), read_only=True) as conn:
        marts = conn.execute(
            "select table_name from information_schema.columns "
            "where table_schema = 'marts' and column_name = 'reporting_month' order by 1"
        ).fetchall()
        for (mart,) in marts:
            found[mart] = [
                month
                for (month,) in conn.execute(
                    f"select distinct strftime(reporting_month, '%Y-%m') from marts.{mart} "
                    "where reporting_month is not null order by 1"
                ).fetchall()
            ]
    return found


def test_removed_months_leave_raw_scores_and_marts_and_nothing_else_changes(
    own_demo_home: Path, model_cache_env: None, capfd: pytest.CaptureFixture[str]
) -> None:
    home = own_demo_home
    assert raw_months(home)["rejected_rows"] == ["2010-01", "2010-02"]
    marts = published_months(home)
    assert len(marts) >= 10
    assert marts["fct_sentiment_monthly"] == ["2010-01", "2010-02", "2010-03"]
    kept = kept_rows(home)
    removed = sorted(
        path.relative_to(home / "landing").as_posix()
        for month in REMOVED
        for path in (home / "landing").glob(f"*/demo/{month}/*")
    )
    assert len(removed) == 9
    for relative in removed:
        (home / "landing" / relative).unlink()
    capfd.readouterr()

    assert commands.run(home=str(home)) == 0
    out = capfd.readouterr().out
    assert [line for line in out.splitlines() if line.startswith("Reloading")] == [
        "Reloading 2010-02: landing files removed or changed since its last load "
        "(complaints/demo/2010-02/complaints.jsonl, mentions/demo/2010-02/mentions-part1.csv.gz, "
        "mentions/demo/2010-02/mentions-part2.jsonl and 2 more); it is rebuilt from the files "
        "left",
        "Reloading 2010-03: landing files removed or changed since its last load "
        "(complaints/demo/2010-03/complaints.parquet, mentions/demo/2010-03/mentions.jsonl, "
        "nps_responses/demo/2010-03/nps_responses.csv and 1 more); it is rebuilt from the files "
        "left",
    ]
    assert "[1/2] Loading and scoring 2010-01..2010-03" in out

    assert raw_months(home) == {table: ["2010-01"] for table in raw_months(home)}
    assert kept_rows(home) == kept
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        orphans = conn.execute(
            "select count(*) from scores.mention_sentiment s "
            "anti join raw.mentions m using (platform, mention_id)"
        ).fetchone()[0]
    assert orphans == 0
    assert published_months(home) == {mart: ["2010-01"] for mart in marts}
    # Reloaded: the next run has nothing stale left to reload.
    assert index_landing(Settings.from_env(home)).stale == {}
