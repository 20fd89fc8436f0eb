"""Source freshness: each monthly raw source's newest month against the calendar, warn only.

The raw tables are the real ones: three demo months (2010-01..2010-03) loaded by the
raw assets; "now" is injected into the checks.
"""

from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.checks import FRESHNESS_CHECK_NAME, build_asset_checks
from assets.checks.freshness import Freshness, build_freshness_checks, read_freshness
from assets.raw import build_raw_assets
from demo import generate
from orchestration import commands
from orchestration.summary import print_check_summary
from warehouse.partitions import monthly_partitions
from warehouse.resource import WarehouseResource
from warehouse.settings import (
    PARTITIONED_SOURCES,
    REFERENCE_SOURCES,
    SOURCE_MAX_AGE_MONTHS,
    Settings,
)

DEMO_MONTHS = ("2010-01", "2010-03")


def _resources(settings: Settings) -> dict[str, object]:
    return {"warehouse": WarehouseResource(database=settings.duckdb_path), "settings": settings}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A home with three small demo months loaded into raw.* by the raw assets."""
    home = tmp_path_factory.mktemp("freshness") / "home"
    generate(home / "landing", home / "truth.json", seed=3, size="small", months=3)
    settings = Settings.from_env(home)
    raw = build_raw_assets(monthly_partitions(settings))
    reference = [dg.AssetKey(["raw", source]) for source in REFERENCE_SOURCES]
    reference.append(dg.AssetKey(["raw", "webcare_account_opening_hours"]))
    dg.materialize(
        raw, selection=dg.AssetSelection.assets(*reference), resources=_resources(settings)
    )
    monthly = [dg.AssetKey(["raw", source]) for source in PARTITIONED_SOURCES]
    dg.materialize(
        raw,
        selection=dg.AssetSelection.assets(*monthly),
        tags=commands.range_tags(*DEMO_MONTHS),
        resources=_resources(settings),
    )
    return settings


def materialize_checks(settings: Settings, now: datetime) -> dg.ExecuteInProcessResult:
    """Run only the freshness checks against the loaded warehouse at `now`; a warning
    never fails the run."""
    checks = build_freshness_checks(lambda: now)
    raw = build_raw_assets(monthly_partitions(settings))
    result = dg.materialize(
        [*raw, *checks],
        selection=dg.AssetSelection.checks(*checks),
        resources=_resources(settings),
    )
    assert result.success
    return result


def evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    """The check evaluations of `result`, by source."""
    return {e.asset_key.path[-1]: e for e in result.get_asset_check_evaluations()}


def run_checks(settings: Settings, now: datetime) -> dict[str, dg.AssetCheckEvaluation]:
    """The freshness checks' evaluations at `now`, by source."""
    return evaluations(materialize_checks(settings, now))


def test_a_stale_source_warns_naming_its_newest_month_and_limit(loaded, capsys):
    result = materialize_checks(loaded, datetime(2010, 6, 10, 12, tzinfo=UTC))
    found = evaluations(result)
    assert set(found) == set(PARTITIONED_SOURCES)
    assert all(e.check_name == FRESHNESS_CHECK_NAME for e in found.values())
    assert all(e.severity == dg.AssetCheckSeverity.WARN for e in found.values())
    mentions = found["mentions"]
    assert not mentions.passed
    assert mentions.description == (
        "raw.mentions is stale: its newest month 2010-03 is 3 months before the current month "
        "2010-06, more than its limit of 1 month (WEBCARE_SOURCE_MAX_AGE_MONTHS)"
    )
    assert mentions.metadata["newest_month"].value == "2010-03"
    assert mentions.metadata["age_months"].value == 3
    assert mentions.metadata["max_age_months"].value == 1
    assert not found["complaints"].passed
    assert not found["stock_prices"].passed
    # NPS answers may come in quarterly waves: three months old is within their limit.
    assert found["nps_responses"].passed
    assert found["nps_responses"].description == (
        "raw.nps_responses is fresh: its newest month 2010-03 is 3 months before 2010-06, "
        "within its limit of 3 months (WEBCARE_SOURCE_MAX_AGE_MONTHS)"
    )

    # `webcare run` lists the warning as a warning, not as a failure.
    print_check_summary([result])
    printed = capsys.readouterr().out
    assert "Checks: 4 run, 1 pass, 3 warn, 0 fail" in printed
    assert "  warn raw/mentions:source_freshness raw.mentions is stale" in printed


