"""What ingestion adds to valid rows: pseudonyms, brand-account flags, brands and languages.

Brand accounts come from raw.webcare_accounts (handles compared in lower case
without ``@``) or from the adapter (twcs ``inbound = False``). They keep their
handle; every other author becomes a pseudonym (`pseudonymise`).

The brand of a mention without one is, in order: the brand of its author when
that is a brand account; the brand of the first ``@handle`` in the text that
is a brand account; the brand whose keyword (raw.brands keywords, whole word,
any case) appears earliest in the text; else null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from assets.raw.adapters import IS_BRAND_ACCOUNT
from assets.raw.language import detect_language
from assets.raw.pseudonymise import pseudonymise_series

_HANDLE = r"@(\w+)"


@dataclass
class Reference:
    """Reference data the mentions need: brand accounts and brand keywords.

    `accounts`: handle_key (lower case, no ``@``), handle (as written), brand.
    `keywords`: brand, keywords (list of strings).
    """

    accounts: pl.DataFrame
    keywords: pl.DataFrame

    @classmethod
    def empty(cls) -> Reference:
        """No accounts and no keywords."""
        return cls(
            accounts=pl.DataFrame(
                schema={"handle_key": pl.String, "handle": pl.String, "brand": pl.String}
            ),
            keywords=pl.DataFrame(schema={"brand": pl.String, "keywords": pl.List(pl.String)}),
        )

    @classmethod
    def from_tables(cls, accounts: pl.DataFrame, brands: pl.DataFrame) -> Reference:
        """Build from raw.webcare_accounts (handle, brand) and raw.brands (brand, keywords) rows."""
        account_rows = (
            accounts.select(
                pl.col("handle").str.strip_prefix("@").str.to_lowercase().alias("handle_key"),
                pl.col("handle").str.strip_prefix("@").alias("handle"),
                pl.col("brand"),
            )
            .sort("handle_key", "handle", "brand")
            .unique(subset="handle_key", keep="first", maintain_order=True)
        )
        keyword_rows = (
            brands.select("brand", "keywords")
            .filter(pl.col("keywords").is_not_null() & (pl.col("keywords").list.len() > 0))
            .sort("brand")
        )
        return cls(accounts=account_rows, keywords=keyword_rows)


def pseudonymise_columns(rows: pl.DataFrame, columns: tuple[str, ...], key: str) -> pl.DataFrame:
    """Replace each id column by its pseudonym (nulls stay null)."""
    return rows.with_columns(pseudonymise_series(key, rows[column]) for column in columns)


def enrich_mentions(rows: pl.DataFrame, reference: Reference, key: str) -> pl.DataFrame:
    """Brand-account flag, author pseudonyms, derived brands and languages for mention rows."""
    if rows.height == 0:
        return rows.with_columns(pl.lit(None, dtype=pl.Boolean).alias("is_brand_account"))
    accounts = reference.accounts
    rows = rows.with_columns(pl.int_range(pl.len()).alias("__row"))
    author_key = pl.col("author_id").str.strip_prefix("@").str.to_lowercase()
    rows = rows.with_columns(author_key.alias("__author_key")).join(
        accounts.rename(
            {"handle_key": "__author_key", "handle": "__account", "brand": "__account_brand"}
        ),
        on="__author_key",
        how="left",
        maintain_order="left",
    )
    hinted = (
        pl.col(IS_BRAND_ACCOUNT).fill_null(False) if IS_BRAND_ACCOUNT in rows.columns else False
    )
    is_brand = pl.col("__account").is_not_null() | hinted
    pseudonyms = pseudonymise_series(key, rows["author_id"])
    rows = rows.with_columns(
        is_brand.alias("is_brand_account"),
        pl.when(pl.col("__account").is_not_null())
        .then(pl.col("__account"))
        .when(hinted)
        .then(pl.col("author_id").str.strip_prefix("@"))
        .otherwise(pseudonyms)
        .alias("author_id"),
        pl.coalesce(pl.col("brand"), pl.col("__account_brand")).alias("brand"),
    )
    rows = _brand_from_mentioned_accounts(rows, accounts)
    rows = _brand_from_keywords(rows, reference.keywords)
    rows = rows.with_columns(
        pl.coalesce(pl.col("language"), detect_language(pl.col("text"))).alias("language")
    )
    return rows.drop("__row", "__author_key", "__account", "__account_brand")


def _brand_from_mentioned_accounts(rows: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    needing = rows.filter(pl.col("brand").is_null())
    if needing.height == 0 or accounts.height == 0:
        return rows
    found = (
        needing.select("__row", pl.col("text").str.extract_all(_HANDLE).alias("handle_key"))
        .explode("handle_key")
        .with_columns(pl.col("handle_key").str.strip_prefix("@").str.to_lowercase())
        .join(
            accounts.select("handle_key", "brand"),
            on="handle_key",
            how="inner",
            maintain_order="left",
        )
        .group_by("__row", maintain_order=True)
        .agg(pl.col("brand").first().alias("__mentioned_brand"))
    )
    return (
        rows.join(found, on="__row", how="left", maintain_order="left")
        .with_columns(pl.coalesce("brand", "__mentioned_brand").alias("brand"))
        .drop("__mentioned_brand")
    )


def _brand_from_keywords(rows: pl.DataFrame, keywords: pl.DataFrame) -> pl.DataFrame:
    needing = rows.filter(pl.col("brand").is_null() & pl.col("text").is_not_null())
    if needing.height == 0 or keywords.height == 0:
        return rows
    positions = []
    brands = []
    for brand, words in keywords.iter_rows():
        pattern = r"(?i)\b(?:" + "|".join(re.escape(word) for word in words) + r")\b"
        positions.append(pl.col("text").str.find(pattern).alias(f"__pos{len(brands)}"))
        brands.append(brand)
    found = needing.select("__row", *positions)
    earliest = pl.min_horizontal(pl.col(f"__pos{i}") for i in range(len(brands)))
    found = found.with_columns(earliest.alias("__earliest")).select(
        "__row",
        pl.coalesce(
            pl.when(pl.col(f"__pos{i}") == pl.col("__earliest")).then(pl.lit(brand))
            for i, brand in enumerate(brands)
        ).alias("__keyword_brand"),
    )
    return (
        rows.join(found, on="__row", how="left", maintain_order="left")
        .with_columns(pl.coalesce("brand", "__keyword_brand").alias("brand"))
        .drop("__keyword_brand")
    )
