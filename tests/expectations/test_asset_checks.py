"""The asset checks in Dagster runs on a temporary DuckDB warehouse.

The raw, score and mart assets here are small test stand-ins that write the
tables of `warehouse.contract` (created as production creates them) with rows
chosen by the test: they are the only way to land rows the real loaders would
never write (a duplicate id, a probability of 1.2), which is what the checks
exist to catch.
"""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.checks import GX_CHECK_NAME, VOLUME_CHECK_NAME, build_asset_checks
from assets.checks.marts import build_mart_checks
from assets.checks.raw import build_raw_checks
from assets.checks.scores import build_score_checks
from assets.checks.volume import build_volume_checks
from expectations.runner import data_docs_index
from warehouse.contract import ensure_tables
from warehouse.partitions import monthly_partitions
from warehouse.resource import WarehouseResource
from warehouse.settings import Settings

# Per brand and month: 40 customer mentions a month, two of them answered by the brand.
MENTIONS_SQL = """
insert into raw.mentions
select
    'm' || strftime(m, '%Y%m') || '_' || b || '_' || i::varchar,
    'twitter',
    m::timestamp + to_hours(i * 12 + 5),
    case when i < 2 then b || '_care'
        else 'p_' || lpad(printf('%x', i + 1000 * b_idx), 16, '0') end,
    i < 2,
    'Bericht nummer ' || i::varchar,
    b,
    null, 'nl', 10, null, null, null,
    m::date,
    'mentions/' || strftime(m, '%Y-%m') || '.csv',
    i + 2,
    now()::timestamp
from (select unnest(?::date[]) as m)
cross join (select * from (values ('bank_a', 1), ('bank_b', 2)) as v(b, b_idx))
cross join range(40) as t(i)
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(tmp_path, first_month="2009-01")


@pytest.fixture
def warehouse(settings: Settings) -> WarehouseResource:
    with duckdb.connect(settings.duckdb_path) as conn:
        ensure_tables(conn)
        conn.execute("create schema marts")
        conn.execute(
            "insert into raw.brands (brand, display_name, sector, currency, _source_file, "
            "_source_line, _loaded_at) values "
            "('bank_a', 'Bank A', 'banks', 'EUR', 'brands.csv', 2, now()), "
            "('bank_b', 'Bank B', 'banks', 'EUR', 'brands.csv', 3, now())"
        )
    return WarehouseResource(database=settings.duckdb_path)


def resources(settings, warehouse):
    return {"settings": settings, "warehouse": warehouse}


def sql(warehouse: WarehouseResource, statement: str, params=None) -> list[tuple]:
    with duckdb.connect(warehouse.database) as conn:
        result = conn.execute(statement, params or [])
        return result.fetchall() if result.description else []


def stand_in_mentions(partitions_def, damage: str | None = None):
    """A test stand-in for ``raw/mentions``: lands 40 mentions per brand for each run month,
    then applies `damage` (an SQL statement) to show a check what a broken landing looks like."""

    @dg.asset(key=["raw", "mentions"], partitions_def=partitions_def)
    def mentions(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> None:
        months = [f"{key}-01" for key in context.partition_keys]
        with warehouse.connect() as conn:
            conn.execute(
                "delete from raw.mentions where partition_month in (select unnest(?::date[]))",
                [months],
            )
            conn.execute(MENTIONS_SQL, [months])
            if damage:
                conn.execute(damage)

    return mentions


def downstream(name: str, upstream: list[list[str]], partitions_def=None):
    """A test asset downstream of `upstream`: records that it ran."""

    @dg.asset(key=[name], deps=[dg.AssetKey(k) for k in upstream], partitions_def=partitions_def)
    def marker(context: dg.AssetExecutionContext) -> None:
        context.log.info(f"{name} ran")

    return marker


def only(checks, asset: list[str], name: str = GX_CHECK_NAME):
    key = dg.AssetCheckKey(dg.AssetKey(asset), name)
    return [c for c in checks if key in c.check_keys]


def evaluation(result: dg.ExecuteInProcessResult, asset: list[str], name: str = GX_CHECK_NAME):
    [found] = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key == dg.AssetKey(asset) and e.check_name == name
    ]
    return found


def materialised(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


# Mart name -> grain, as `assets.dbt.mart_primary_keys` reads them from the dbt manifest.
BRAND_MONTH = ("brand", "reporting_month")
MART_GRAINS = {"fct_sentiment_monthly": BRAND_MONTH, "fct_nps_monthly": BRAND_MONTH}


def test_checks_build_without_importing_great_expectations(settings):
    import subprocess
    import sys

    code = (
        "import sys; from assets.checks import build_asset_checks; "
        "from warehouse.partitions import monthly_partitions; "
        "from warehouse.settings import Settings; "
        "s = Settings(home='h', duckdb_path='d', landing_dir='l', published_dir='p', "
        "state_dir='s', model_cache_dir='m', sentiment_calibration_file='c', "
        "spark_dir='sp'); "
        f"checks = build_asset_checks(monthly_partitions(s), {MART_GRAINS!r}); "
        "print(len(checks), 'great_expectations' in sys.modules, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # 6 raw, 2 volume, 4 freshness and 2 score checks, one per mart.
    assert out.stdout.split() == [str(14 + len(MART_GRAINS)), "False", "False"]


def test_every_boundary_asset_has_its_checks(settings):
    checks = build_asset_checks(monthly_partitions(settings), MART_GRAINS)
    keys = {key for c in checks for key in c.check_keys}
    for asset in (
        ["raw", "mentions"],
        ["raw", "complaints"],
        ["raw", "nps_responses"],
        ["raw", "stock_prices"],
        ["raw", "brands"],
        ["raw", "webcare_accounts"],
        ["scores", "mention_sentiment"],
        ["scores", "nps_comment_sentiment"],
        ["marts", "fct_sentiment_monthly"],
        ["marts", "fct_nps_monthly"],
    ):
        assert dg.AssetCheckKey(dg.AssetKey(asset), GX_CHECK_NAME) in keys
    for asset in (["raw", "mentions"], ["raw", "complaints"]):
        assert dg.AssetCheckKey(dg.AssetKey(asset), VOLUME_CHECK_NAME) in keys
    specs = {spec.key: spec for c in checks for spec in c.check_specs}
    assert all(s.blocking for k, s in specs.items() if k.name == GX_CHECK_NAME)
    assert not any(s.blocking for k, s in specs.items() if k.name == VOLUME_CHECK_NAME)
    checks = build_mart_checks({"fct_a_monthly": BRAND_MONTH})
    assert [k for c in checks for k in c.check_keys] == [
        dg.AssetCheckKey(dg.AssetKey(["marts", "fct_a_monthly"]), GX_CHECK_NAME)
    ]


def test_a_clean_month_passes_and_the_run_goes_on(settings, warehouse):
    partitions = monthly_partitions(settings)
    result = dg.materialize(
        [
            stand_in_mentions(partitions),
            *only(build_raw_checks(partitions), ["raw", "mentions"]),
            downstream("sentiment", [["raw", "mentions"]], partitions),
        ],
        partition_key="2010-03",
        resources=resources(settings, warehouse),
    )
    assert result.success
    check = evaluation(result, ["raw", "mentions"])
    assert check.passed
    assert check.metadata["rows_validated"].value == 80 + 1  # the table, plus its landing row
    assert check.metadata["months"].value == "2010-03"
    assert materialised(result) == {"raw/mentions", "sentiment"}
    assert data_docs_index(settings).is_file()


def test_a_failing_blocking_check_stops_downstream_in_the_same_run(settings, warehouse):
    partitions = monthly_partitions(settings)
    # A second copy of one mention: the export was concatenated twice.
    damage = (
        "insert into raw.mentions select * from raw.mentions where mention_id like '%_bank_a_7'"
    )
    result = dg.materialize(
        [
            stand_in_mentions(partitions, damage),
            *only(build_raw_checks(partitions), ["raw", "mentions"]),
            downstream("sentiment", [["raw", "mentions"]], partitions),
        ],
        partition_key="2010-03",
        resources=resources(settings, warehouse),
        raise_on_error=False,
    )
    assert not result.success
    assert materialised(result) == {"raw/mentions"}  # "sentiment" never ran
    check = evaluation(result, ["raw", "mentions"])
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    [failed] = check.metadata["failed_expectations"].value
    assert failed["rule"] == "a mention is unique (platform, mention_id)"
    assert failed["unexpected_count"] == 2
    assert failed["examples"][0]["mention_id"] == "m201003_bank_a_7"
    assert failed["examples"][0]["_source_file"] == "mentions/2010-03.csv"
    assert "a mention is unique (platform, mention_id)" in check.description
    failure = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "blocking asset check failed" in str(failure[0].event_specific_data.error.message)


def test_warn_level_failures_do_not_block(settings, warehouse):
    partitions = monthly_partitions(settings)
    # Half of the texts lost: suspicious (warn), not proof of a broken load.
    damage = "update raw.mentions set text = '' where _source_line % 2 = 0"
    result = dg.materialize(
        [
            stand_in_mentions(partitions, damage),
            *only(build_raw_checks(partitions), ["raw", "mentions"]),
            downstream("sentiment", [["raw", "mentions"]], partitions),
        ],
        partition_key="2010-03",
        resources=resources(settings, warehouse),
    )
    assert result.success
    check = evaluation(result, ["raw", "mentions"])
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["expectations_failed_warn"].value == 1
    assert materialised(result) == {"raw/mentions", "sentiment"}


def test_a_range_run_validates_every_month_of_the_range(settings, warehouse):
    partitions = monthly_partitions(settings)
    # A row filed under March although it was written in April.
    damage = (
        "update raw.mentions set partition_month = date '2010-03-01' "
        "where mention_id = 'm201004_bank_b_3'"
    )
    result = dg.materialize(
        [
            stand_in_mentions(partitions, damage),
            *only(build_raw_checks(partitions), ["raw", "mentions"]),
        ],
        tags={
            "dagster/asset_partition_range_start": "2010-03",
            "dagster/asset_partition_range_end": "2010-04",
        },
        resources=resources(settings, warehouse),
        raise_on_error=False,
    )
    check = evaluation(result, ["raw", "mentions"])
    assert check.metadata["months"].value == "2010-03..2010-04"
    assert check.metadata["rows_validated"].value == 160 + 2
    [failed] = check.metadata["failed_expectations"].value
    assert failed["rule"] == "partition_month is the month of created_at"
    assert failed["examples"][0]["mention_id"] == "m201004_bank_b_3"


@pytest.mark.parametrize("min_month_rows", [50, 100])
def test_reject_share_over_the_threshold_blocks_a_month_large_enough_to_judge(
    settings, warehouse, min_month_rows
):
    """10 of 90 rows refused: judged (and blocked) from 50 rows a month, not from 100."""
    settings = Settings.from_env(
        settings.home,
        first_month=settings.first_month,
        reject_min_month_rows=min_month_rows,
    )
    partitions = monthly_partitions(settings)
    damage = (
        "insert into raw.rejected_rows select 'mentions', 'mentions/2010-03.csv', range, "
        "'created_at', 'not a timestamp', null, date '2010-03-01', now(), true from range(10)"
    )
    result = dg.materialize(
        [
            stand_in_mentions(partitions, damage),
            *only(build_raw_checks(partitions), ["raw", "mentions"]),
        ],
        partition_key="2010-03",
        resources=resources(settings, warehouse),
        raise_on_error=False,
    )
    check = evaluation(result, ["raw", "mentions"])
    if min_month_rows == 100:
        assert check.passed
        return
    [failed] = check.metadata["failed_expectations"].value
    assert failed["rule"] == "at most 5.0% of a month's rows were rejected"
    assert failed["examples"] == [
        {
            "reject_share": pytest.approx(10 / 90),
            "partition_month": "2010-03-01T00:00:00",
            "rows_loaded": 80,
            "rows_rejected": 10,
        }
    ]


@pytest.mark.parametrize("dated_in_month", [True, False])
def test_refused_rows_without_a_month_of_their_own_do_not_count_for_the_month(
    settings, warehouse, dated_in_month
):
    """10 refused rows beside 80 loaded: the month's loss when their own dates put them
    there, the files' (already judged by the loader) when they are only filed there."""
    settings = Settings.from_env(
        settings.home,
        first_month=settings.first_month,
        reject_min_month_rows=50,
    )
    partitions = monthly_partitions(settings)
    damage = (
        "insert into raw.rejected_rows select 'mentions', 'mentions/2010-03.csv', range, "
        "'created_at', 'not a timestamp', null, date '2010-03-01', now(), "
        f"{str(dated_in_month).lower()} from range(10)"
    )
    result = dg.materialize(
        [
            stand_in_mentions(partitions, damage),
            *only(build_raw_checks(partitions), ["raw", "mentions"]),
        ],
        partition_key="2010-03",
        resources=resources(settings, warehouse),
        raise_on_error=False,
    )
    assert evaluation(result, ["raw", "mentions"]).passed is not dated_in_month


