"""`webcare run` on the small demo: every source loaded exactly, scored, built, checked, published.

The run itself happens once, in the session fixture `demo_home` (tests/conftest.py).
"""

import json

import dagster as dg
import duckdb
import pytest

from assets.dbt import home_target_path
from orchestration import commands
from orchestration.instance import open_instance
from warehouse.settings import Settings

pytestmark = pytest.mark.slow

PARTITIONED = ("mentions", "complaints", "nps_responses", "stock_prices")


def _truth(home):
    return json.loads((home / "truth.json").read_text())


def _per_month(conn, sql):
    return {month: count for month, count in conn.execute(sql).fetchall()}


def test_every_source_and_month_loads_exactly_what_landed(demo_home):
    expected_counts = _truth(demo_home)["expected_counts"]
    with duckdb.connect(str(demo_home / "warehouse.duckdb"), read_only=True) as conn:
        for source in PARTITIONED:
            loaded = _per_month(
                conn,
                f"select strftime(partition_month, '%Y-%m'), count(*) from raw.{source} group by 1",
            )
            rejected = _per_month(
                conn,
                "select strftime(partition_month, '%Y-%m'), count(*) from raw.rejected_rows "
                f"where source = '{source}' group by 1",
            )
            for month, expected in expected_counts[source].items():
                assert loaded.get(month, 0) == expected["loaded"], (source, month)
                assert rejected.get(month, 0) == expected["rejected"], (source, month)
        reasons = conn.execute(
            "select count(*) from raw.rejected_rows where reason is null or file is null "
            "or line is null"
        ).fetchone()[0]
        assert reasons == 0


def test_every_inbound_mention_is_scored_once(demo_home):
    with duckdb.connect(str(demo_home / "warehouse.duckdb"), read_only=True) as conn:
        inbound = conn.execute(
            "select count(*) from raw.mentions where not is_brand_account"
        ).fetchone()[0]
        scored = conn.execute(
            "select count(*), count(distinct platform || ':' || mention_id) "
            "from scores.mention_sentiment"
        ).fetchone()
    assert scored == (inbound, inbound)


def test_published_snapshot_holds_the_marts_and_the_report_exists(demo_home):
    last_month = _truth(demo_home)["months"][-1]
    published = demo_home / "published"
    with duckdb.connect(str(demo_home / "warehouse.duckdb"), read_only=True) as live:
        marts = [
            name
            for (name,) in live.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        live_counts = {
            m: live.execute(f"select count(*) from marts.{m}").fetchone()[0] for m in marts
        }
    assert "fct_sentiment_monthly" in marts and len(marts) >= 16
    with duckdb.connect(str(published / "warehouse.duckdb"), read_only=True) as snapshot:
        for mart, count in live_counts.items():
            assert snapshot.execute(f"select count(*) from marts.{mart}").fetchone()[0] == count, (
                mart
            )
    for mart in live_counts:
        assert (published / "marts" / f"{mart}.parquet").exists(), mart
    assert (published / "report" / f"{last_month}.html").stat().st_size > 10_000


def test_second_run_scores_nothing_new_and_changes_no_row(demo_home, capsys):
    def fingerprint():
        with duckdb.connect(str(demo_home / "warehouse.duckdb"), read_only=True) as conn:
            return {
                table: conn.execute(
                    f"select count(*), sum(hash(columns(lambda c: c not in "
                    f"('_loaded_at', 'rejected_at', 'scored_at')))) from {table}"
                ).fetchall()
                for table in (
                    "raw.mentions",
                    "raw.complaints",
                    "raw.nps_responses",
                    "raw.stock_prices",
                    "raw.rejected_rows",
                    "scores.mention_sentiment",
                    "marts.fct_sentiment_monthly",
                    "marts.fct_webcare_response_monthly",
                )
            }

    before = fingerprint()
    assert commands.run(home=str(demo_home)) == 0
    assert fingerprint() == before
    instance = open_instance(Settings.from_env(demo_home))
    event = instance.get_latest_materialization_event(dg.AssetKey(["scores", "mention_sentiment"]))
    metadata = event.asset_materialization.metadata
    assert metadata["texts_scored_new"].value == 0
    assert metadata["rows_written"].value > 0
    printed = capsys.readouterr().out
    assert "KPI summary" in printed
    with duckdb.connect(str(demo_home / "published" / "warehouse.duckdb"), read_only=True) as snap:
        n, r, lower, upper = snap.execute(
            "select n_brand_months, pearson_r, pearson_r_ci_lower_95, pearson_r_ci_upper_95 "
            "from marts.fct_sentiment_nps_correlation where scope_type = 'all' "
            "and sentiment_measure = 'net_sentiment' and outcome_measure = 'nps' "
            "and lag_months = 0"
        ).fetchone()
    # The small demo's three months leave three brand-months above the volume floor:
    # too few for Fisher's interval, which the line says instead of showing r alone.
    assert (n, lower, upper) == (3, None, None)
    assert (
        f"Net sentiment vs NPS (same month): r = {r:+.2f} over 3 brand-months, "
        "too few for a 95% CI\n"
    ) in printed
    assert "snapshot" in printed and "Data Docs" in printed
    # dbt ran in the home's own target folder and reused the parse of the first build
    # there: the project's parse (made for the default home's DuckDB path) would have
    # been parsed again ("profile has changed", about 4 s).
    target = home_target_path(Settings.from_env(demo_home))
    build = _last_dbt_invocation(target)
    assert build["A002"]["data"]["args"]["target_path"] == str(target)
    assert "I024" not in build, build["I024"]["info"]["msg"]
    assert build["I040"]["info"]["name"] == "PartialParsingEnabled"


def _last_dbt_invocation(target) -> dict[str, dict]:
    """The events of the last dbt invocation logged in `target`, by event code (dbt's
    JSON log, its rotated files oldest first)."""
    logs = sorted(target.glob("dbt.log.*"), key=lambda p: -int(p.suffix[1:]))
    events = [
        json.loads(line)
        for path in [*logs, target / "dbt.log"]
        for line in path.read_text().splitlines()
        if line.startswith("{")
    ]
    last = events[-1]["info"]["invocation_id"]
    return {e["info"]["code"]: e for e in events if e["info"]["invocation_id"] == last}
