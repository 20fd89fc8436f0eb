"""Pseudonyms: keyed, stable, normalised; brand accounts keep their handles."""

from __future__ import annotations

import hashlib
import hmac

import polars as pl

from assets.raw.enrich import Reference, enrich_mentions
from assets.raw.pseudonymise import normalise_id, pseudonymise, pseudonymise_series


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
