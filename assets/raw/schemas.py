"""The canonical landing columns of every source (DATA_CONTRACTS.md) and how each is checked.

A `SourceSchema` lists the canonical columns in the order of the contract,
their kind (which parser validates them), whether a value is required, the
key that identifies a record (for duplicate detection) and the column whose
month decides the partition.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Kind(Enum):
    """How a canonical column is parsed and checked."""

    TEXT = "text"
    CHOICE = "choice"
    TIMESTAMP = "timestamp"
    DATE = "date"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    LANGUAGE = "language"
    KEYWORDS = "keywords"
    TIMEZONE = "timezone"
    HANDLE = "handle"


@dataclass(frozen=True)
class Column:
    """One canonical column: its kind and the constraints a value must meet."""

    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    # True when the bound is strict (close > 0), False when inclusive (volume >= 0).
    exclusive_minimum: bool = False
    # A required text column whose header must be present but whose value may be
    # empty (a media-only post has no text).
    allow_empty: bool = False


@dataclass(frozen=True)
class SourceSchema:
    """The contract of one source."""

    source: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    partition_column: str | None = None
    pseudonymised: tuple[str, ...] = field(default=())
    # Key columns compared case-insensitively (handles: @AskCiti is @askciti).
    casefold_key: tuple[str, ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical column names, in contract order."""
        return tuple(column.name for column in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        """Columns a file must carry (its header must name them)."""
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        """The column called `name`."""
        return next(column for column in self.columns if column.name == name)


PLATFORMS = ("twitter", "facebook", "instagram", "forum", "blog", "news", "review", "other")
CHANNELS = ("phone", "email", "letter", "webform", "store", "social", "other")

MENTIONS = SourceSchema(
    source="mentions",
    columns=(
        Column("mention_id", required=True),
        Column("platform", Kind.CHOICE, required=True, choices=PLATFORMS),
        Column("created_at", Kind.TIMESTAMP, required=True),
        Column("author_id", required=True),
        Column("text", required=True, allow_empty=True),
        Column("brand"),
        Column("in_reply_to_id"),
        Column("language", Kind.LANGUAGE),
        Column("author_followers", Kind.INTEGER, minimum=0),
        Column("url"),
        Column("deleted_at", Kind.TIMESTAMP),
    ),
    key=("platform", "mention_id"),
    partition_column="created_at",
)

COMPLAINTS = SourceSchema(
    source="complaints",
    columns=(
        Column("complaint_id", required=True),
        Column("brand", required=True),
        Column("received_at", Kind.TIMESTAMP, required=True),
        Column("channel", Kind.CHOICE, required=True, choices=CHANNELS),
        Column("category"),
        Column("customer_id"),
        Column("social_handle"),
        Column("resolved_at", Kind.TIMESTAMP),
        Column("is_timely_response", Kind.BOOLEAN),
    ),
    key=("complaint_id",),
    partition_column="received_at",
    pseudonymised=("customer_id", "social_handle"),
)

NPS_RESPONSES = SourceSchema(
    source="nps_responses",
    columns=(
        Column("response_id", required=True),
        Column("brand", required=True),
        Column("answered_at", Kind.TIMESTAMP, required=True),
        Column("score", Kind.INTEGER, required=True, minimum=0, maximum=10),
        Column("respondent_id"),
        Column("comment"),
        Column("wave"),
    ),
    key=("response_id",),
    partition_column="answered_at",
    pseudonymised=("respondent_id",),
)

STOCK_PRICES = SourceSchema(
    source="stock_prices",
    columns=(
        Column("ticker", required=True),
        Column("date", Kind.DATE, required=True),
        Column("close", Kind.NUMBER, required=True, minimum=0, exclusive_minimum=True),
        Column("open", Kind.NUMBER, minimum=0),
        Column("high", Kind.NUMBER, minimum=0),
        Column("low", Kind.NUMBER, minimum=0),
        Column("adj_close", Kind.NUMBER, minimum=0),
        Column("volume", Kind.INTEGER, minimum=0),
        Column("currency"),
    ),
    key=("ticker", "date"),
    partition_column="date",
)

BRANDS = SourceSchema(
    source="brands",
    columns=(
        Column("brand", required=True),
        Column("display_name"),
        Column("sector"),
        Column("country"),
        Column("ticker"),
        Column("currency"),
        Column("shares_outstanding", Kind.INTEGER, minimum=0),
        Column("keywords", Kind.KEYWORDS),
    ),
    key=("brand",),
)

WEBCARE_ACCOUNTS = SourceSchema(
    source="webcare_accounts",
    columns=(
        Column("brand", required=True),
        Column("handle", Kind.HANDLE, required=True),
        Column("platform", Kind.CHOICE, required=True, choices=PLATFORMS),
        Column("is_bot", Kind.BOOLEAN),
        Column("promised_response_minutes", Kind.INTEGER, minimum=0),
        Column("opening_hours"),
        Column("timezone", Kind.TIMEZONE),
        Column("bio"),
    ),
    key=("platform", "handle"),
    casefold_key=("handle",),
)

SCHEMAS: dict[str, SourceSchema] = {
    schema.source: schema
    for schema in (MENTIONS, COMPLAINTS, NPS_RESPONSES, STOCK_PRICES, BRANDS, WEBCARE_ACCOUNTS)
}
