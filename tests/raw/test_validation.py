"""Row validation: each refused value gets its line, column and a readable reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest

from assets.raw.errors import LandingFileError
from assets.raw.parsing import parse_landed_file
from assets.raw.readers import LINE
from assets.raw.validation import COLUMN, REASON, split_keywords
from warehouse.settings import Settings

MENTION_HEADER = "mention_id,platform,created_at,author_id,text,author_followers,language\n"


def _parse(settings: Settings, source: str, relative: str):
    return parse_landed_file(settings.landing_path / relative, relative, source, settings)


def _reasons(parsed) -> list[tuple[int, str, str]]:
    return [tuple(row) for row in parsed.rejected.select(LINE, COLUMN, REASON).rows()]


def test_mention_rows_are_typed_and_bad_values_refused(
    settings: Settings, land: Callable[..., Path]
) -> None:
    land(
        "mentions/m.csv",
        MENTION_HEADER
        + "1,Twitter,2010-03-01T10:00:00,anna,hallo,12,nl-NL\n"
        + "2,twitter,2010-13-45T10:00:00,bob,hi,,\n"
        + "3,myspace,2010-03-01T10:00:00,carl,hi,,\n"
        + "4,twitter,2010-03-01T10:00:00,,hi,-5,\n"
        + "5,twitter,2010-03-01T10:00:00,dirk,,many,dutch\n",
    )
    parsed = _parse(settings, "mentions", "mentions/m.csv")
    assert parsed.format == "canonical"
    assert parsed.rows.select(
        "mention_id", "platform", "created_at", "author_followers", "language"
    ).rows() == [("1", "twitter", datetime(2010, 3, 1, 9), 12, "nl")]
    assert _reasons(parsed) == [
        (
            3,
            "created_at",
            "created_at: cannot parse '2010-13-45T10:00:00' as an ISO 8601 timestamp",
        ),
        (
            4,
            "platform",
            "platform: 'myspace' is not one of twitter, facebook, instagram, forum, blog, "
            "news, review, other",
        ),
        (5, "author_id", "author_id: required value is missing; author_followers: -5 is below 0"),
        (
            6,
            "language",
            "language: 'dutch' is not an ISO 639-1 language code; "
            "author_followers: cannot parse 'many' as a whole number",
        ),
    ]


def test_nps_score_range_and_booleans(settings: Settings, land: Callable[..., Path]) -> None:
    land(
        "nps_responses/n.jsonl",
        '{"response_id": "r1", "brand": "bankx", "answered_at": "2010-03-02T12:00Z", "score": 9}\n'
        '{"response_id": "r2", "brand": "bankx", "answered_at": "2010-03-02T12:00Z", "score": 11}\n'
        '{"response_id": "r3", "brand": "bankx", "answered_at": "2010-03-02", "score": 7.0}\n'
        '{"response_id": "r4", "answered_at": "2010-03-02T12:00:00Z", "score": 7}\n',
    )
    parsed = _parse(settings, "nps_responses", "nps_responses/n.jsonl")
    assert parsed.rows.select("response_id", "score").rows() == [("r1", 9), ("r3", 7)]
    assert _reasons(parsed) == [
        (2, "score", "score: 11 is outside 0..10"),
        (4, "brand", "brand: required value is missing"),
    ]
    assert parsed.rows["partition_month"].to_list() == [date(2010, 3, 1)] * 2


def test_prices_must_be_positive_and_volumes_whole(
    settings: Settings, land: Callable[..., Path]
) -> None:
    land(
        "stock_prices/p.csv",
        "ticker,date,close,volume,is_split\n"
        "BNKX,2010-03-01,10.5,1000,no\n"
        "BNKX,2010-03-02,0,1000,no\n"
        "BNKX,2010-03-03,10.7,1000.5,no\n"
        "BNKX,2010-02-30,10.7,1000,no\n",
    )
    parsed = _parse(settings, "stock_prices", "stock_prices/p.csv")
    assert parsed.rows.select("ticker", "date", "close", "volume").rows() == [
        ("BNKX", date(2010, 3, 1), 10.5, 1000)
    ]
    assert parsed.rows["__extra"].to_list() == ['{"is_split":"no"}']
    assert _reasons(parsed) == [
        (3, "close", "close: 0 must be greater than 0"),
        (4, "volume", "volume: cannot parse '1000.5' as a whole number"),
        (5, "date", "date: cannot parse '2010-02-30' as a date (YYYY-MM-DD)"),
    ]


def test_accounts_handles_time_zones_and_keywords(
    settings: Settings, land: Callable[..., Path]
) -> None:
    land(
        "webcare_accounts/a.csv",
        "brand,handle,platform,is_bot,timezone\n"
        "bankx,@BankX_Care,twitter,yes,Europe/Amsterdam\n"
        "bankx,Bank X,twitter,no,\n"
        "bankx,BankX,twitter,maybe,Mars/Olympus\n",
    )
    parsed = _parse(settings, "webcare_accounts", "webcare_accounts/a.csv")
    assert parsed.rows.select("handle", "is_bot", "timezone").rows() == [
        ("BankX_Care", True, "Europe/Amsterdam")
    ]
    assert _reasons(parsed) == [
        (3, "handle", "handle: 'Bank X' is not a handle (no spaces allowed)"),
        (
            4,
            "is_bot",
            "is_bot: 'maybe' is not a boolean (true/false, yes/no, 1/0); "
            "timezone: 'Mars/Olympus' is not an IANA time zone (e.g. Europe/Amsterdam)",
        ),
    ]
    assert split_keywords('["bank x", "bankx"]') == ["bank x", "bankx"]
    assert split_keywords("bank x; bankx|bx") == ["bank x", "bankx", "bx"]
    assert split_keywords("[not json") is None


def test_missing_required_column_fails_the_file(
    settings: Settings, land: Callable[..., Path]
) -> None:
    land("mentions/m.csv", "mention_id,platform,text\n1,twitter,hi\n")
    with pytest.raises(LandingFileError) as failure:
        _parse(settings, "mentions", "mentions/m.csv")
    message = str(failure.value)
    assert message.startswith("mentions/m.csv: cannot tell which mentions format this is")
    assert "columns seen: mention_id, platform, text" in message
    assert "Missing required column(s) for the contract: author_id, created_at" in message
