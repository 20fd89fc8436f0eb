"""The canonical landing columns of every source (DATA_CONTRACTS.md) and how each is checked.

A `SourceSchema` lists the canonical columns in the order of the contract,
their kind (which parser validates them), whether a value is required, the
key that identifies a record (for duplicate detection) and the column whose
month decides the partition. The key and the partition column are the
warehouse table's (`warehouse.contract`), and every landing column must be a
column of that table: `_source` takes them from there and checks it.

The row rules that the blocking checks on ``raw.*`` also verify (value
ranges, text lengths, column orders, columns unique besides the key) are not
written here: `_source` takes them from `expectations.rules`, the one
definition the suites use too, so the loader refuses exactly the rows a check
would fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum

from expectations import rules
from warehouse.contract import RAW_TABLES


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
    CURRENCY = "currency"


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
    # Longest text accepted, in characters (None: no limit).
    max_length: int | None = None
    # An id, handle or key: zero-width characters are removed and the text is put
    # in Unicode NFC before anything compares it (`validation`).
    identifier: bool = False


@dataclass(frozen=True)
class SourceSchema:
    """The contract of one source."""

    source: str
    columns: tuple[Column, ...]
    # The key and the partition column come from warehouse.contract (`_source`).
    key: tuple[str, ...] = ()
    partition_column: str | None = None
    pseudonymised: tuple[str, ...] = field(default=())
    # Key columns compared case-insensitively (handles: @AskCiti is @askciti).
    casefold_key: tuple[str, ...] = field(default=())
    # Pairs of columns whose order a row must respect (expectations.rules.NOT_BEFORE).
    not_before: tuple[rules.NotBefore, ...] = field(default=())
    # Columns besides the key that no two rows may share (expectations.rules.ALSO_UNIQUE).
    also_unique: tuple[str, ...] = field(default=())

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


PLATFORMS = rules.PLATFORMS
CHANNELS = rules.CHANNELS


def _landing_key(key: tuple[str, ...]) -> tuple[str, ...]:
    """A table's key as duplicate detection uses it: ``platform`` first, as it only
    namespaces the id that follows (the loader's reasons name the last column)."""
    return tuple(sorted(key, key=lambda name: name != "platform"))


def _source(schema: SourceSchema) -> SourceSchema:
    """`schema` with the key and partition column of its warehouse table
    (`warehouse.contract`) and the row rules of `expectations.rules` for its source.

    Fails at import when a landing column is not a column of the warehouse table,
    or when a rule names a column the contract lacks, so a typo cannot silently
    drop a rule from the loader while the check keeps it.
    """
    source = schema.source
    table = RAW_TABLES[source]
    not_in_table = sorted(set(schema.names) - set(table.column_names))
    if not_in_table:
        raise ValueError(f"{source} landing column(s) not in {table.qualified}: {not_in_table}")
    ranges = rules.RANGES.get(source, {})
    limited = rules.LENGTH_LIMITED.get(source, ())
    orders = rules.NOT_BEFORE.get(source, ())
    unique = tuple(rules.ALSO_UNIQUE.get(source, {}))
    named = [*ranges, *limited, *unique, *(n for o in orders for n in (o.later, o.earlier))]
    unknown = sorted(set(named) - set(schema.names))
    if unknown:
        raise ValueError(f"expectations.rules names unknown {source} column(s): {unknown}")
    columns = []
    for column in schema.columns:
        bounds = ranges.get(column.name)
        if bounds is not None:
            column = replace(
                column,
                minimum=bounds.minimum,
                maximum=bounds.maximum,
                exclusive_minimum=bounds.strict_minimum,
            )
        if column.name in limited:
            column = replace(column, max_length=rules.MAX_TEXT_LENGTH)
        columns.append(column)
    return replace(
        schema,
        columns=tuple(columns),
        key=_landing_key(table.primary_key),
        partition_column=table.partitioned_by,
        not_before=orders,
        also_unique=unique,
    )


# Ranges, text lengths, orders and extra unique columns come from expectations.rules
# (`_source`); a column here only says what the contract says about its kind.
MENTIONS = _source(
    SourceSchema(
        source="mentions",
        columns=(
            Column("mention_id", required=True, identifier=True),
            Column("platform", Kind.CHOICE, required=True, choices=PLATFORMS),
            Column("created_at", Kind.TIMESTAMP, required=True),
            Column("author_id", required=True, identifier=True),
            Column("text", required=True, allow_empty=True),
            Column("brand", identifier=True),
            Column("in_reply_to_id", identifier=True),
            Column("language", Kind.LANGUAGE),
            Column("author_followers", Kind.INTEGER),
            Column("url"),
            Column("deleted_at", Kind.TIMESTAMP),
        ),
    )
)

COMPLAINTS = _source(
    SourceSchema(
        source="complaints",
        columns=(
            Column("complaint_id", required=True, identifier=True),
            Column("brand", required=True, identifier=True),
            Column("received_at", Kind.TIMESTAMP, required=True),
            Column("channel", Kind.CHOICE, required=True, choices=CHANNELS),
            Column("category"),
            Column("customer_id", identifier=True),
            Column("social_handle", identifier=True),
            Column("resolved_at", Kind.TIMESTAMP),
            Column("is_timely_response", Kind.BOOLEAN),
        ),
        pseudonymised=("customer_id", "social_handle"),
    )
)

NPS_RESPONSES = _source(
    SourceSchema(
        source="nps_responses",
        columns=(
            Column("response_id", required=True, identifier=True),
            Column("brand", required=True, identifier=True),
            Column("answered_at", Kind.TIMESTAMP, required=True),
            Column("score", Kind.INTEGER, required=True),
            Column("respondent_id", identifier=True),
            Column("comment"),
            Column("wave"),
        ),
        pseudonymised=("respondent_id",),
    )
)

STOCK_PRICES = _source(
    SourceSchema(
        source="stock_prices",
        columns=(
            Column("ticker", required=True, identifier=True),
            Column("date", Kind.DATE, required=True),
            Column("close", Kind.NUMBER, required=True),
            Column("open", Kind.NUMBER),
            Column("high", Kind.NUMBER),
            Column("low", Kind.NUMBER),
            Column("adj_close", Kind.NUMBER),
            Column("volume", Kind.INTEGER),
            Column("currency", Kind.CURRENCY),
        ),
    )
)

BRANDS = _source(
    SourceSchema(
        source="brands",
        columns=(
            Column("brand", required=True, identifier=True),
            Column("display_name"),
            Column("sector"),
            Column("country"),
            Column("ticker", identifier=True),
            Column("currency", Kind.CURRENCY),
            Column("shares_outstanding", Kind.INTEGER),
            Column("keywords", Kind.KEYWORDS),
        ),
    )
)

WEBCARE_ACCOUNTS = _source(
    SourceSchema(
        source="webcare_accounts",
        columns=(
            Column("brand", required=True, identifier=True),
            Column("handle", Kind.HANDLE, required=True, identifier=True),
            Column("platform", Kind.CHOICE, required=True, choices=PLATFORMS),
            Column("is_bot", Kind.BOOLEAN),
            Column("promised_response_minutes", Kind.INTEGER),
            Column("opening_hours"),
            Column("timezone", Kind.TIMEZONE),
            Column("bio"),
        ),
        casefold_key=("handle",),
    )
)

SCHEMAS: dict[str, SourceSchema] = {
    schema.source: schema
    for schema in (MENTIONS, COMPLAINTS, NPS_RESPONSES, STOCK_PRICES, BRANDS, WEBCARE_ACCOUNTS)
}
