"""A broken landing file stops the real pipeline before the marts: none rebuilt, none published.

Real raw assets load the landing files, the real Great Expectations checks run on
them, and the real dbt and publish assets wait behind those checks. The two
exports below swapped ``created_at`` and ``deleted_at`` for a tenth of their
March mentions. The loader refuses each such row (a mention deleted before it
was written is impossible) and each file stays under the reject threshold as a
whole, but March as a month lost more than its share: the blocking check on
``raw/mentions`` says so, a rule about a month that no single row breaks.
"""

import io
from contextlib import redirect_stderr
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.checks import GX_CHECK_NAME
from assets.serving import PUBLISH_KEY, REPORT_KEY
from orchestration import commands
from orchestration.definitions import build_definitions
from orchestration.jobs import MARTS, PUBLISHED, RAW
from warehouse import contract
from warehouse.contract import ensure_tables
from warehouse.settings import Settings

MART_KEYS = {dg.AssetKey(["marts", "fct_sentiment_monthly"]), dg.AssetKey(["marts", "dim_brands"])}
BRANDS = """brand,display_name,sector,country,ticker,currency,shares_outstanding,keywords
hanzebank,Hanzebank,bank,NL,HNZB,EUR,182000000,hanzebank
tulpbank,Tulpbank,bank,NL,,EUR,,tulpbank
"""
ACCOUNTS = """brand,handle,platform,is_bot,promised_response_minutes,opening_hours,timezone
hanzebank,Hanzebank,twitter,false,120,mon-fri 08:00-20:00,Europe/Amsterdam
tulpbank,Tulpbank,twitter,false,60,,Europe/Amsterdam
"""
MENTIONS_HEADER = (
    "mention_id,platform,created_at,author_id,text,brand,in_reply_to_id,language,"
    "author_followers,url,deleted_at\n"
)


def mentions_csv(first_id: int, swapped: set[int]) -> str:
    """140 February and 60 March mentions; the March rows in `swapped` (0..59) have
    created_at and deleted_at exchanged."""
    lines = []
    for i in range(200):
        month, day = (2, i % 28 + 1) if i < 140 else (3, (i - 140) % 28 + 1)
        created, deleted = f"2010-{month:02d}-{day:02d}T10:{i % 60:02d}:00", ""
        if i % 5 == 0:
            deleted = f"2010-{month:02d}-{day:02d}T18:00:00"
        if i - 140 in swapped:
            created, deleted = deleted, created
        brand = "Hanzebank" if i % 2 else "Tulpbank"
        lines.append(
            f"{first_id + i},twitter,{created},klant{i},@{brand} vraag nummer {i},,,nl,{i},,"
            f"{deleted}"
        )
    return MENTIONS_HEADER + "\n".join(lines) + "\n"


# A tenth of each file's March rows: 6 of 200 rows per file (3%, under the 5% threshold),
# 60 rows per file in March (under reject_min_month_rows, so no file fails on March alone),
# and 12 of 120 in March for the month (10%).
SWAPPED = {0, 10, 20, 30, 40, 50}


def land(settings: Settings, *mentions: str) -> None:
    landing = settings.landing_path
    files = [
        (f"mentions/2010-03/mentions-{number}.csv", text)
        for number, text in enumerate(mentions, start=1)
    ]
    for relative, text in (
        ("brands/brands.csv", BRANDS),
        ("webcare_accounts/webcare_accounts.csv", ACCOUNTS),
        *files,
    ):
        path = landing / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def previous_publication(settings: Settings) -> tuple[Path, bytes]:
    """A live mart and a published Parquet file from an earlier, good run."""
    with duckdb.connect(settings.duckdb_path) as conn:
        conn.execute(
            "create schema marts;"
            "create table marts.fct_sentiment_monthly as "
            "select 'hanzebank' as brand, date '2010-02-01' as reporting_month, 7 as mentions"
        )
        published = settings.published_path / "marts" / "fct_sentiment_monthly.parquet"
        published.parent.mkdir(parents=True)
        conn.execute(f"copy marts.fct_sentiment_monthly to '{published}' (format parquet)")
    return published, published.read_bytes()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(tmp_path, first_month="2010-01")


def run_raw_to_published(settings: Settings) -> dg.ExecuteInProcessResult:
    """Raw loaders, dbt marts and publishing for March 2010, with every check on them.

    Scoring is left out of the selection: the run must stop before the marts
    whatever scores hold, and leaving it out keeps the sentiment model unloaded.
    """
    defs = build_definitions(settings)
    with duckdb.connect(settings.duckdb_path) as conn:
        # Empty score tables, as production creates them: dbt's sources need them.
        ensure_tables(conn, contract.SCORE_TABLES.values())
    return dg.materialize(
        [*defs.assets, *defs.asset_checks],
        selection=RAW | MARTS | PUBLISHED,
        partition_key="2010-03",
        resources=defs.resources,
        raise_on_error=False,
    )


def test_a_broken_landing_file_stops_the_run_before_the_marts(settings):
    land(settings, mentions_csv(1000, SWAPPED), mentions_csv(2000, SWAPPED))
    published, published_bytes = previous_publication(settings)

    result = run_raw_to_published(settings)

    assert not result.success
    assert "raw/mentions" in {
        e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
    }
    [check] = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key == dg.AssetKey(["raw", "mentions"]) and e.check_name == GX_CHECK_NAME
    ]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    [failed] = check.metadata["failed_expectations"].value
    assert failed["rule"] == "at most 5.0% of a month's rows were rejected"
    assert failed["unexpected_count"] == 1
    [example] = failed["examples"]
    assert (example["rows_loaded"], example["rows_rejected"]) == (108, 12)
    # Each refused row is in raw.rejected_rows with its reason, none in raw.mentions.
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        refused = conn.execute(
            "select count(*) filter (where reason like 'deleted_at: % is before created_at %'), "
            "count(*) from raw.rejected_rows"
        ).fetchone()
    assert refused == (12, 12)
    # Neither dbt nor publishing started: the marts and the publication are the previous ones.
    materialised = {e.asset_key for e in result.get_asset_materialization_events()}
    assert not materialised & {*MART_KEYS, PUBLISH_KEY, REPORT_KEY}
    started = {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}
    assert "webcare_dbt_models" not in started
    failed_steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failed_steps == ["raw__mentions_gx_expectations"]
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        assert conn.execute("select * from marts.fct_sentiment_monthly").fetchall() == [
            ("hanzebank", date(2010, 2, 1), 7)
        ]
        marts = conn.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
        ).fetchone()[0]
    assert marts == 1
    assert published.read_bytes() == published_bytes
    assert not (settings.published_path / "warehouse.duckdb").exists()
    # What `webcare run` prints names the check and the failed expectation.
    stderr = io.StringIO()
    with redirect_stderr(stderr):
        commands.print_failures([result])
    assert (
        "BLOCKED by check raw/mentions:gx_expectations: 1 of" in stderr.getvalue()
        and "at most 5.0% of a month's rows were rejected" in stderr.getvalue()
    )