def march_volume_check(settings, warehouse, damage: str, *downstream_assets):
    """Five months of 40 mentions per bank, then March landed with `damage` applied and
    the mentions' volume check run (with `downstream_assets`): the result and the check."""
    partitions = monthly_partitions(settings)
    with duckdb.connect(warehouse.database) as conn:
        history = [f"2009-{m:02d}-01" for m in range(10, 13)] + ["2010-01-01", "2010-02-01"]
        conn.execute(MENTIONS_SQL, [history])
    result = dg.materialize(
        [
            stand_in_mentions(partitions, damage),
            *build_volume_checks(partitions)[:1],
            *downstream_assets,
        ],
        partition_key="2010-03",
        resources=resources(settings, warehouse),
    )
    return result, evaluation(result, ["raw", "mentions"], VOLUME_CHECK_NAME)


def test_volume_anomaly_warns_with_the_brand_month(settings, warehouse):
    # bank_b lost most of March: 6 mentions left of the usual 40; bank_a's run to the
    # month's last day, so March is not a month the export stops in.
    damage = (
        "delete from raw.mentions where brand = 'bank_b' "
        "and partition_month = '2010-03-01' and _source_line > 7; "
        "update raw.mentions set created_at = '2010-03-31 09:00' where brand = 'bank_a' "
        "and partition_month = '2010-03-01' and _source_line = 41"
    )
    sentiment = downstream("sentiment", [["raw", "mentions"]], monthly_partitions(settings))
    result, check = march_volume_check(settings, warehouse, damage, sentiment)
    assert result.success
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert check.metadata["anomalous_brand_months"].value == [
        "bank_b 2010-03: 6 (trailing 12 months 40..40)"
    ]
    assert materialised(result) == {"raw/mentions", "sentiment"}
    assert "export" not in check.description


