"""The raw suites: a valid frame passes, and each broken rule is the one that fails."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from expectations.suites import (
    landing,
    raw_brands,
    raw_complaints,
    raw_mentions,
    raw_nps_responses,
    raw_stock_prices,
    raw_webcare_accounts,
)
from expectations.window import MonthWindow

# March 2010 in Amsterdam: from 2010-02-28 23:00 UTC to 2010-03-31 22:00 UTC (DST on the 28th).
MARCH = MonthWindow(months=(date(2010, 3, 1),), now=datetime(2011, 1, 1))
T = pd.Timestamp


def p(i: int) -> str:
    """A well-formed ingestion pseudonym."""
    return f"p_{i:016x}"


def warehouse_types(frame: pd.DataFrame, *datetimes: str) -> pd.DataFrame:
    """The dtypes DuckDB's ``.df()`` gives: microsecond datetimes for TIMESTAMP and DATE."""
    for column in datetimes:
        frame[column] = pd.to_datetime(frame[column]).astype("datetime64[us]")
    return frame


def mentions() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "mention_id": ["m1", "m2", "m3", "m4", "m5", "m1"],
            "platform": ["twitter", "twitter", "twitter", "facebook", "forum", "facebook"],
            "created_at": [
                T("2010-02-28 23:30"),  # 00:30 on 1 March in Amsterdam
                T("2010-03-10 09:00"),
                T("2010-03-10 09:20"),
                T("2010-03-28 01:30"),  # the hour clocks go forward
                T("2010-03-31 21:59"),  # 23:59 on 31 March, summer time
                T("2010-03-15 12:00"),
            ],
            "author_id": [p(1), p(2), "bank_a_care", p(3), p(4), p(5)],
            "is_brand_account": [False, False, True, False, False, False],
            "text": [
                "Storing!",
                "Waar blijft mijn pas?",
                "We kijken mee ^JV",
                "Great",
                "Kijk dan",
                "Rente?",
            ],
            "brand": ["bank_a", "bank_a", "bank_a", "bank_b", None, "bank_b"],
            "in_reply_to_id": [None, None, "m2", None, None, None],
            "language": ["nl", "nl", "nl", "en", None, "nl"],
            "author_followers": pd.array([10, 0, 5000, None, 3, 7], dtype="Int64"),
            "url": [None] * 6,
            "deleted_at": [None, T("2010-03-11 10:00"), None, None, None, None],
            "partition_month": [date(2010, 3, 1)] * 6,
            "_source_file": ["mentions/2010-03.csv"] * 6,
            "_source_line": np.arange(2, 8),
        }
    )
    return warehouse_types(frame, "created_at", "deleted_at", "partition_month")


def complaints() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "complaint_id": ["c1", "c2", "c3"],
            "brand": ["bank_a", "bank_a", "tel_b"],
            "received_at": [T("2010-03-01 08:00"), T("2010-03-15 10:00"), T("2010-03-31 21:00")],
            "channel": ["phone", "email", "webform"],
            "category": ["billing", None, "outage"],
            "customer_id": [p(10), None, p(11)],
            "social_handle": [p(1), None, None],
            "resolved_at": [T("2010-03-02 08:00"), None, T("2010-03-31 21:00")],
            "is_timely_response": [True, None, False],
            "partition_month": [date(2010, 3, 1)] * 3,
            "_source_file": ["complaints/2010-03.jsonl"] * 3,
            "_source_line": [1, 2, 3],
        }
    )
    return warehouse_types(frame, "received_at", "resolved_at", "partition_month")


def nps_responses() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "response_id": ["r1", "r2", "r3"],
            "brand": ["bank_a", "bank_a", "ins_c"],
            "answered_at": [T("2010-03-03 10:00"), T("2010-03-04 11:00"), T("2010-03-05 12:00")],
            "score": np.array([0, 10, 7], dtype="int32"),
            "respondent_id": [p(20), None, p(21)],
            "comment": ["Slecht bereikbaar", None, ""],
            "wave": ["2010-03"] * 3,
            "partition_month": [date(2010, 3, 1)] * 3,
            "_source_file": ["nps_responses/2010-03.parquet"] * 3,
            "_source_line": [1, 2, 3],
        }
    )
    return warehouse_types(frame, "answered_at", "partition_month")


