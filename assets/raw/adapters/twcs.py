"""Customer Support on Twitter (``twcs.csv``, Thought Vector on Kaggle) -> mentions.

Columns: tweet_id, author_id, inbound, created_at (``Tue Oct 31 22:10:47 +0000
2017``), text, response_tweet_id (comma-separated ids), in_response_to_tweet_id
(written as a float, ``192625.0``).

Brand accounts are the authors with ``inbound = False``; they keep their
handle and their brand key is that handle in lower case. The brand of a
customer tweet is, in order: the first brand account it ``@mentions``, the
brand account it replies to, the brand account that answers it (all looked up
within the same file; later steps add the warehouse's own accounts and
keywords). ``response_tweet_id`` is kept in ``extra``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from assets.raw.adapters.base import Adapter, Canonical, Parser, assemble
from assets.raw.readers import RawFile
from assets.raw.schemas import Column, Kind
from assets.raw.timestamps import parse_strftime_timestamp

IS_BRAND_ACCOUNT = "__is_brand_account"
TWITTER_FORMAT = "%a %b %d %H:%M:%S %z %Y"
TWITTER_EXAMPLE = "Tue Oct 31 22:10:47 +0000 2017"
_MAPPED = ("tweet_id", "author_id", "inbound", "created_at", "text", "in_response_to_tweet_id")
_OPTIONAL = ("response_tweet_id", "in_response_to_tweet_id")
_HANDLE = r"@(\w+)"


@dataclass(frozen=True)
class TwcsAdapter(Adapter):
    """The twcs export; see the module docstring."""

    def to_canonical(self, raw: RawFile, path: Path) -> Canonical:
        """Rename to the contract, mark brand accounts and derive brands within the file."""
        # The thread columns are optional: a file without them still loads.
        frame = raw.frame.with_columns(
            pl.lit(None, dtype=pl.String).alias(column)
            for column in _OPTIONAL
            if column not in raw.frame.columns
        )
        inbound = pl.col("inbound").str.strip_chars().str.to_lowercase()
        is_brand = (
            pl.when(inbound == "false")
            .then(pl.lit("true"))
            .when(inbound == "true")
            .then(pl.lit("false"))
            .otherwise(pl.col("inbound"))
        )
        frame = frame.with_columns(
            is_brand.alias(IS_BRAND_ACCOUNT),
            pl.col("in_response_to_tweet_id")
            .str.strip_chars()
            .str.replace(r"^(\d+)\.0+$", "$1")
            .alias("in_response_to_tweet_id"),
        )
        frame = frame.with_columns(_brand_within_file(frame).alias("__brand"))
        values = {
            "mention_id": pl.col("tweet_id"),
            "platform": pl.lit("twitter"),
            "created_at": pl.col("created_at"),
            "author_id": pl.col("author_id"),
            "text": pl.col("text"),
            "brand": pl.col("__brand"),
            "in_reply_to_id": pl.col("in_response_to_tweet_id"),
        }
        extra = [column for column in raw.columns if column not in _MAPPED]
        canonical = assemble(
            frame, self.schema, values, extra, hints={IS_BRAND_ACCOUNT: pl.col(IS_BRAND_ACCOUNT)}
        )
        labels = {
            "mention_id": "tweet_id",
            "platform": "platform",
            "created_at": "created_at",
            "author_id": "author_id",
            "text": "text",
            "brand": "brand",
            "in_reply_to_id": "in_response_to_tweet_id",
            IS_BRAND_ACCOUNT: "inbound",
        }
        return Canonical(frame=canonical, labels=labels)

    def parsers(self, source_timezone: str, reporting_timezone: str) -> dict[str, Parser]:
        """Twitter's own timestamp layout, which always carries an offset."""

        def created_at(value: pl.Expr, label: str):
            return parse_strftime_timestamp(value, label, TWITTER_FORMAT, TWITTER_EXAMPLE)

        return {"created_at": created_at}


def _brand_within_file(frame: pl.DataFrame) -> pl.Series:
    """Brand key per tweet from the brand accounts seen in the same file."""
    tweets = frame.select(
        pl.int_range(0, pl.len()).alias("__row"),
        pl.col("tweet_id").str.strip_chars().alias("tweet_id"),
        pl.col("author_id").str.strip_chars().str.strip_prefix("@").alias("author"),
        (pl.col(IS_BRAND_ACCOUNT) == "true").alias("is_brand"),
        pl.col("text"),
        pl.col("in_response_to_tweet_id").alias("reply_to"),
        pl.col("response_tweet_id").alias("answers"),
    )
    brand_of_author = (
        tweets.filter(pl.col("is_brand"))
        .select(pl.col("author").str.to_lowercase().alias("handle"))
        .unique()
        .with_columns(pl.col("handle").alias("account_brand"))
    )
    brand_of_tweet = (
        tweets.filter(pl.col("is_brand"))
        .select("tweet_id", pl.col("author").str.to_lowercase().alias("account_brand"))
        .unique(subset="tweet_id", keep="first")
    )

    own = pl.when(pl.col("is_brand")).then(pl.col("author").str.to_lowercase())

    mentioned = (
        tweets.select("__row", pl.col("text").str.extract_all(_HANDLE).alias("handle"))
        .explode("handle")
        .with_columns(pl.col("handle").str.strip_prefix("@").str.to_lowercase())
        .join(brand_of_author, on="handle", how="inner", maintain_order="left")
        .group_by("__row", maintain_order=True)
        .agg(pl.col("account_brand").first().alias("mentioned_brand"))
    )
    replied_to = (
        tweets.select("__row", pl.col("reply_to").alias("tweet_id"))
        .join(brand_of_tweet, on="tweet_id", how="inner")
        .select("__row", pl.col("account_brand").alias("replied_brand"))
    )
    answered_by = (
        tweets.select("__row", pl.col("answers").str.split(",").alias("tweet_id"))
        .explode("tweet_id")
        .with_columns(pl.col("tweet_id").str.strip_chars())
        .join(brand_of_tweet, on="tweet_id", how="inner", maintain_order="left")
        .group_by("__row", maintain_order=True)
        .agg(pl.col("account_brand").first().alias("answering_brand"))
    )
    result = (
        tweets.select("__row", "is_brand", "author")
        .join(mentioned, on="__row", how="left")
        .join(replied_to, on="__row", how="left")
        .join(answered_by, on="__row", how="left")
        .sort("__row")
        .select(
            pl.coalesce(own, "mentioned_brand", "replied_brand", "answering_brand").alias("brand")
        )
    )
    return result.to_series()


TWCS = TwcsAdapter(
    name="twcs",
    source="mentions",
    description="Customer Support on Twitter (twcs.csv): tweet_id, author_id, inbound, "
    "created_at, text, response_tweet_id, in_response_to_tweet_id",
    signature=frozenset({"tweet_id", "author_id", "inbound", "created_at", "text"}),
    hints=(Column(IS_BRAND_ACCOUNT, Kind.BOOLEAN, required=True),),
)