def test_the_month_just_ended_is_fresh_in_the_reporting_time_zone(loaded):
    # 22:30 UTC on 31 March is already April in Amsterdam (UTC+2 in summer time).
    found = run_checks(loaded, datetime(2010, 3, 31, 22, 30, tzinfo=UTC))
    assert all(e.passed for e in found.values())
    assert found["mentions"].description == (
        "raw.mentions is fresh: its newest month 2010-03 is 1 month before 2010-04, "
        "within its limit of 1 month (WEBCARE_SOURCE_MAX_AGE_MONTHS)"
    )
    found = run_checks(loaded, datetime(2010, 3, 31, 21, 30, tzinfo=UTC))
    assert found["mentions"].metadata["age_months"].value == 0
    assert found["mentions"].passed


def test_a_limit_set_for_one_source_applies_to_that_source_only(loaded):
    settings = Settings.from_env(loaded.home, source_max_age_months={"mentions": 4})
    found = run_checks(settings, datetime(2010, 7, 1, 12, tzinfo=UTC))
    assert found["mentions"].passed
    assert found["mentions"].metadata["max_age_months"].value == 4
    assert not found["complaints"].passed
    assert found["complaints"].metadata["max_age_months"].value == 1
    assert not found["nps_responses"].passed


def test_a_source_without_rows_is_stale():
    with duckdb.connect() as conn:
        freshness = read_freshness(conn, "nps_responses", date(2010, 6, 1), 3)
        assert freshness.newest_month is None and not freshness.is_fresh
        assert freshness.describe() == (
            "raw.nps_responses is stale: it holds no rows (its newest month may be at most "
            "3 months before the current month 2010-06, WEBCARE_SOURCE_MAX_AGE_MONTHS)"
        )
        conn.execute("create schema raw")
        conn.execute("create table raw.nps_responses (partition_month date, answered_at timestamp)")
        assert read_freshness(conn, "nps_responses", date(2010, 6, 1), 3).newest_month is None


def test_age_counts_calendar_months_across_a_year_end():
    assert Freshness("mentions", date(2011, 12, 1), date(2012, 1, 1), 1).age_months == 1
    assert Freshness("mentions", date(2011, 12, 1), date(2012, 1, 1), 1).is_fresh
    assert Freshness("mentions", date(2011, 11, 1), date(2013, 1, 1), 1).age_months == 14
    assert not Freshness("mentions", date(2011, 11, 1), date(2013, 1, 1), 13).is_fresh


def test_every_monthly_source_has_one_declared_limit_and_a_check(tmp_path: Path):
    assert set(SOURCE_MAX_AGE_MONTHS) == set(PARTITIONED_SOURCES)
    settings = Settings.from_env(tmp_path, source_max_age_months={"nps_responses": 6})
    assert settings.source_max_age_months == {**SOURCE_MAX_AGE_MONTHS, "nps_responses": 6}
    with pytest.raises(ValueError, match=r"unknown source\(s\) tweets"):
        Settings.from_env(tmp_path, source_max_age_months={"tweets": 1})
    with pytest.raises(ValueError, match="0 or more months, not for mentions"):
        Settings.from_env(tmp_path, source_max_age_months={"mentions": -1})
    checks = build_asset_checks(monthly_partitions(settings), {})
    specs = {
        spec.key: spec
        for check in checks
        for spec in check.check_specs
        if spec.key.name == FRESHNESS_CHECK_NAME
    }
    assert {key.asset_key.path[-1] for key in specs} == set(PARTITIONED_SOURCES)
    assert not any(spec.blocking for spec in specs.values())
