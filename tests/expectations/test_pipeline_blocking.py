"""A broken landing file stops the real pipeline before the marts: none rebuilt, none published.

Real raw assets load the landing files, the real Great Expectations checks run on
them, and the real dbt and publish assets wait behind those checks. The export
below swapped ``created_at`` and ``deleted_at`` for a few mentions: every value
parses, so the loader accepts the rows, but a mention deleted before it was
written is impossible, and the blocking check on ``raw/mentions`` says so.
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
from orchestration.settings import Settings

MART_KEYS = {dg.AssetKey(["marts", "fct_sentiment_monthly"]), dg.AssetKey(["marts", "dim_brands"])}
BRANDS = """brand,display_name,sector,country,ticker,currency,shares_outstanding,keywords
hanzebank,Hanzebank,bank,NL,HNZB,EUR,182000000,hanzebank
tulpbank,Tulpbank,bank,NL,,EUR,,tulpbank
"""
ACCOUNTS = """brand,handle,platform,is_bot,promised_response_minutes,opening_hours,timezone
hanzebank,Hanzebank,twitter,false,120,mon-fri 08:00-20:00,Europe/Amsterdam
tulpbank,Tulpbank,twitter,false,60,,Europe/Amsterdam
"""
# The score tables as docs/warehouse-tables.md defines them, empty: dbt's sources need them.
SCORE_TABLES = """
create schema if not exists scores;
create table scores.mention_sentiment (
    platform varchar, mention_id varchar, partition_month date, text_hash varchar, label varchar,
    p_negative double, p_neutral double, p_positive double, score double,
    model_version varchar, scored_at timestamp
);
create table scores.nps_comment_sentiment (
    response_id varchar, partition_month date, text_hash varchar, label varchar,
    p_negative double, p_neutral double, p_positive double, score double,
    model_version varchar, scored_at timestamp
);
"""
MENTIONS_HEADER = (
    "mention_id,platform,created_at,author_id,text,brand,in_reply_to_id,language,"
    "author_followers,url,deleted_at\n"
)


def mentions_csv(swapped: set[int]) -> str:
    """Thirty March mentions; the rows in `swapped` have created_at and deleted_at exchanged."""
    lines = []
    for i in range(30):
        created, deleted = f"2010-03-{i % 28 + 1:02d}T10:{i:02d}:00", ""
        if i % 5 == 0:
            deleted = f"2010-03-{i % 28 + 1:02d}T18:00:00"
        if i in swapped:
            created, deleted = deleted, created
        brand = "Hanzebank" if i % 2 else "Tulpbank"
        lines.append(
            f"{1000 + i},twitter,{created},klant{i},@{brand} vraag nummer {i},,,nl,{i},,{deleted}"
        )
    return MENTIONS_HEADER + "\n".join(lines) + "\n"


def land(settings: Settings, mentions: str) -> None:
    landing = settings.landing_path
    for relative, text in (
        ("brands/brands.csv", BRANDS),
        ("webcare_accounts/webcare_accounts.csv", ACCOUNTS),
        ("mentions/2010-03/mentions.csv", mentions),
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
    return Settings.from_env(tmp_path, pseudonymisation_key="test-key", first_month="2010-01")


def run_raw_to_published(settings: Settings) -> dg.ExecuteInProcessResult:
    """Raw loaders, dbt marts and publishing for March 2010, with every check on them.

    Scoring is left out of the selection: the run must stop before the marts
    whatever scores hold, and leaving it out keeps the sentiment model unloaded.
    """
    defs = build_definitions(settings)
    with duckdb.connect(settings.duckdb_path) as conn:
        conn.execute(SCORE_TABLES)
    return dg.materialize(
        [*defs.assets, *defs.asset_checks],
        selection=RAW | MARTS | PUBLISHED,
        partition_key="2010-03",
        resources=defs.resources,
        raise_on_error=False,
    )


def test_a_broken_landing_file_stops_the_run_before_the_marts(settings):
    land(settings, mentions_csv(swapped={5, 10, 15}))
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
    assert failed["rule"] == "deleted_at is not before created_at"
    assert failed["unexpected_count"] == 3
    assert {(e["_source_file"], e["_source_line"]) for e in failed["examples"]} == {
        ("mentions/2010-03/mentions.csv", 7),
        ("mentions/2010-03/mentions.csv", 12),
        ("mentions/2010-03/mentions.csv", 17),
    }
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
        and "deleted_at is not before created_at" in stderr.getvalue()
    )