def stock_prices() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "ticker": ["BNKA", "BNKA", "TELB"],
            "date": [date(2010, 3, 1), date(2010, 3, 31), date(2010, 3, 1)],
            "open": [10.0, 10.5, None],
            "high": [10.8, 10.9, 4.1],
            "low": [9.9, 10.1, 3.9],
            "close": [10.2, 10.6, 4.0],
            "adj_close": [10.1, 10.5, None],
            "volume": pd.array([1000, 0, None], dtype="Int64"),
            "currency": ["EUR", "EUR", None],
            "partition_month": [date(2010, 3, 1)] * 3,
            "_source_file": [
                "stock_prices/BNKA.csv",
                "stock_prices/BNKA.csv",
                "stock_prices/TELB.csv",
            ],
            "_source_line": [2, 3, 2],
        }
    )
    return warehouse_types(frame, "date", "partition_month")


def brands() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "brand": ["bank_a", "bank_b", "tel_a"],
            "display_name": ["Bank A", "Bank B", "Tel A"],
            "sector": ["banks", "banks", "telecoms"],
            "country": ["NL", "NL", "NL"],
            "ticker": ["BNKA", None, None],
            "currency": ["EUR", "EUR", None],
            "shares_outstanding": pd.array([1_000_000, None, None], dtype="Int64"),
        }
    )


def accounts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "brand": ["bank_a", "bank_a", "tel_a"],
            "handle": ["bank_a_care", "bank_a_care", "tel_a_help"],
            "platform": ["twitter", "facebook", "twitter"],
            "is_bot": [False, False, True],
            "promised_response_minutes": pd.array([60, None, 5], dtype="Int32"),
            "opening_hours": ["mon-fri 08:00-20:00", None, ""],
            "timezone": ["Europe/Amsterdam", "Europe/Amsterdam", None],
        }
    )


def run(gx_session, module, frame, *args):
    """Validate `frame` with `module`'s suite (after its `prepare`, when it has one)."""
    if hasattr(module, "prepare"):
        frame = module.prepare(frame, *args)
    return gx_session.validate(frame, module.build_suite(*args))


def set_cell(frame: pd.DataFrame, row: int, column: str, value) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[row, column] = value
    return frame


VALID = [
    (raw_mentions, mentions, (MARCH,)),
    (raw_complaints, complaints, (MARCH,)),
    (raw_nps_responses, nps_responses, (MARCH,)),
    (raw_stock_prices, stock_prices, (MARCH,)),
    (raw_brands, brands, ()),
]


@pytest.mark.parametrize(("module", "frame", "args"), VALID, ids=lambda x: getattr(x, "NAME", ""))
def test_valid_frame_passes(gx_session, module, frame, args):
    outcome = run(gx_session, module, frame(), *args)
    assert outcome.failed_rules() == []
    assert outcome.passed and outcome.severity is None
    assert outcome.evaluated >= 5


def test_valid_accounts_pass(gx_session):
    outcome = gx_session.validate(
        raw_webcare_accounts.prepare(accounts()), raw_webcare_accounts.build_suite()
    )
    assert outcome.failed_rules() == []


MENTION_BREAKS = [
    (lambda f: set_cell(f, 1, "mention_id", "m3"), ["a mention is unique (platform, mention_id)"]),
    (
        lambda f: set_cell(f, 0, "platform", "myspace"),
        ["platform is one of twitter, facebook, instagram, forum, blog, news, review, other"],
    ),
    (lambda f: set_cell(f, 3, "mention_id", None), ["mention_id is never null"]),
    (lambda f: set_cell(f, 3, "author_id", None), ["author_id is never null"]),
    (
        lambda f: set_cell(f, 3, "text", None),
        ["text is never null (empty only for media-only posts)"],
    ),
    # 22:30 UTC on 31 March is already April in Amsterdam.
    (
        lambda f: set_cell(f, 4, "created_at", T("2010-03-31 22:30")),
        [
            "created_at lies in 2010-03 (Europe/Amsterdam)",
            "partition_month is the month of created_at",
        ],
    ),
    (
        lambda f: set_cell(f, 0, "partition_month", T("2010-02-01")),
        ["partition_month is the month of created_at"],
    ),
    (
        lambda f: set_cell(f, 1, "deleted_at", T("2010-03-09 10:00")),
        ["deleted_at is not before created_at"],
    ),
    (
        lambda f: set_cell(f, 0, "author_id", "jan_de_vries"),
        ["author_id is a pseudonym (p_ + 16 hex characters)"],
    ),
    (lambda f: set_cell(f, 1, "text", "x" * 20_001), ["text is at most 20,000 characters long"]),
    (
        lambda f: set_cell(f, 0, "language", "dutch"),
        ["language is an ISO 639-1 code (two lower-case letters)"],
    ),
    (lambda f: set_cell(f, 0, "author_followers", -1), ["author_followers >= 0"]),
]