def test_volume_anomaly_in_a_month_the_export_stops_in_says_so(settings, warehouse):
    """An export cut short (the twcs sample stops on 3 December 2017) is a drop in the
    month's volume too: the warning says where the month's rows end."""
    # every mention after 3 March 09:00 UTC (10:00 in Amsterdam) is gone: 5 per brand left
    damage = (
        "delete from raw.mentions where partition_month = '2010-03-01' "
        "and created_at > '2010-03-03 09:00'"
    )
    _, check = march_volume_check(settings, warehouse, damage)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    note = (
        "the mentions of 2010-03 end on 2010-03-03, 28 days before the month does: "
        "an export that stops there, or rows lost"
    )
    assert check.metadata["anomalous_brand_months"].value == [
        f"bank_a 2010-03: 5 (trailing 12 months 40..40); {note}",
        f"bank_b 2010-03: 5 (trailing 12 months 40..40); {note}",
    ]
    assert check.description.endswith(f" ({note})")


def stand_in_scores(partitions_def, damage: str | None = None):
    """A test stand-in for ``scores/mention_sentiment``: scores every inbound mention."""

    @dg.asset(
        key=["scores", "mention_sentiment"],
        deps=[dg.AssetKey(["raw", "mentions"])],
        partitions_def=partitions_def,
    )
    def scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> None:
        with warehouse.connect() as conn:
            conn.execute(
                """
                insert into scores.mention_sentiment
                select platform, mention_id, partition_month, md5(text),
                    ['negative', 'neutral', 'positive'][_source_line % 3 + 1],
                    case _source_line % 3 when 0 then 0.7 else 0.15 end,
                    case _source_line % 3 when 1 then 0.7 else 0.15 end,
                    case _source_line % 3 when 2 then 0.7 else 0.15 end,
                    case _source_line % 3 when 0 then -0.55 when 1 then 0 else 0.55 end,
                    'test-model', now()
                from raw.mentions
                where partition_month = ? and not is_brand_account
                """,
                [f"{context.partition_key}-01"],
            )
            if damage:
                conn.execute(damage)

    return scores


