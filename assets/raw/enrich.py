"""What ingestion adds to valid rows: pseudonyms, brand-account flags, brands and languages.

Brand accounts come from raw.webcare_accounts (handles compared in lower case
without ``@``) or from the adapter (twcs ``inbound = False``). They keep their
handle; every other author becomes a pseudonym (`pseudonymise`).

The brand of a mention without one is, in order: the brand of its author when
that is a brand account; the brand of the first ``@handle`` in the text that
is a brand account; the brand whose keyword (raw.brands keywords, whole word,
any case) appears earliest in the text; else null.

A refused row is kept in raw.rejected_rows as read, less the people: its
record carries the same pseudonyms a loaded row would (`pseudonymise_records`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from assets.raw.adapters import FORMATS, IS_BRAND_ACCOUNT
from assets.raw.adapters.base import normalise_header
from assets.raw.language import detect_language
from assets.raw.pseudonymise import normalise_id, pseudonymise, pseudonymise_series
from assets.raw.readers import LINE, RawFile
from assets.raw.schemas import SCHEMAS

# Mention authors are pseudonymised unless they are brand accounts (`enrich_mentions`).
_AUTHOR = "author_id"

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


def pseudonymise_records(
    source: str,
    records: dict[int, str],
    raw: RawFile,
    format: str,
    labels: dict[str, str],
    reference: Reference,
    key: str,
) -> dict[int, str]:
    """Refused rows' records (line -> JSON object as read) with people's ids pseudonymised.

    Every column the loader pseudonymises (`SourceSchema.pseudonymised`, and a
    mention's author unless a brand account) is replaced by the same keyed
    hash, found under the file's own column name (`labels`: twcs ``author_id``)
    written in any case or spacing (``Customer ID``), as the adapters match
    headers. A line that could not be read as a record is not copied for such
    a source: it may hold an id that cannot be found in it.
    """
    columns = {normalise_header(labels.get(name, name)) for name in SCHEMAS[source].pseudonymised}
    author = normalise_header(labels.get(_AUTHOR, _AUTHOR)) if source == "mentions" else None
    if not columns and author is None:
        return records
    unreadable = {line for line, _, _ in raw.bad_lines}
    readable = sorted(set(records) - unreadable)
    brands = _brand_lines(source, raw, format, readable) if author else set()
    handles = set(reference.accounts["handle_key"].to_list())
    private: dict[int, str] = {}
    for line, text in records.items():
        if line in unreadable:
            private[line] = json.dumps(
                {
                    "raw_line": None,
                    "note": "not copied: an unreadable line may hold a customer id; "
                    "see the landed file",
                }
            )
            continue
        record = json.loads(text)
        for name, value in record.items():
            if not (isinstance(value, str) and value.strip()):
                continue
            header = normalise_header(name)
            is_author = header == author
            if is_author and (line in brands or normalise_id(value) in handles):
                continue
            if is_author or header in columns:
                record[name] = pseudonymise(key, value)
        private[line] = json.dumps(record, ensure_ascii=False)
    return private


def _brand_lines(source: str, raw: RawFile, format: str, lines: list[int]) -> set[int]:
    """The lines whose author the file's format marks as a brand account (twcs ``inbound``)."""
    adapter = FORMATS[source][format]
    if not lines or IS_BRAND_ACCOUNT not in {hint.name for hint in adapter.hints}:
        return set()
    subset = replace(raw, frame=raw.frame.filter(pl.col(LINE).is_in(lines)), bad_lines=[])
    canonical = adapter.to_canonical(subset, Path(raw.name)).frame
    marked = canonical.filter(pl.col(IS_BRAND_ACCOUNT).str.to_lowercase() == "true")
    return set(marked[LINE].to_list())
