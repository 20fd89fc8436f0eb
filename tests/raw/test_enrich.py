"""Brand derivation order and the nl/en language guess for mentions."""

from __future__ import annotations

import polars as pl

from assets.raw.enrich import Reference, enrich_mentions
from assets.raw.language import detect_language


def _reference() -> Reference:
    return Reference.from_tables(
        pl.DataFrame({"handle": ["BankX_Care", "@TelcoHelp"], "brand": ["bankx", "telco"]}),
        pl.DataFrame(
            {"brand": ["bankx", "telco", "quiet"], "keywords": [["bank x"], ["telco"], None]}
        ),
    )


def test_brand_is_given_then_author_then_first_handle_then_keyword() -> None:
    rows = pl.DataFrame(
        {
            "author_id": ["anna", "telcohelp", "bob", "carl", "dirk", "eva", "fred"],
            "text": [
                "@TelcoHelp help",
                "@anna we help",
                "@someone @TelcoHelp @BankX_Care down",
                "Bank X beats telco",
                "telco is worse than bank x",
                "the telcosphere and bankxx",
                "",
            ],
            "brand": ["bankx", None, None, None, None, None, None],
            "language": [None] * 7,
        }
    )
    enriched = enrich_mentions(rows, _reference(), "k")
    assert enriched["brand"].to_list() == ["bankx", "telco", "telco", "bankx", "telco", None, None]
    assert enriched["author_id"][1] == "TelcoHelp"
    assert enriched["is_brand_account"].to_list() == [False, True] + [False] * 5


def test_language_guess_counts_function_words() -> None:
    texts = pl.DataFrame(
        {
            "text": [
                "Mijn internet doet het weer niet, waarom duurt dit zo lang?",
                "Why is my internet down again? This is the third time",
                "Storing!!!",
                "is in was",
                None,
            ]
        }
    )
    guessed = texts.select(detect_language(pl.col("text"))).to_series().to_list()
    assert guessed == ["nl", "en", None, None, None]
