"""Row rules shared by the loader and the blocking raw checks (`expectations.rules`).

A row that would fail an error-level expectation of a raw suite is refused at
load into raw.rejected_rows (line, column, reason), so it never reaches raw
where it would block every later run; a row at the very limit is loaded and
passes the suite.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import dagster as dg
import polars as pl
import pytest

from assets.checks.raw import build_raw_checks
from assets.raw import build_raw_assets
from assets.raw.adapters import resolve_adapter
from assets.raw.enrich import Reference, enrich_mentions, pseudonymise_columns
from assets.raw.pseudonymise import pseudonymise
from assets.raw.readers import LINE, read_landed_file
from assets.raw.schemas import SCHEMAS
from assets.raw.validation import COLUMN, PARTITION, REASON, Validated, validate
from expectations.suites import (
    ERROR,
    raw_brands,
    raw_complaints,
    raw_mentions,
    raw_nps_responses,
    raw_stock_prices,
    raw_webcare_accounts,
)
from expectations.window import MonthWindow
from warehouse.partitions import monthly_partitions
from warehouse.resource import WarehouseResource
from warehouse.settings import Settings

NOW = datetime(2010, 3, 20, 12, 0)
MARCH = MonthWindow(months=(date(2010, 3, 1),), now=NOW)
KEY = "suite-test-key"  # any key: the suites see pseudonyms, never the key
BRANDS = dg.AssetKey(["raw", "brands"])
ACCOUNTS = dg.AssetKey(["raw", "webcare_accounts"])
OPENING_HOURS = dg.AssetKey(["raw", "webcare_account_opening_hours"])
MENTIONS = dg.AssetKey(["raw", "mentions"])
SUITES = {
    "mentions": raw_mentions,
    "complaints": raw_complaints,
    "nps_responses": raw_nps_responses,
    "stock_prices": raw_stock_prices,
}


@pytest.fixture(scope="module")
def gx_session():
    """One in-memory GX context for the module."""
    from expectations.runner import ValidationSession

    return ValidationSession()


@pytest.fixture
def tolerant(settings: Settings) -> Settings:
    """The test home with no reject threshold: these files plant a bad row on every line."""
    return Settings.from_env(home=settings.home, reject_threshold=1.0)


def validated(settings: Settings, source: str, relative: str) -> Validated:
    """`relative` validated as the loader does, with "now" fixed at `NOW`."""
    path = settings.landing_path / relative
    raw = read_landed_file(path, relative)
    adapter = resolve_adapter(source, raw.columns, None, relative)
    return validate(
        raw,
        adapter.to_canonical(raw, path),
        SCHEMAS[source],
        adapter,
        source_timezone=settings.source_timezone,
        reporting_timezone=settings.reporting_timezone,
        max_future_days=settings.max_future_days,
        now=NOW,
    )


def refusals(result: Validated) -> list[tuple]:
    """(line, column, reason, partition month) of every refused row."""
    return result.rejected.select(LINE, COLUMN, REASON, PARTITION).rows()


def suite_outcome(gx_session, source: str, rows: pl.DataFrame):
    """The raw suite of `source` on the loaded rows, as the blocking check would see them."""
    if source == "mentions":
        rows = enrich_mentions(rows, Reference.empty(), KEY)
    else:
        rows = pseudonymise_columns(rows, SCHEMAS[source].pseudonymised, KEY)
    frame = rows.rename({LINE: "_source_line"}).drop("__extra").to_pandas()
    frame["_source_file"] = "f"
    suite = SUITES[source]
    return gx_session.validate(suite.prepare(frame, MARCH), suite.build_suite(MARCH))


def test_mentions_at_and_past_each_limit(settings, land, gx_session) -> None:
    longest, too_long = "x" * 20_000, "y" * 20_001
    land(
        "mentions/m.csv",
        "mention_id,platform,created_at,author_id,text,deleted_at\n"
        f"m1,twitter,2010-03-10T10:00:00Z,anna,{longest},2010-03-10T10:00:00Z\n"
        f"m2,twitter,2010-03-10T10:00:00Z,bob,{too_long},\n"
        "m3,twitter,2010-03-10T10:00:00Z,carl,hi,2010-03-10T09:59:59Z\n"
        "m4,twitter,2010-03-21T12:00:00Z,dirk,hi,\n"
        "m5,twitter,2010-03-21T12:00:01Z,eva,hi,\n"
        "m6,twitter,2099-01-01T10:00:00Z,fay,hi,\n",
    )
    result = validated(settings, "mentions", "mentions/m.csv")
    assert result.rows["mention_id"].to_list() == ["m1", "m4"]
    march = date(2010, 3, 1)
    assert refusals(result) == [
        (3, "text", "text: the text is 20001 characters long, more than the 20,000 allowed", march),
        (
            4,
            "deleted_at",
            "deleted_at: '2010-03-10T09:59:59Z' is before created_at '2010-03-10T10:00:00Z'",
            march,
        ),
        # A future row gets no month of its own: it never opens a partition.
        (
            6,
            "created_at",
            "created_at: '2010-03-21T12:00:01Z' lies more than 1 day in the future "
            "(settings max_future_days)",
            None,
        ),
        (
            7,
            "created_at",
            "created_at: '2099-01-01T10:00:00Z' lies more than 1 day in the future "
            "(settings max_future_days)",
            None,
        ),
    ]
    outcome = suite_outcome(gx_session, "mentions", result.rows)
    assert outcome.failed_rules() == []


def test_the_future_tolerance_is_a_setting(settings: Settings, land, monkeypatch) -> None:
    monkeypatch.setenv("WEBCARE_MAX_FUTURE_DAYS", "0")
    strict = Settings.from_env(home=settings.home)
    assert (settings.max_future_days, strict.max_future_days) == (1.0, 0.0)
    land(
        "mentions/m.csv",
        "mention_id,platform,created_at,author_id,text\n"
        "m1,twitter,2010-03-20T12:00:00Z,anna,hi\n"
        "m2,twitter,2010-03-20T12:00:01Z,bob,hi\n",
    )
    result = validated(strict, "mentions", "mentions/m.csv")
    assert result.rows["mention_id"].to_list() == ["m1"]
    assert refusals(result) == [
        (
            3,
            "created_at",
            "created_at: '2010-03-20T12:00:01Z' lies more than 0 days in the future "
            "(settings max_future_days)",
            None,
        )
    ]


def test_prices_at_and_past_each_limit(settings, land, gx_session) -> None:
    # At 12:00 UTC on the 20th it is already the 21st at UTC+14; one more day allows the 22nd.
    land(
        "stock_prices/p.csv",
        "ticker,date,close,open,high,low,currency\n"
        "BNKX,2010-03-01,10,10,10,10,eur\n"
        "BNKX,2010-03-02,10,10,9.5,10,EUR\n"
        "BNKX,2010-03-03,10,10,11,9,EURO\n"
        "BNKX,2010-03-22,10,10,11,9,EUR\n"
        "BNKX,2010-03-23,10,10,11,9,EUR\n"
        "BNKX,2099-12-31,10,10,11,9,EUR\n",
    )
    result = validated(settings, "stock_prices", "stock_prices/p.csv")
    assert result.rows.select("date", "currency").rows() == [
        (date(2010, 3, 1), "EUR"),
        (date(2010, 3, 22), "EUR"),
    ]
    march = date(2010, 3, 1)
    assert refusals(result) == [
        (3, "high", "high: '9.5' is below low '10'", march),
        (
            4,
            "currency",
            "currency: 'EURO' is not an ISO 4217 currency code (three letters, e.g. EUR)",
            march,
        ),
        (
            6,
            "date",
            "date: '2010-03-23' lies more than 1 day after today (settings max_future_days)",
            None,
        ),
        (
            7,
            "date",
            "date: '2099-12-31' lies more than 1 day after today (settings max_future_days)",
            None,
        ),
    ]
    assert suite_outcome(gx_session, "stock_prices", result.rows).failed_rules() == []


def test_complaint_and_nps_rows_at_and_past_each_limit(settings, land, gx_session) -> None:
    land(
        "complaints/c.csv",
        "complaint_id,brand,received_at,channel,customer_id,resolved_at\n"
        "c1,bankx,2010-03-02T09:00:00Z,phone,CUST-1,2010-03-02T09:00:00Z\n"
        "c2,bankx,2010-03-02T09:00:00Z,phone,CUST-2,2010-03-02T08:59:00Z\n",
    )
    complaints = validated(settings, "complaints", "complaints/c.csv")
    assert complaints.rows["complaint_id"].to_list() == ["c1"]
    assert refusals(complaints) == [
        (
            3,
            "resolved_at",
            "resolved_at: '2010-03-02T08:59:00Z' is before received_at '2010-03-02T09:00:00Z'",
            date(2010, 3, 1),
        )
    ]
    assert suite_outcome(gx_session, "complaints", complaints.rows).failed_rules() == []

    land(
        "nps_responses/n.csv",
        "response_id,brand,answered_at,score,comment\n"
        f"r1,bankx,2010-03-02T09:00:00Z,10,{'a' * 20_000}\n"
        f"r2,bankx,2010-03-02T09:00:00Z,0,{'b' * 20_001}\n",
    )
    nps = validated(settings, "nps_responses", "nps_responses/n.csv")
    assert nps.rows["response_id"].to_list() == ["r1"]
    assert refusals(nps) == [
        (
            3,
            "comment",
            "comment: the text is 20001 characters long, more than the 20,000 allowed",
            date(2010, 3, 1),
        )
    ]
    assert suite_outcome(gx_session, "nps_responses", nps.rows).failed_rules() == []


def materialise_with_checks(
    settings: Settings, keys, partition_key: str | None = None
) -> dg.ExecuteInProcessResult:
    """The raw assets `keys` and their blocking checks, in process."""
    partitions = monthly_partitions(settings)
    return dg.materialize(
        [*build_raw_assets(partitions), *build_raw_checks(partitions)],
        partition_key=partition_key,
        selection=dg.AssetSelection.assets(*keys),
        resources={
            "warehouse": WarehouseResource(database=settings.duckdb_path),
            "settings": settings,
        },
    )


def test_reference_rows_breaking_a_check_rule_are_refused_and_the_checks_pass(
    tolerant: Settings, land, query
) -> None:
    land(
        "brands/demo/brands.csv",
        "brand,ticker,currency,shares_outstanding\n"
        "bankx,BNKX,eur,1\n"
        "banky,BNKY,EUR,0\n"
        "bankz,BNKZ,euro,\n",
    )
    # A second export names another brand with bankx's ticker: market cap would count twice.
    land("brands/imports/more.csv", "brand,ticker,currency\nbanky2,BNKX,EUR\nbankw,,EUR\n")
    land(
        "webcare_accounts/demo/accounts.csv",
        "brand,handle,platform,promised_response_minutes\n"
        "bankx,@BankX_Care,twitter,1\n"
        "bankx,BankX_Slow,twitter,0\n"
        "bankx,@@BankX_Two,twitter,\n",
    )
    result = materialise_with_checks(tolerant, (BRANDS, ACCOUNTS, OPENING_HOURS))
    assert result.success
    checks = {
        evaluation.asset_key.to_user_string(): evaluation.passed
        for evaluation in result.get_asset_check_evaluations()
    }
    assert checks == {"raw/brands": True, "raw/webcare_accounts": True}
    assert query("select brand, ticker, currency from raw.brands order by brand") == [
        ("bankw", None, "EUR"),
        ("bankx", "BNKX", "EUR"),
    ]
    assert query("select handle, promised_response_minutes from raw.webcare_accounts") == [
        ("BankX_Care", 1)
    ]
    assert query(
        'select file, line, "column", reason from raw.rejected_rows order by source, file, line'
    ) == [
        (
            "brands/demo/brands.csv",
            3,
            "shares_outstanding",
            "shares_outstanding: 0 must be greater than 0",
        ),
        (
            "brands/demo/brands.csv",
            4,
            "currency",
            "currency: 'euro' is not an ISO 4217 currency code (three letters, e.g. EUR)",
        ),
        (
            "brands/imports/more.csv",
            2,
            "ticker",
            "ticker: 'BNKX' is already the ticker of another row (first seen at "
            "brands/demo/brands.csv, line 2); no two rows may share it",
        ),
        (
            "webcare_accounts/demo/accounts.csv",
            3,
            "promised_response_minutes",
            "promised_response_minutes: 0 is below 1",
        ),
        (
            "webcare_accounts/demo/accounts.csv",
            4,
            "handle",
            "handle: '@@BankX_Two' is not a handle (one leading @ at most)",
        ),
    ]


ZERO_WIDTH_CSV = (
    "mention_id,platform,created_at,author_id,text,in_reply_to_id\n"
    "m1,twitter,2010-03-01T10:00:00Z,anna,hallo,\n"
    "m1\u200b,twitter,2010-03-01T10:00:00Z,anna\u200b,hallo,\n"
    "\ufeffm2,twitter,2010-03-01T11:00:00Z,bob,eerste,\ufeffm1\u2060\n"
    "m2\u200d,twitter,2010-03-01T11:00:00Z,bob,tweede,m1\n"
    "caf\u00e9,twitter,2010-03-01T12:00:00Z,carl,een,\n"
    "cafe\u0301\u200c,twitter,2010-03-01T12:00:00Z,carl,twee,\n"
)


def test_ids_differing_only_by_invisible_characters_are_one_id(
    tolerant: Settings, land, materialise, query
) -> None:
    land("mentions/demo/2010-03/m.csv", ZERO_WIDTH_CSV)
    materialise([BRANDS, ACCOUNTS, OPENING_HOURS], run_settings=tolerant)
    materialise([MENTIONS], partition_key="2010-03", run_settings=tolerant)
    anna = pseudonymise(tolerant.pseudonymisation_key, "anna")
    assert query(
        "select mention_id, author_id, in_reply_to_id, _source_line from raw.mentions "
        "order by _source_line"
    ) == [
        ("m1", anna, None, 2),
        ("m2", pseudonymise(tolerant.pseudonymisation_key, "bob"), "m1", 4),
        ("caf\u00e9", pseudonymise(tolerant.pseudonymisation_key, "carl"), None, 6),
    ]
    assert query(
        "select line, \"column\", reason from raw.rejected_rows where source = 'mentions' "
        "order by line"
    ) == [
        (5, "mention_id", "mention_id: duplicate id with different content (first seen at line 4)"),
        (7, "mention_id", "mention_id: duplicate id with different content (first seen at line 6)"),
    ]


def error_rules() -> dict[str, list[str]]:
    """The error-level expectation descriptions of every raw suite."""
    suites = {
        "mentions": raw_mentions.build_suite(MARCH),
        "complaints": raw_complaints.build_suite(MARCH),
        "nps_responses": raw_nps_responses.build_suite(MARCH),
        "stock_prices": raw_stock_prices.build_suite(MARCH),
        "brands": raw_brands.build_suite(),
        "webcare_accounts": raw_webcare_accounts.build_suite(),
    }
    return {
        source: [e.description for e in suite.expectations if e.meta["severity"] == ERROR]
        for source, suite in suites.items()
    }


# Every error-level rule of a raw suite, and what the loader does so a single
# bad row cannot break it (docs/warehouse-tables.md lists the same).
LOAD_TIME_TWINS = {
    r".+ is never null.*": "a required value missing is refused; derived columns are "
    "always set (is_brand_account, text '' for a media-only post)",
    r".+ is unique \(.+\)": "the second row with the key is refused (different content) or "
    "loaded once (same content), ids compared without zero-width characters, NFC",
    r".+ is one of .+": "a value outside the list is refused",
    r".+ lies in .+": "by construction: partition_month is the month of the row",
    r"partition_month is the month of .+": "by construction",
    r".+ is not in the future \(after .+\)": "a value beyond now + max_future_days is refused",
    r".+ is not (before|below) .+": "a row out of order is refused (expectations.rules.NOT_BEFORE)",
    r".+ is a pseudonym .+": "by construction: the loader pseudonymises",
    r".+ is at most 20,000 characters long": "a longer text is refused",
    r".+ (>=|>) \d+|.+ from \d+ to \d+": "a value out of range is refused (RANGES)",
    r"language is an ISO 639-1 code .+": "by construction: parsed or detected codes",
    r"currency is an ISO 4217 code .+": "upper-cased; anything else is refused",
    r"no two brands share a ticker .+": "a later row with the ticker is refused",
    r"handle is stored without a leading @": "one @ is taken off; a second is refused",
    r"timezone is an IANA time zone name .+": "a value that is not a zone is refused",
}


def test_every_error_rule_of_the_raw_suites_has_a_load_time_twin() -> None:
    rules = error_rules()
    orphans = [
        (source, description)
        for source, descriptions in rules.items()
        for description in descriptions
        if not any(re.fullmatch(pattern, description) for pattern in LOAD_TIME_TWINS)
    ]
    assert orphans == []
    assert "high is not below low" in rules["stock_prices"]
    assert "text is at most 20,000 characters long" in rules["mentions"]