@pytest.mark.parametrize(
    ("damage", "rule"),
    [
        (None, None),
        (
            "delete from scores.mention_sentiment where mention_id = 'm201003_bank_a_9'",
            "every inbound mention of the months has a score",
        ),
        (
            "update scores.mention_sentiment set p_neutral = 0.9 where mention_id like '%_14'",
            "the three probabilities sum to 1 (within 0.001)",
        ),
    ],
)
def test_score_check_blocks_what_reads_the_scores(settings, warehouse, damage, rule):
    partitions = monthly_partitions(settings)
    result = dg.materialize(
        [
            stand_in_mentions(partitions),
            stand_in_scores(partitions, damage),
            *build_score_checks(partitions)[:1],
            downstream("marts", [["scores", "mention_sentiment"]]),
        ],
        partition_key="2010-03",
        resources=resources(settings, warehouse),
        raise_on_error=False,
    )
    check = evaluation(result, ["scores", "mention_sentiment"])
    if rule is None:
        assert check.passed and result.success
        assert "marts" in materialised(result)
        return
    assert not check.passed and not result.success
    assert [f["rule"] for f in check.metadata["failed_expectations"].value] == [rule]
    assert "marts" not in materialised(result)


def stand_in_mart(share_of_voice: float):
    """Test stand-ins for dbt's ``marts/dim_*`` and one monthly mart."""

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(["marts", "dim_brands"]),
            dg.AssetSpec(["marts", "dim_months"]),
            dg.AssetSpec(["marts", "fct_sentiment_monthly"]),
        ]
    )
    def marts(warehouse: WarehouseResource):
        with warehouse.connect() as conn:
            conn.execute(
                """
                create or replace table marts.dim_brands as
                select * from (values ('bank_a', 'banks'), ('bank_b', 'banks')) t(brand, sector);
                create or replace table marts.dim_months as
                select * from (values (date '2010-03-01'), (date '2010-04-01')) t(reporting_month);
                create or replace table marts.fct_sentiment_monthly as
                select b.brand, m.reporting_month, 40::bigint as mentions,
                    0.5 as share_of_voice, 0.25 as net_sentiment
                from marts.dim_brands b cross join marts.dim_months m
                """
            )
            conn.execute(
                "update marts.fct_sentiment_monthly set share_of_voice = ? "
                "where brand = 'bank_b' and reporting_month = '2010-04-01'",
                [share_of_voice],
            )
        for key in ("dim_brands", "dim_months", "fct_sentiment_monthly"):
            yield dg.MaterializeResult(asset_key=["marts", key])

    return marts


