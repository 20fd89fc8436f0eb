"""Pseudonyms: keyed, stable, normalised; brand accounts keep their handles; refused rows and
the key file keep people private too."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets.raw.enrich import Reference, enrich_mentions
from assets.raw.pseudonymise import normalise_id, pseudonymise, pseudonymise_series
from warehouse.settings import KEY_FILE_NAME, Settings

REFERENCE_KEYS = [
    dg.AssetKey(["raw", name])
    for name in ("brands", "webcare_accounts", "webcare_account_opening_hours")
]
MONTHLY = [
    dg.AssetKey(["raw", source])
    for source in ("mentions", "complaints", "nps_responses", "stock_prices")
]


def test_pseudonym_is_hmac_sha256_of_the_normalised_id() -> None:
    expected = "p_" + hmac.new(b"secret", b"jan_de_vries", hashlib.sha256).hexdigest()[:16]
    assert pseudonymise("secret", "jan_de_vries") == expected
    assert len(expected) == 18


def test_normalisation_makes_spellings_of_one_handle_equal() -> None:
    assert normalise_id("  @Jan_de_Vries ") == "jan_de_vries"
    spellings = ["@Jan_de_Vries", "jan_de_vries", " JAN_DE_VRIES", "@jan_de_vries "]
    assert len({pseudonymise("secret", value) for value in spellings}) == 1


def test_pseudonyms_are_stable_and_depend_on_the_key() -> None:
    assert pseudonymise("key-a", "anna") == pseudonymise("key-a", "anna")
    assert pseudonymise("key-a", "anna") != pseudonymise("key-b", "anna")
    assert pseudonymise("key-a", "anna") != pseudonymise("key-a", "anne")


def test_series_keeps_nulls_and_blanks_null() -> None:
    series = pl.Series("customer_id", ["@Anna", None, "anna", "  "])
    result = pseudonymise_series("k", series).to_list()
    assert result[0] == result[2] == pseudonymise("k", "anna")
    assert result[1] is None
    assert result[3] is None


def test_brand_accounts_keep_the_handle_as_written_in_webcare_accounts() -> None:
    reference = Reference.from_tables(
        pl.DataFrame({"handle": ["BankX_Care"], "brand": ["bankx"]}),
        pl.DataFrame({"brand": ["bankx"], "keywords": [["bank x"]]}),
    )
    rows = pl.DataFrame(
        {
            "author_id": ["@bankx_care", "Jan"],
            "text": ["@Jan we kijken ernaar", "@BankX_Care mijn pas doet het niet"],
            "brand": [None, None],
            "language": [None, None],
        }
    )
    enriched = enrich_mentions(rows, reference, "k")
    assert enriched["author_id"].to_list() == ["BankX_Care", pseudonymise("k", "jan")]
    assert enriched["is_brand_account"].to_list() == [True, False]
    assert enriched["brand"].to_list() == ["bankx", "bankx"]


def test_invisible_characters_and_unicode_forms_do_not_make_another_person() -> None:
    assert normalise_id("\u200b@Jan_de_Vries\u2060 ") == "jan_de_vries"
    assert pseudonymise("k", "\ufeffanna\u200d") == pseudonymise("k", "anna")
    assert pseudonymise("k", "rene\u0301") == pseudonymise("k", "ren\u00e9")


TWCS_CSV = (
    "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    "1,115712,True,not a date,my card is blocked,,\n"
    "2,BankX_Care,False,not a date,we are on it,,\n"
    "3,115713,True,Tue Mar 02 10:00:00 +0000 2010,still waiting,,\n"
)
MENTIONS_JSONL = (
    '{"mention_id": "m1", "platform": "twitter", "created_at": "2099-01-01T00:00:00Z", '
    '"author_id": "@Jan_de_Vries", "text": "hoi"}\n'
    '{"mention_id": "m2", "platform": "twitter", "created_at": "gisteren", '
    '"author_id": "BankX_Care", "text": "we helpen"}\n'
    '{"mention_id": "m3", "author_id": "@piet_k" broken\n'
    '{"mention_id": "m4", "platform": "twitter", "created_at": "2010-03-02T10:00:00Z", '
    '"author_id": "klaas", "text": "ok"}\n'
)
# The contract's columns in another case and spacing, as exports write them.
COMPLAINTS_JSONL = (
    '{"complaint_id": "c1", "brand": "bankx", "received_at": "2010-03-02T09:00:00Z", '
    '"channel": "fax", "Customer ID": "CUST-9", "social_handle": "@Jan_de_Vries"}\n'
    '{"complaint_id": "c2", "brand": "bankx", "received_at": "2010-03-02T09:00:00Z", '
    '"channel": "phone"}\n'
)
NPS_JSONL = (
    '{"response_id": "r1", "brand": "bankx", "answered_at": "2010-03-02T09:00:00Z", '
    '"score": 11, "respondent_id": "R-7"}\n'
    '{"response_id": "r2", "brand": "bankx", "answered_at": "2010-03-02T09:00:00Z", "score": 9}\n'
)


def test_refused_rows_keep_people_pseudonymised(
    settings: Settings, land, reference_files: None, materialise, query
) -> None:
    tolerant = Settings.from_env(home=settings.home, reject_threshold=1)
    land("mentions/demo/2010-03/twcs.csv", TWCS_CSV)
    land("mentions/demo/2010-03/m.jsonl", MENTIONS_JSONL)
    land("complaints/demo/2010-03/c.jsonl", COMPLAINTS_JSONL)
    land("nps_responses/demo/2010-03/n.jsonl", NPS_JSONL)
    materialise(REFERENCE_KEYS, run_settings=tolerant)
    materialise(MONTHLY, partition_key="2010-03", run_settings=tolerant)

    key = settings.pseudonymisation_key
    records = {
        (file.rsplit("/", 1)[-1], line): json.loads(record)
        for file, line, record in query("select file, line, record from raw.rejected_rows")
    }
    assert {place: record.get("author_id") for place, record in records.items()} == {
        # Customers are pseudonymised as in raw.mentions; brand accounts keep their handle.
        ("twcs.csv", 2): pseudonymise(key, "115712"),
        ("twcs.csv", 3): "BankX_Care",
        ("m.jsonl", 1): pseudonymise(key, "Jan_de_Vries"),
        ("m.jsonl", 2): "BankX_Care",
        ("m.jsonl", 3): None,
        ("c.jsonl", 1): None,
        ("n.jsonl", 1): None,
    }
    assert records[("m.jsonl", 3)]["raw_line"] is None
    assert records[("c.jsonl", 1)]["Customer ID"] == pseudonymise(key, "CUST-9")
    # The same key and normalisation as mention authors: escalation can still be followed.
    assert records[("c.jsonl", 1)]["social_handle"] == pseudonymise(key, "jan_de_vries")
    assert records[("n.jsonl", 1)]["respondent_id"] == pseudonymise(key, "R-7")
    everything = json.dumps(list(records.values()))
    for readable in ("Jan_de_Vries", "115712", "piet_k", "CUST-9", "R-7"):
        assert readable not in everything
    assert query("select count(*) from raw.mentions") == [(2,)]


def test_the_key_file_is_private_from_the_start(tmp_path: Path, monkeypatch) -> None:
    # A fake, named as such: with every chmod a no-op, the file keeps the mode it was
    # created with, so a key written first and made private afterwards shows its window.
    monkeypatch.setattr(os, "chmod", lambda *args, **kwargs: None)
    monkeypatch.setattr(os, "fchmod", lambda *args, **kwargs: None)
    monkeypatch.setattr(Path, "chmod", lambda *args, **kwargs: None)
    previous = os.umask(0o000)
    try:
        settings = Settings.from_env(home=tmp_path / "home")
        key = settings.pseudonymisation_key  # read when used: created here
    finally:
        os.umask(previous)
    key_file = tmp_path / "home" / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key == key_file.read_text().strip()
    assert len(key) == 64
    assert Settings.from_env(home=tmp_path / "home").pseudonymisation_key == (
        settings.pseudonymisation_key
    )


def test_homes_created_at_once_share_one_key(tmp_path: Path) -> None:
    home = tmp_path / "home"
    start = threading.Barrier(8)

    def create() -> str:
        start.wait()
        return Settings.from_env(home=home).pseudonymisation_key

    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: create(), range(8)))
    assert len(set(keys)) == 1
    assert sorted(path.name for path in home.iterdir()) == [KEY_FILE_NAME]
    assert stat.S_IMODE((home / KEY_FILE_NAME).stat().st_mode) == 0o600


def test_an_empty_key_file_is_refused_not_used(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / KEY_FILE_NAME).write_text("\n")
    settings = Settings.from_env(home=home)
    with pytest.raises(ValueError, match="is empty; remove it to create a new key"):
        settings.pseudonymisation_key  # noqa: B018 (the property reads the file)
