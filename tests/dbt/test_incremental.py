"""Month-incremental marts: adding a month gives the marts a full rebuild gives.

The demo is landed for 25 months; `webcare run` loads the first 24 (a full build),
then month 25 alone (an incremental build from the months it can change), and
every mart and month-incremental table is compared, EXCEPT ALL both ways, with a
`--full-refresh` of the same warehouse. Threads cross month ends in the demo
(replies after midnight on the last day, escalations within 14 days), so the
widening of assets/dbt/incremental.py is exercised, not only the month filter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from assets.dbt.incremental import (
    MONTHS_TABLE,
    STATE_TABLE,
    BuildPlan,
    earliest_affected_month,
    fingerprint,
    margin_months,
    plan_build,
    project_vars,
    record_build,
)
from warehouse.contract import ensure_tables

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
VARS = project_vars(DBT_PROJECT_DIR, {})


def _tables(path: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where schema_name in ('marts', 'intermediate') order by all"
        ).fetchall()


def _differences(left: Path, right: Path, schema: str, table: str) -> tuple[int, int]:
    """Rows of left not in right and of right not in left (doubles to 9 decimals:
    DuckDB's parallel sums of doubles differ in the last bits between runs)."""
    conn = duckdb.connect()
    conn.execute(f"attach '{left}' as l (read_only)")
    conn.execute(f"attach '{right}' as r (read_only)")
    columns = conn.execute(
        "select column_name, data_type from duckdb_columns() where database_name = 'l' "
        "and schema_name = ? and table_name = ? order by column_index",
        [schema, table],
    ).fetchall()
    select = ", ".join(
        f'round("{name}", 9) as "{name}"' if kind == "DOUBLE" else f'"{name}"'
        for name, kind in columns
    )
    counts = []
    for a, b in (("l", "r"), ("r", "l")):
        (count,) = conn.execute(
            f"select count(*) from (select {select} from {a}.{schema}.{table} "
            f"except all select {select} from {b}.{schema}.{table})"
        ).fetchone()
        counts.append(count)
    conn.close()
    return counts[0], counts[1]


@pytest.fixture(scope="module")
def incremental_home(tmp_path_factory, model_cache_dir) -> Path:
    """A home built for 24 demo months, then month 25 added by an incremental run."""
    from demo import generate
    from orchestration import cli, commands

    home = tmp_path_factory.mktemp("incremental_home")
    generate(home / "landing", home / "truth.json", seed=11, size="small", months=25)
    previous = os.environ.get("WEBCARE_MODEL_CACHE_DIR")
    os.environ["WEBCARE_MODEL_CACHE_DIR"] = str(model_cache_dir)
    try:
        sample = str(home / "labelled_sample.csv")
        assert cli.main(["calibrate-sentiment", "--home", str(home), sample]) == 0
        assert commands.run(home=str(home), months="2010-01:2011-12") == 0
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
            assert conn.execute(f"select rebuild_from_month from {STATE_TABLE}").fetchall() == [
                (None,)
            ]
        assert commands.run(home=str(home), months="2012-01:2012-01") == 0
    finally:
        if previous is None:
            os.environ.pop("WEBCARE_MODEL_CACHE_DIR", None)
        else:
            os.environ["WEBCARE_MODEL_CACHE_DIR"] = previous
    return home


@pytest.mark.slow
def test_adding_a_month_rebuilds_only_from_the_months_it_can_change(incremental_home):
    with duckdb.connect(str(incremental_home / "warehouse.duckdb"), read_only=True) as conn:
        ((first, status),) = conn.execute(
            f"select rebuild_from_month, status from {STATE_TABLE}"
        ).fetchall()
        months = conn.execute(
            "select count(distinct reporting_month) from marts.fct_sentiment_monthly"
        ).fetchone()[0]
    assert status == "built"
    assert months == 25
    # Month 25 less the escalation margin, or earlier where a thread reaches back.
    assert first is not None and "2011-06" <= first <= "2011-12", first


@pytest.mark.slow
def test_incremental_marts_equal_a_full_refresh(incremental_home, tmp_path):
    incremental = incremental_home / "warehouse.duckdb"
    full = tmp_path / "full.duckdb"
    shutil.copy(incremental, full)
    completed = _dbt(["build", "--full-refresh", "--quiet"], full, tmp_path / "target")
    assert completed.returncode == 0, completed.stdout[-3000:]
    tables = _tables(incremental)
    assert ("marts", "fct_inbound_messages") in tables and len(tables) >= 25
    differing = {
        f"{schema}.{table}": counts
        for schema, table in tables
        if (counts := _differences(incremental, full, schema, table)) != (0, 0)
    }
    assert differing == {}


@pytest.mark.slow
def test_a_month_changed_between_runs_is_rebuilt_by_the_next_run(
    incremental_home, tmp_path, model_cache_dir, monkeypatch
):
    """An ingest of a corrected export for an old month (here: 30 of its messages
    gone) loads that month without building the marts; the next run loads only a
    later month, and its marts still equal a full refresh."""
    from orchestration import commands

    home = tmp_path / "home"
    # the warehouse, the landing files and their index; a Dagster instance of its own
    shutil.copytree(incremental_home, home, ignore=shutil.ignore_patterns("dagster"))
    monkeypatch.setenv("WEBCARE_MODEL_CACHE_DIR", str(model_cache_dir))
    with duckdb.connect(str(home / "warehouse.duckdb")) as conn:
        conn.execute(
            "delete from raw.mentions where partition_month = date '2010-06-01' and mention_id "
            "in (select mention_id from raw.mentions where partition_month = date '2010-06-01' "
            "and in_reply_to_id is null order by mention_id limit 30)"
        )
    assert commands.run(home=str(home), months="2012-01:2012-01") == 0
    incremental = home / "warehouse.duckdb"
    with duckdb.connect(str(incremental), read_only=True) as conn:
        (first,) = conn.execute(f"select rebuild_from_month from {STATE_TABLE}").fetchone()
    assert first is not None and first <= "2010-06"
    full = tmp_path / "full.duckdb"
    shutil.copy(incremental, full)
    completed = _dbt(["build", "--full-refresh", "--quiet"], full, tmp_path / "target")
    assert completed.returncode == 0, completed.stdout[-3000:]
    differing = {
        f"{schema}.{table}": counts
        for schema, table in _tables(incremental)
        if (counts := _differences(incremental, full, schema, table)) != (0, 0)
    }
    assert differing == {}


def _dbt(
    args: list[str], warehouse: Path, target: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`dbt <args>` on the project and `warehouse`, with its artefacts and log in `target`."""
    dbt = Path(sys.executable).parent / "dbt"
    return subprocess.run(
        [str(dbt), *args, "--project-dir", ".", "--profiles-dir", ".",
         "--target-path", str(target), "--log-path", str(target)],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "WEBCARE_DUCKDB_PATH": str(warehouse), **(env or {})},
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def _failing_tests(
    warehouse: Path, target: Path, *extra: str, select: str = "fct_sentiment_monthly dim_brands"
) -> set[str]:
    """The data tests of the `select`ed models that fail on `warehouse`."""
    _dbt(
        ["test", "--quiet", "--select", select, "--exclude-resource-type", "unit_test", *extra],
        warehouse,
        target,
    )
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2] for r in results if r["status"] != "pass"}


@pytest.mark.slow
def test_the_month_to_rebuild_from_reaches_dbt_without_a_new_parse(incremental_home, tmp_path):
    """What the Dagster asset does: parse once, then build with the month to rebuild from
    in WEBCARE_REBUILD_FROM_MONTH. Months before it stay as they were (a planted value
    survives), months from it on are rebuilt (the planted value is gone), and dbt uses
    its saved parse (a var would make it parse the whole project again)."""
    warehouse = tmp_path / "planted.duckdb"
    shutil.copy(incremental_home / "warehouse.duckdb", warehouse)
    planted = "update marts.fct_sentiment_monthly set mentions = -7 where reporting_month in "
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(planted + "(date '2011-11-01', date '2011-12-01')")
    target = tmp_path / "target"
    assert _dbt(["parse", "--quiet"], warehouse, target).returncode == 0
    plan = BuildPlan("", False, "2011-12", "")
    completed = _dbt(
        [*plan.dbt_args({}), "--select", "fct_sentiment_monthly"], warehouse, target, plan.dbt_env()
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        planted_months = conn.execute(
            "select distinct strftime(reporting_month, '%Y-%m') from marts.fct_sentiment_monthly "
            "where mentions = -7"
        ).fetchall()
    assert planted_months == [("2011-11",)]
    log = (target / "dbt.log").read_text()
    assert "Unable to do partial parsing" not in log.split("Running with dbt")[-1]

    # A month that is not YYYY-MM stops the build with a message naming both ways in.
    bad = _dbt(
        [*plan.dbt_args({}), "--select", "fct_sentiment_monthly"],
        warehouse,
        tmp_path / "bad",
        {"WEBCARE_REBUILD_FROM_MONTH": "2011/12"},
    )
    assert bad.returncode != 0
    assert (
        "rebuild_from_month (var or WEBCARE_REBUILD_FROM_MONTH) must be 'YYYY-MM', got '2011/12'"
        in bad.stdout
    ), bad.stdout[-3000:]


@pytest.mark.slow
def test_an_incremental_build_tests_only_the_rebuilt_months_of_month_incremental_models(
    incremental_home, tmp_path
):
    """An old month of a month-incremental mart is not tested again (it was tested when
    built); its rebuilt months are, and so is every other model in full."""
    warehouse = tmp_path / "planted.duckdb"
    shutil.copy(incremental_home / "warehouse.duckdb", warehouse)
    with duckdb.connect(str(warehouse)) as conn:
        # A duplicate brand-month in the first month, and a duplicate brand.
        conn.execute(
            "insert into marts.fct_sentiment_monthly select * from marts.fct_sentiment_monthly "
            "where reporting_month = "
            "(select min(reporting_month) from marts.fct_sentiment_monthly) limit 1"
        )
        conn.execute("insert into marts.dim_brands select * from marts.dim_brands limit 1")
    unique_month = "unique_combination_of_columns_fct_sentiment_monthly_brand__reporting_month"
    unique_brand = "unique_dim_brands_brand"
    rebuilt = ["--vars", json.dumps({"rebuild_from_month": "2011-12"})]

    assert _failing_tests(warehouse, tmp_path / "t1") == {unique_month, unique_brand}
    assert _failing_tests(warehouse, tmp_path / "t2", *rebuilt) == {unique_brand}

    with duckdb.connect(str(warehouse)) as conn:
        conn.execute(
            "insert into marts.fct_sentiment_monthly select * from marts.fct_sentiment_monthly "
            "where reporting_month = date '2012-01-01' limit 1"
        )
    assert _failing_tests(warehouse, tmp_path / "t3", *rebuilt) == {unique_month, unique_brand}


@pytest.mark.slow
def test_an_incremental_build_tests_only_the_loaded_partitions_of_staging_views(
    incremental_home, tmp_path
):
    """Two raw rows whose keys collide ('x:y' + '1' and 'x' + 'y:1') in an old partition
    are caught by a full build's tests only; in a rebuilt partition by both."""
    warehouse = tmp_path / "planted.duckdb"
    shutil.copy(incremental_home / "warehouse.duckdb", warehouse)

    def plant(month: str) -> None:
        with duckdb.connect(str(warehouse)) as conn:
            _add_mention(conn, month, f"{month}-15", platform="x:y")
            _add_mention(conn, f"y:{month}", f"{month}-15", platform="x")

    unique_key = "unique_stg_raw__mentions_mention_key"
    rebuilt = ["--vars", json.dumps({"rebuild_from_month": "2011-12"})]
    plant("2010-03")
    assert _failing_tests(warehouse, tmp_path / "t1", select="stg_raw__mentions") == {unique_key}
    assert _failing_tests(warehouse, tmp_path / "t2", *rebuilt, select="stg_raw__mentions") == set()
    plant("2012-01")
    assert _failing_tests(warehouse, tmp_path / "t3", *rebuilt, select="stg_raw__mentions") == {
        unique_key
    }


# The widening rules on a hand-made warehouse -------------------------------------


def _add_mention(
    conn: duckdb.DuckDBPyConnection,
    mention_id: str,
    created_at: str,
    parent: str | None = None,
    *,
    platform: str = "twitter",
    partition: str | None = None,
) -> None:
    """One raw.mentions row, filed in `partition` ('YYYY-MM-01'; by default the month of
    `created_at`, as the loader files it)."""
    conn.execute(
        "insert into raw.mentions (platform, mention_id, created_at, author_id, "
        "is_brand_account, text, in_reply_to_id, partition_month, _source_file, "
        "_source_line, _loaded_at) values (?, ?, cast(? as timestamp), 'a', false, 't', ?, "
        "coalesce(cast(? as date), date_trunc('month', cast(? as date))), 'f.csv', 1, now())",
        [platform, mention_id, created_at, parent, partition, created_at],
    )


@pytest.fixture
def threads_warehouse(tmp_path) -> duckdb.DuckDBPyConnection:
    """raw.mentions with a thread started in 2011-03 and answered in 2011-06, and the
    int_message_threads and journeys tables an earlier build left."""
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_tables(conn)
    rows = [
        ("1", None, "2011-03-10"),  # root, March
        ("2", "1", "2011-04-02"),  # customer follow-up in the thread, April
        ("3", "2", "2011-06-01"),  # the brand's late reply, June (the month loaded)
        ("4", None, "2011-05-20"),  # unrelated, May
    ]
    for mention_id, parent, day in rows:
        _add_mention(conn, mention_id, day, parent)
    conn.execute("create schema intermediate")
    conn.execute(
        "create table intermediate.int_message_threads as select * from (values "
        "('twitter:1', 'twitter:1', 0), ('twitter:2', 'twitter:1', 1), "
        "('twitter:4', 'twitter:4', 0)) as t(mention_key, thread_key, thread_depth)"
    )
    return conn


def test_a_reply_rebuilds_the_months_of_its_whole_thread(threads_warehouse):
    assert earliest_affected_month(threads_warehouse, "2011-06", VARS) == "2011-03"


def test_a_message_loaded_after_its_reply_rebuilds_the_reply_s_thread(threads_warehouse):
    threads_warehouse.execute("delete from raw.mentions where mention_id = '3'")
    # An April reply to a message not yet loaded started a thread of its own ...
    _add_mention(threads_warehouse, "6", "2011-04-15", "7")
    # ... and the message it answers arrives late, in the June files.
    _add_mention(threads_warehouse, "7", "2011-04-10", partition="2011-06-01")
    threads_warehouse.execute(
        "insert into intermediate.int_message_threads values ('twitter:6', 'twitter:6', 0)"
    )
    assert earliest_affected_month(threads_warehouse, "2011-06", VARS) == "2011-04"


def test_without_threads_the_margin_of_forward_windows_applies(threads_warehouse):
    threads_warehouse.execute("delete from raw.mentions where mention_id = '3'")
    # escalation_window_days 14: a complaint in May escalates with a negative post in June.
    assert margin_months(VARS) == 1
    assert earliest_affected_month(threads_warehouse, "2011-06", VARS) == "2011-05"
    assert margin_months({**VARS, "escalation_window_days": 45}) == 2


def test_a_journey_whose_recovery_window_reaches_the_month_is_rebuilt(threads_warehouse):
    threads_warehouse.execute("delete from raw.mentions where mention_id = '3'")
    threads_warehouse.execute(
        "create table intermediate.int_negative_poster_journeys as select "
        "date '2011-02-01' as reporting_month, timestamp '2011-05-10 12:00' as journey_start_at"
    )
    # Contacted on 10 May: a message up to 30 days later (June) can recover the February post.
    assert earliest_affected_month(threads_warehouse, "2011-06", VARS) == "2011-02"


def test_what_holds_for_every_month_forces_a_full_rebuild(threads_warehouse):
    def plan():
        return plan_build(threads_warehouse, MANIFEST, VARS, first_loaded="2011-06")

    assert plan().full_refresh and plan().reason == "no earlier build recorded"
    record_build(threads_warehouse, plan(), "building")
    assert plan().full_refresh and plan().reason == "the last build did not finish"
    record_build(threads_warehouse, plan(), "built")
    assert not plan().full_refresh and plan().rebuild_from_month == "2011-03"
    threads_warehouse.execute(
        "insert into raw.brands (brand, display_name, sector, country, currency, "
        "_source_file, _source_line, _loaded_at) values "
        "('acme', 'Acme', 'banking', 'NL', 'EUR', 'b.csv', 1, now())"
    )
    assert plan().full_refresh
    record_build(threads_warehouse, plan(), "built")
    # Loading the same reference rows again (a new load time) changes nothing.
    threads_warehouse.execute("update raw.brands set _loaded_at = now() + interval 1 day")
    assert not plan().full_refresh
    changed_vars = {**VARS, "escalation_window_days": 21}
    assert plan_build(threads_warehouse, MANIFEST, changed_vars, "2011-06").full_refresh
    # What changed decides, not the month a run names: nothing did, so the newest month
    # (June) and the thread it answers (from March) are rebuilt.
    assert plan_build(threads_warehouse, MANIFEST, VARS, None).rebuild_from_month == "2011-03"
    forced = plan_build(threads_warehouse, MANIFEST, VARS, "2011-06", full_refresh="asked")
    assert forced.full_refresh and forced.reason == "asked"
    assert forced.dbt_args({})[-1] == "--full-refresh"
    assert "unit_test" not in forced.dbt_args({})
    # An incremental build leaves the unit tests to the full build of the same code.
    assert plan().dbt_args({})[-2:] == ["--exclude-resource-type", "unit_test"]


def test_months_changed_since_the_last_build_are_rebuilt_whatever_the_run_loaded(
    threads_warehouse,
):
    """A month an earlier `webcare ingest` (or a run of the load job alone) changed is
    rebuilt by the next build, though that build's run loaded only a later month; a
    month loaded again with the same rows is not."""

    def plan(loaded: str | None) -> BuildPlan:
        return plan_build(threads_warehouse, MANIFEST, VARS, loaded)

    def build(loaded: str | None) -> None:
        record_build(threads_warehouse, plan(loaded), "built")

    _add_mention(threads_warehouse, "9", "2010-11-05")  # an old message, in no thread
    build("2010-11")
    # Every month loaded again from the same files: new load times, same rows.
    threads_warehouse.execute("update raw.mentions set _loaded_at = now() + interval 1 day")
    same = plan("2010-11")
    assert (same.rebuild_from_month, same.reason) == (
        "2011-03",
        "months from 2011-03 on (nothing changed since the last build; its newest month 2011-06)",
    )
    # A corrected November export was ingested; this run loads June only.
    threads_warehouse.execute("update raw.mentions set text = 'corrected' where mention_id = '9'")
    stale = plan("2011-06")
    assert (stale.rebuild_from_month, stale.reason) == (
        "2010-10",  # November less the one-month margin of forward windows
        "months from 2010-10 on (changed since the last build from 2010-11)",
    )
    record_build(threads_warehouse, stale, "built")
    assert plan("2011-06").rebuild_from_month == "2011-03"
    # A month whose rows were all removed has changed too, and so has one with new scores.
    threads_warehouse.execute("delete from raw.mentions where mention_id = '9'")
    assert plan("2011-06").rebuild_from_month == "2010-10"
    build(None)
    threads_warehouse.execute(
        "insert into scores.mention_sentiment values ('twitter', '4', date '2011-05-01', "
        "'h', 'negative', 0.9, 0.05, 0.05, -0.85, 'm', now())"
    )
    scored = plan("2011-06")
    assert scored.reason == "months from 2011-03 on (changed since the last build from 2011-05)"
    # Message 4 is held by May and, with a corrected time, by July. Loading May again
    # (same rows) makes its copy the latest load, the one staging keeps: May changed.
    _add_mention(threads_warehouse, "4", "2011-07-02")
    build(None)
    threads_warehouse.execute(
        "update raw.mentions set _loaded_at = now() + interval 2 day "
        "where partition_month = date '2011-05-01'"
    )
    reloaded = plan("2011-07")
    assert reloaded.reason == "months from 2011-03 on (changed since the last build from 2011-05)"
    # A home whose last build recorded no months: the first month the run loaded.
    threads_warehouse.execute(f"drop table {MONTHS_TABLE}")
    old_home = plan("2011-06")
    assert old_home.reason == "months from 2011-03 on (loaded from 2011-06)"


def test_a_build_passes_the_month_in_its_environment_and_only_vars_that_differ(tmp_path):
    from assets.dbt import dbt_vars
    from warehouse.settings import Settings

    incremental = BuildPlan("f", False, "2011-06", "")
    assert incremental.dbt_args({}) == ["build", "--exclude-resource-type", "unit_test"]
    assert incremental.dbt_env() == {"WEBCARE_REBUILD_FROM_MONTH": "2011-06"}
    # Empty, not absent: a variable exported in the shell must not narrow a full build.
    assert BuildPlan("f", True, None, "").dbt_env() == {"WEBCARE_REBUILD_FROM_MONTH": ""}
    # The default settings pass no vars: the saved parse (made without) stays valid.
    assert dbt_vars(Settings.from_env(tmp_path)) == {}
    london = Settings.from_env(tmp_path, reporting_timezone="Europe/London")
    assert dbt_vars(london) == {"reporting_timezone": "Europe/London"}
    assert BuildPlan("f", True, None, "").dbt_args(dbt_vars(london)) == [
        "build", "--vars", '{"reporting_timezone": "Europe/London"}', "--full-refresh"
    ]  # fmt: skip


def test_which_copy_of_a_reference_key_staging_keeps_is_part_of_the_fingerprint(
    threads_warehouse,
):
    # Two files of one load name the same brand; staging keeps the copy of the last file
    # (b.csv: sector 'insurance'). Renamed, a.csv comes last and its 'banking' wins.
    threads_warehouse.execute(
        "insert into raw.brands (brand, display_name, sector, country, currency, "
        "_source_file, _source_line, _loaded_at) values "
        "('acme', 'Acme', 'banking', 'NL', 'EUR', 'a.csv', 2, timestamp '2011-07-01'), "
        "('acme', 'Acme', 'insurance', 'NL', 'EUR', 'b.csv', 2, timestamp '2011-07-01')"
    )
    before = fingerprint(threads_warehouse, MANIFEST, VARS)
    threads_warehouse.execute("update raw.brands set _loaded_at = timestamp '2011-08-01'")
    assert fingerprint(threads_warehouse, MANIFEST, VARS) == before
    threads_warehouse.execute(
        "update raw.brands set _source_file = 'c.csv' where sector = 'banking'"
    )
    assert fingerprint(threads_warehouse, MANIFEST, VARS) != before


def test_a_changed_unit_test_forces_a_full_rebuild(threads_warehouse, tmp_path):
    manifest = json.loads(MANIFEST.read_text())
    unit_test = next(iter(sorted(manifest["unit_tests"])))
    manifest["unit_tests"][unit_test]["checksum"] = "another fixture"
    changed = tmp_path / "manifest.json"
    changed.write_text(json.dumps(manifest))
    assert fingerprint(threads_warehouse, changed, VARS) != fingerprint(
        threads_warehouse, MANIFEST, VARS
    )