@pytest.mark.parametrize("share_of_voice", [0.5, 1.5])
def test_mart_check_blocks_publishing(settings, warehouse, share_of_voice):
    keys = [
        dg.AssetKey(["marts", m]) for m in ("dim_brands", "dim_months", "fct_sentiment_monthly")
    ]
    result = dg.materialize(
        [
            stand_in_mart(share_of_voice),
            *build_mart_checks(
                {
                    "dim_brands": ("brand",),
                    "dim_months": ("reporting_month",),
                    "fct_sentiment_monthly": BRAND_MONTH,
                }
            ),
            downstream("publish", [list(k.path) for k in keys]),
        ],
        resources=resources(settings, warehouse),
        raise_on_error=False,
    )
    check = evaluation(result, ["marts", "fct_sentiment_monthly"])
    if share_of_voice <= 1:
        assert check.passed and "publish" in materialised(result)
        assert all(evaluation(result, ["marts", d]).passed for d in ("dim_brands", "dim_months"))
        return
    assert not check.passed and "publish" not in materialised(result)
    [failed] = check.metadata["failed_expectations"].value
    assert failed["rule"] == "share_of_voice is a share in [0, 1]"
    assert failed["examples"] == [
        {"share_of_voice": 1.5, "brand": "bank_b", "reporting_month": "2010-04-01T00:00:00"}
    ]


