"""Which month `webcare run` reports on: the latest month with complete data
(every source with rows in it has one in its last three days or later)."""

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.commands import EVENT_TIMESTAMPS, choose_report_month
from warehouse.settings import Settings

COLUMNS = EVENT_TIMESTAMPS


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(tmp_path)


def land(settings: Settings, source: str, rows: list[tuple[str, str]]) -> None:
    """Rows of (partition month, UTC timestamp) in a minimal raw table of `source`."""
    with duckdb.connect(settings.duckdb_path) as conn:
        conn.execute("create schema if not exists raw")
        conn.execute(
            f"create table if not exists raw.{source} "
            f"(partition_month date, {COLUMNS[source]} timestamp)"
        )
        conn.executemany(
            f"insert into raw.{source} values (?, ?)",
            [(f"{month}-01", datetime.fromisoformat(ts)) for month, ts in rows],
        )


def test_an_export_that_stops_early_in_a_month_reports_the_month_before(settings):
    land(
        settings,
        "mentions",
        [
            ("2017-09", "2017-09-12 10:00:00"),
            ("2017-10", "2017-10-31 12:00:00"),
            ("2017-11", "2017-11-30 21:00:00"),
            ("2017-12", "2017-12-03 09:30:00"),
        ],
    )
    assert choose_report_month(settings, "2017-09", "2017-12") == (
        "2017-11",
        "the latest month with complete data; mentions end on 2017-12-03",
    )


def test_a_month_covered_to_its_last_local_day_is_complete(settings):
    # 22:30 UTC on 31 December is 23:30 in Amsterdam: the last day is covered.
    land(
        settings,
        "mentions",
        [("2011-11", "2011-11-29 08:00:00"), ("2011-12", "2011-12-31 22:30:00")],
    )
    land(settings, "nps_responses", [("2011-12", "2011-12-31 18:00:00")])
    assert choose_report_month(settings, "2011-11", "2011-12") == (
        "2011-12",
        "the latest month with complete data",
    )


def test_a_quiet_last_day_or_two_still_completes_a_month(settings):
    # Sparse sources skip days: a newest row in the month's last three days will do.
    land(settings, "mentions", [("2011-12", "2011-12-29 10:00:00")])
    assert choose_report_month(settings, "2011-12", "2011-12")[0] == "2011-12"
    land(settings, "nps_responses", [("2011-12", "2011-12-28 12:00:00")])
    assert choose_report_month(settings, "2011-12", "2011-12") == (
        "2011-12",
        "the run's last month, although no month has complete data",
    )


def test_the_last_days_are_counted_in_the_reporting_time_zone(settings):
    # 28 November 03:00 UTC is 04:00 on the 28th in Amsterdam, inside November's last
    # three days, but 17:00 on the 27th in Honolulu, where November is not covered.
    land(settings, "mentions", [("2011-11", "2011-11-28 03:00:00")])
    assert choose_report_month(settings, "2011-11", "2011-11") == (
        "2011-11",
        "the latest month with complete data",
    )
    honolulu = settings.model_copy(update={"reporting_timezone": "Pacific/Honolulu"})
    assert choose_report_month(honolulu, "2011-11", "2011-11") == (
        "2011-11",
        "the run's last month, although no month has complete data",
    )


def test_every_source_with_rows_in_the_month_must_cover_it(settings):
    land(
        settings,
        "mentions",
        [("2019-01", "2019-01-31 12:00:00"), ("2019-02", "2019-02-28 12:00:00")],
    )
    land(
        settings,
        "complaints",
        [("2019-01", "2019-01-31 12:00:00"), ("2019-02", "2019-02-11 12:00:00")],
    )
    assert choose_report_month(settings, "2019-01", "2019-02") == (
        "2019-01",
        "the latest month with complete data; complaints end on 2019-02-11",
    )


def test_a_source_that_stopped_long_ago_does_not_hold_the_report_back(settings):
    land(settings, "nps_responses", [("2010-03", "2010-03-14 12:00:00")])
    land(
        settings,
        "mentions",
        [("2010-03", "2010-03-31 12:00:00"), ("2011-06", "2011-06-30 12:00:00")],
    )
    # March 2010 is not complete for NPS, June 2011 holds no NPS answers.
    assert choose_report_month(settings, "2010-03", "2011-06")[0] == "2011-06"


def test_without_mentions_the_other_sources_decide(settings):
    land(
        settings,
        "complaints",
        [("2020-02", "2020-02-29 10:00:00"), ("2020-03", "2020-03-18 10:00:00")],
    )
    assert choose_report_month(settings, "2020-02", "2020-03") == (
        "2020-02",
        "the latest month with complete data; complaints end on 2020-03-18",
    )


def test_only_the_runs_months_count_and_no_complete_month_falls_back_to_the_last(settings):
    land(
        settings,
        "mentions",
        [("2017-11", "2017-11-30 12:00:00"), ("2017-12", "2017-12-03 12:00:00")],
    )
    assert choose_report_month(settings, "2017-12", "2017-12") == (
        "2017-12",
        "the run's last month, although no month has complete data",
    )
    assert choose_report_month(settings, "2017-11", "2017-11")[0] == "2017-11"


def test_share_prices_alone_do_not_make_a_complete_month(settings):
    with duckdb.connect(settings.duckdb_path) as conn:
        conn.execute("create schema raw")
        conn.execute("create table raw.stock_prices (partition_month date, date date)")
        conn.execute("insert into raw.stock_prices values ('2013-02-01', '2013-02-08')")
    assert choose_report_month(settings, "2013-02", "2013-02") == (
        "2013-02",
        "the run's last month; it has no mentions, complaints or NPS answers",
    )