@pytest.mark.parametrize(("breaks", "failed"), MENTION_BREAKS)
def test_mentions_rule_breaks(gx_session, breaks, failed):
    outcome = run(gx_session, raw_mentions, breaks(mentions()), MARCH)
    assert sorted(outcome.failed_rules()) == sorted(failed)
    assert outcome.severity == "error"


def test_a_brand_account_may_keep_its_readable_handle(gx_session):
    frame = mentions()
    assert frame.loc[2, "author_id"] == "bank_a_care" and frame.loc[2, "is_brand_account"]
    assert run(gx_session, raw_mentions, frame, MARCH).passed


def test_mentions_in_the_future_fail(gx_session):
    mid_march = MonthWindow(months=(date(2010, 3, 1),), now=datetime(2010, 3, 20))
    # Exactly now + the default 1 day of tolerance is still accepted, as the loader does.
    frame = set_cell(mentions(), 0, "created_at", T("2010-03-21 00:00"))
    outcome = run(gx_session, raw_mentions, frame, mid_march)
    assert outcome.failed_rules() == [
        "created_at is not in the future (after 2010-03-21 00:00 UTC, now + 1 day)"
    ]
    failure = outcome.failures[0]
    assert failure.unexpected_count == 2
    assert failure.examples == ("2010-03-28T01:30:00", "2010-03-31T21:59:00")


def test_the_future_tolerance_is_the_windows(gx_session):
    strict = MonthWindow(months=(date(2010, 3, 1),), now=datetime(2010, 3, 20), max_future_days=0)
    frame = set_cell(mentions(), 0, "created_at", T("2010-03-20 00:00:01"))
    outcome = run(gx_session, raw_mentions, frame, strict)
    assert outcome.failed_rules() == [
        "created_at is not in the future (after 2010-03-20 00:00 UTC, now + 0 days)"
    ]
    assert outcome.failures[0].unexpected_count == 3


def test_many_empty_texts_only_warn(gx_session):
    frame = mentions()
    frame["text"] = ["", "", "", "", "", "Hallo"]
    outcome = run(gx_session, raw_mentions, frame, MARCH)
    assert outcome.failed_rules() == ["at most 10% of texts are empty"]
    assert outcome.severity == "warn"


def test_an_empty_month_only_warns(gx_session):
    outcome = run(gx_session, raw_mentions, mentions().iloc[0:0], MARCH)
    assert outcome.failed_rules() == ["the months hold at least one mention"]
    assert outcome.severity == "warn"


def test_a_range_of_months_accepts_each_rows_own_month(gx_session):
    both = MonthWindow(months=(date(2010, 3, 1), date(2010, 4, 1)), now=datetime(2011, 1, 1))
    frame = set_cell(mentions(), 4, "created_at", T("2010-04-10 10:00"))
    frame = set_cell(frame, 4, "partition_month", T("2010-04-01"))
    assert run(gx_session, raw_mentions, frame, both).passed
    misfiled = set_cell(frame, 4, "partition_month", T("2010-03-01"))
    outcome = run(gx_session, raw_mentions, misfiled, both)
    assert outcome.failed_rules() == [
        "partition_month is the month of received_at".replace("received_at", "created_at")
    ]