def test_a_missing_table_fails_the_check_with_its_name(settings, warehouse):
    partitions = monthly_partitions(settings)

    @dg.asset(key=["raw", "complaints"], partitions_def=partitions)
    def complaints() -> None:
        """A test stand-in for a loader that wrote no table."""

    # Every raw write creates every raw table: only a damaged warehouse lacks one.
    sql(warehouse, "drop table raw.complaints")
    result = dg.materialize(
        [complaints, *only(build_raw_checks(partitions), ["raw", "complaints"])],
        partition_key="2010-03",
        resources=resources(settings, warehouse),
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "cannot check: raw.complaints missing from the warehouse" in (
        failure.event_specific_data.error.to_string()
    )


@pytest.mark.parametrize("ticker", ["BNKB", "BNKA"])
def test_reference_check_validates_the_whole_table(settings, warehouse, ticker):
    @dg.asset(key=["raw", "brands"])
    def brands(warehouse: WarehouseResource) -> None:
        """A test stand-in for the brand loader: a third brand, with `ticker`."""
        with warehouse.connect() as conn:
            conn.execute(
                "update raw.brands set ticker = 'BNKA' where brand = 'bank_a';"
                "insert into raw.brands (brand, display_name, sector, currency, ticker, "
                "_source_file, _source_line, _loaded_at) "
                "values ('bank_c', 'Bank C', 'banks', 'EUR', ?, 'brands.csv', 4, now())",
                [ticker],
            )
            conn.execute(
                "insert into raw.rejected_rows (source, file, line, reason, rejected_at) "
                "values ('brands', 'brands/brands.csv', 5, 'brand is missing', now())"
            )

    result = dg.materialize(
        [brands, *only(build_raw_checks(monthly_partitions(settings)), ["raw", "brands"])],
        resources=resources(settings, warehouse),
        raise_on_error=False,
    )
    check = evaluation(result, ["raw", "brands"])
    assert check.metadata["months"].value == "all"
    assert check.metadata["rows_validated"].value == 3 + 1
    # One refused row of four is 25%, over the 5% threshold, in both cases.
    rules = [f["rule"] for f in check.metadata["failed_expectations"].value]
    if ticker == "BNKA":
        assert rules == [
            "no two brands share a ticker (market cap would count twice)",
            "at most 5.0% of the table's rows were rejected",
        ]
    else:
        assert rules == ["at most 5.0% of the table's rows were rejected"]