COMPLAINT_BREAKS = [
    (lambda f: set_cell(f, 1, "complaint_id", "c1"), ["a complaint is unique (complaint_id)"]),
    (
        lambda f: set_cell(f, 0, "channel", "fax"),
        ["channel is one of phone, email, letter, webform, store, social, other"],
    ),
    (lambda f: set_cell(f, 2, "brand", None), ["brand is never null"]),
    (
        lambda f: set_cell(f, 0, "resolved_at", T("2010-02-27 08:00")),
        ["resolved_at is not before received_at"],
    ),
    (
        lambda f: set_cell(f, 0, "customer_id", "123456"),
        ["customer_id is a pseudonym (p_ + 16 hex characters)"],
    ),
    (
        lambda f: set_cell(f, 0, "social_handle", "@jan"),
        ["social_handle is a pseudonym (p_ + 16 hex characters)"],
    ),
    (
        lambda f: set_cell(f, 0, "received_at", T("2010-02-28 22:59")),
        [
            "received_at lies in 2010-03 (Europe/Amsterdam)",
            "partition_month is the month of received_at",
        ],
    ),
]


@pytest.mark.parametrize(("breaks", "failed"), COMPLAINT_BREAKS)
def test_complaints_rule_breaks(gx_session, breaks, failed):
    outcome = run(gx_session, raw_complaints, breaks(complaints()), MARCH)
    assert sorted(outcome.failed_rules()) == sorted(failed)


NPS_BREAKS = [
    (lambda f: set_cell(f, 0, "score", 11), ["score is an NPS answer from 0 to 10"]),
    (lambda f: set_cell(f, 0, "score", -1), ["score is an NPS answer from 0 to 10"]),
    (lambda f: set_cell(f, 2, "response_id", "r1"), ["an NPS response is unique (response_id)"]),
    (
        lambda f: set_cell(f, 0, "respondent_id", "klant 42"),
        ["respondent_id is a pseudonym (p_ + 16 hex characters)"],
    ),
    (
        lambda f: set_cell(f, 0, "comment", "a" * 20_001),
        ["comment is at most 20,000 characters long"],
    ),
    (lambda f: set_cell(f, 1, "answered_at", pd.NaT), ["answered_at is never null"]),
]


@pytest.mark.parametrize(("breaks", "failed"), NPS_BREAKS)
def test_nps_rule_breaks(gx_session, breaks, failed):
    outcome = run(gx_session, raw_nps_responses, breaks(nps_responses()), MARCH)
    assert sorted(outcome.failed_rules()) == sorted(failed)


def test_nps_failure_names_the_file_and_line(gx_session):
    frame = raw_nps_responses.prepare(set_cell(nps_responses(), 1, "score", 12), MARCH)
    outcome = gx_session.validate(
        frame,
        raw_nps_responses.build_suite(MARCH),
        index_columns=("response_id", "_source_file", "_source_line"),
    )
    [failure] = outcome.failures
    assert failure.observed is None and failure.unexpected_count == 1
    assert failure.examples == (
        {
            "score": 12,
            "response_id": "r2",
            "_source_file": "nps_responses/2010-03.parquet",
            "_source_line": 2,
        },
    )


STOCK_BREAKS = [
    (lambda f: set_cell(f, 0, "close", 0.0), ["close > 0"]),
    (lambda f: set_cell(f, 0, "close", None), ["close is never null"]),
    (lambda f: set_cell(f, 0, "volume", -5), ["volume >= 0"]),
    (lambda f: set_cell(f, 0, "open", -1.0), ["open >= 0"]),
    (
        lambda f: set_cell(f, 1, "date", T("2010-03-01")),
        ["a ticker's trading day is unique (ticker, date)"],
    ),
    (lambda f: set_cell(f, 0, "high", 9.0), ["high is not below low"]),
    (
        lambda f: set_cell(f, 0, "currency", "euro"),
        ["currency is an ISO 4217 code (three capitals)"],
    ),
    (
        lambda f: set_cell(f, 2, "date", T("2010-04-01")),
        ["date lies in 2010-03", "partition_month is the month of date"],
    ),
]


@pytest.mark.parametrize(("breaks", "failed"), STOCK_BREAKS)
def test_stock_price_rule_breaks(gx_session, breaks, failed):
    outcome = run(gx_session, raw_stock_prices, breaks(stock_prices()), MARCH)
    assert sorted(outcome.failed_rules()) == sorted(failed)


def test_a_price_dated_after_today_fails(gx_session):
    # 12:00 UTC is already the 16th at UTC+14; one day of tolerance allows the 17th.
    early = MonthWindow(months=(date(2010, 3, 1),), now=datetime(2010, 3, 15, 12))
    frame = set_cell(stock_prices(), 0, "date", T("2010-03-17"))
    outcome = run(gx_session, raw_stock_prices, frame, early)
    assert outcome.failed_rules() == [
        "date is not in the future (after 2010-03-17, today anywhere + 1 day)"
    ]
    assert outcome.failures[0].unexpected_count == 1
    strict = MonthWindow(
        months=(date(2010, 3, 1),), now=datetime(2010, 3, 15, 12), max_future_days=0
    )
    outcome = run(gx_session, raw_stock_prices, frame, strict)
    assert outcome.failed_rules() == [
        "date is not in the future (after 2010-03-16, today anywhere + 0 days)"
    ]
    assert outcome.failures[0].unexpected_count == 2


BRAND_BREAKS = [
    (lambda f: set_cell(f, 1, "brand", "bank_a"), ["a brand is unique (brand)"]),
    (
        lambda f: set_cell(f, 1, "ticker", "BNKA"),
        ["no two brands share a ticker (market cap would count twice)"],
    ),
    (
        lambda f: set_cell(f, 0, "currency", "eur"),
        ["currency is an ISO 4217 code (three capitals)"],
    ),
    (lambda f: set_cell(f, 0, "shares_outstanding", 0), ["shares_outstanding > 0"]),
    (lambda f: f.iloc[0:0], ["the reference names at least one brand"]),
]


@pytest.mark.parametrize(("breaks", "failed"), BRAND_BREAKS)
def test_brand_rule_breaks(gx_session, breaks, failed):
    outcome = gx_session.validate(breaks(brands()), raw_brands.build_suite())
    assert sorted(outcome.failed_rules()) == sorted(failed)


ACCOUNT_BREAKS = [
    (lambda f: set_cell(f, 1, "platform", "twitter"), ["an account is unique (handle, platform)"]),
    (lambda f: set_cell(f, 0, "handle", "@bank_a_care"), ["handle is stored without a leading @"]),
    (
        lambda f: set_cell(f, 2, "platform", "myspace"),
        ["platform is one of twitter, facebook, instagram, forum, blog, news, review, other"],
    ),
    (
        lambda f: set_cell(f, 0, "timezone", "Amsterdam"),
        ["timezone is an IANA time zone name (e.g. Europe/Amsterdam)"],
    ),
    (lambda f: set_cell(f, 0, "promised_response_minutes", 0), ["promised_response_minutes >= 1"]),
]


@pytest.mark.parametrize(("breaks", "failed"), ACCOUNT_BREAKS)
def test_account_rule_breaks(gx_session, breaks, failed):
    frame = raw_webcare_accounts.prepare(breaks(accounts()))
    outcome = gx_session.validate(frame, raw_webcare_accounts.build_suite())
    assert sorted(outcome.failed_rules()) == sorted(failed)


def test_reject_share_over_the_threshold_names_the_month(gx_session):
    shares = pd.DataFrame(
        {
            "source": ["mentions", "mentions"],
            "partition_month": [T("2010-03-01"), T("2010-04-01")],
            "rows_loaded": [950, 90],
            "rows_rejected": [50, 10],
        }
    )
    shares["reject_share"] = shares.rows_rejected / (shares.rows_loaded + shares.rows_rejected)
    suite = landing.build_suite("raw.mentions", 0.05)
    outcome = gx_session.validate(shares, suite, index_columns=("partition_month",))
    assert outcome.failed_rules() == ["at most 5.0% of a month's rows were rejected"]
    assert outcome.failures[0].examples == (
        {"reject_share": 0.1, "partition_month": "2010-04-01T00:00:00"},
    )
    assert gx_session.validate(shares.iloc[:1], suite).passed
