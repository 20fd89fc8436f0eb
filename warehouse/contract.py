"""The one definition of the warehouse tables the Python assets write: ``raw.*`` and ``scores.*``.

Every table is a `Table`: schema, name, ordered `Column`s (DuckDB type, nullable,
one-line description), the logical primary key and the partition column. Everything
else is derived from it: the DDL (`create_table_sql`, `ensure_tables`), the key lists
of the Great Expectations suites, the landing schemas' keys (`assets.raw.schemas`),
the test warehouses and docs/warehouse-tables.md (`warehouse.contract_docs`).

Primary keys are logical, not constraints: the DDL never declares them. Monthly
tables are replaced one ``partition_month`` at a time by a delete and an insert in
one transaction, and reference tables whole the same way; a constraint would make
DuckDB refuse a delete and re-insert of the same keys in one transaction. The keys
are checked instead, by the blocking Great Expectations checks and by dbt tests, and
the raw loader refuses a second row with a key before it is written.

Standard library only (duckdb for type hints): every layer may import this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

PARTITION_MONTH = "partition_month"


@dataclass(frozen=True)
class Column:
    """One column of a warehouse table."""

    name: str
    # The DuckDB type as the DDL spells it and information_schema reports it.
    type: str
    nullable: bool = True
    description: str = ""

    def sql(self) -> str:
        """The column's definition in ``create table``: ``"name" TYPE [NOT NULL]``."""
        return f'"{self.name}" {self.type}' + ("" if self.nullable else " NOT NULL")


@dataclass(frozen=True)
class Table:
    """One warehouse table: where it lives, its columns in order, its key and its partition."""

    schema: str
    name: str
    description: str
    columns: tuple[Column, ...]
    # What identifies a row (checked by the suites and dbt; never a DDL constraint).
    primary_key: tuple[str, ...]
    # The column a monthly partition is replaced by (``delete ... where <it> = ?``).
    partition_column: str | None = None
    # The row's own timestamp or date whose reporting month is `partition_column`.
    partitioned_by: str | None = None

    def __post_init__(self) -> None:
        names = self.column_names
        if len(set(names)) != len(names):
            raise ValueError(f"{self.qualified}: a column is defined twice")
        named = [*self.primary_key, self.partition_column, self.partitioned_by]
        unknown = [name for name in named if name is not None and name not in names]
        if unknown:
            raise ValueError(f"{self.qualified}: unknown key or partition column(s) {unknown}")

    @property
    def qualified(self) -> str:
        """``<schema>.<name>``."""
        return f"{self.schema}.{self.name}"

    @property
    def column_names(self) -> list[str]:
        """Column names in table order."""
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column:
        """The column called `name`."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.qualified} has no column {name!r}")


# ---- shared columns --------------------------------------------------------------


def _extra(description: str = "") -> Column:
    base = "JSON object of the columns the file carried beyond the contract (null when none)"
    return Column("extra", "JSON", description=f"{base}{description}.")


LINEAGE = (
    Column(
        "_source_file",
        "VARCHAR",
        nullable=False,
        description="Landing file the row came from (relative to the landing folder).",
    ),
    Column(
        "_source_line",
        "BIGINT",
        nullable=False,
        description="1-based line (record) of the row in that file: CSV counts the header as "
        "line 1, JSONL starts at 1, Parquet gives the row number.",
    ),
    Column("_loaded_at", "TIMESTAMP", nullable=False, description="When the row was loaded (UTC)."),
)


def _partitioned(partitioned_by: str, *columns: Column, extra: Column | None = None) -> tuple:
    """A monthly raw table's columns: its own, then extra, partition_month and lineage."""
    month = Column(
        PARTITION_MONTH,
        "DATE",
        nullable=False,
        description=f"First day of the month of {partitioned_by} in the reporting time zone.",
    )
    return (*columns, extra or _extra(), month, *LINEAGE)


def _reference(*columns: Column) -> tuple:
    """A reference raw table's columns: its own, then extra and lineage."""
    return (*columns, _extra(), *LINEAGE)


_LABEL = Column(
    "label",
    "VARCHAR",
    nullable=False,
    description="negative, neutral or positive: the class of the highest probability.",
)
_PROBABILITIES = tuple(
    Column(f"p_{label}", "DOUBLE", nullable=False, description=f"Probability of the {label} class.")
    for label in ("negative", "neutral", "positive")
)


def _scores(*key: Column, partitioned: str) -> tuple:
    """A score table's columns: the scored record's key, its month, then the score."""
    return (
        *key,
        Column(
            PARTITION_MONTH,
            "DATE",
            nullable=False,
            description=f"Month partition of the {partitioned}.",
        ),
        Column(
            "text_hash",
            "VARCHAR",
            nullable=False,
            description="Hash of the normalised text (the cache key).",
        ),
        _LABEL,
        *_PROBABILITIES,
        Column(
            "score", "DOUBLE", nullable=False, description="p_positive - p_negative, in [-1, 1]."
        ),
        Column(
            "model_version",
            "VARCHAR",
            nullable=False,
            description="Version of the model that scored the text.",
        ),
        Column(
            "scored_at",
            "TIMESTAMP",
            nullable=False,
            description="When the text was first scored (UTC).",
        ),
    )


# ---- raw -------------------------------------------------------------------------

_RAW = (
    Table(
        "raw",
        "mentions",
        "Social messages of customers and of brand accounts (asset `raw/mentions`), replaced "
        "per partition_month.",
        _partitioned(
            "created_at",
            Column(
                "mention_id",
                "VARCHAR",
                nullable=False,
                description="Id of the message, unique per platform.",
            ),
            Column(
                "platform",
                "VARCHAR",
                nullable=False,
                description="twitter, facebook, instagram, forum, blog, news, review or other.",
            ),
            Column(
                "created_at",
                "TIMESTAMP",
                nullable=False,
                description="When the message was posted (UTC); at most now + max_future_days.",
            ),
            Column(
                "author_id",
                "VARCHAR",
                nullable=False,
                description="Brand account handle as written in webcare_accounts (no `@`) when the "
                "author is a brand account, else the pseudonym `p_<16 hex>`.",
            ),
            Column(
                "is_brand_account",
                "BOOLEAN",
                nullable=False,
                description="The author is a handle in raw.webcare_accounts (case-insensitive, "
                "without `@`), or the adapter knows it (twcs `inbound = False`).",
            ),
            Column(
                "text",
                "VARCHAR",
                description="Message text ('' only for media-only posts), up to 20,000 characters.",
            ),
            Column(
                "brand",
                "VARCHAR",
                description="Brand key: given, else the brand of the authoring brand account, else "
                "of the first brand handle `@mentioned` in the text, else a keyword match from "
                "raw.brands; null if none (dbt may still derive it from the thread).",
            ),
            Column(
                "in_reply_to_id",
                "VARCHAR",
                description="mention_id (same platform) this message answers.",
            ),
            Column(
                "language",
                "VARCHAR",
                description="ISO 639-1 code; detected (nl/en heuristic) when the file gives none.",
            ),
            Column(
                "author_followers", "BIGINT", description="Followers of the author (reach), >= 0."
            ),
            Column("url", "VARCHAR", description="Link to the message."),
            Column(
                "deleted_at",
                "TIMESTAMP",
                description="When the platform reported the message deleted (UTC), if it did; not "
                "before created_at.",
            ),
            extra=_extra(
                ', e.g. `{"is_automated": true}` for an auto-reply flagged in the message'
            ),
        ),
        primary_key=("platform", "mention_id"),
        partition_column=PARTITION_MONTH,
        partitioned_by="created_at",
    ),
    Table(
        "raw",
        "complaints",
        "Complaints received through the traditional channels and social customer-service "
        "desks (asset `raw/complaints`), replaced per partition_month.",
        _partitioned(
            "received_at",
            Column("complaint_id", "VARCHAR", nullable=False, description="Id of the complaint."),
            Column(
                "brand", "VARCHAR", nullable=False, description="Brand key the complaint is about."
            ),
            Column(
                "received_at",
                "TIMESTAMP",
                nullable=False,
                description="When the complaint was received (UTC); at most now + max_future_days.",
            ),
            Column(
                "channel",
                "VARCHAR",
                nullable=False,
                description="phone, email, letter, webform, store, social or other.",
            ),
            Column("category", "VARCHAR", description="Product or issue."),
            Column("customer_id", "VARCHAR", description="Pseudonymised customer id."),
            Column(
                "social_handle",
                "VARCHAR",
                description="Pseudonymised social handle of the customer, made with the same key "
                "and normalisation as mention authors, so it equals their author_id.",
            ),
            Column(
                "resolved_at",
                "TIMESTAMP",
                description="When the complaint was resolved (UTC); not before received_at.",
            ),
            Column(
                "is_timely_response",
                "BOOLEAN",
                description="The company answered within its deadline (as the source reports it).",
            ),
        ),
        primary_key=("complaint_id",),
        partition_column=PARTITION_MONTH,
        partitioned_by="received_at",
    ),
    Table(
        "raw",
        "nps_responses",
        "NPS survey answers (asset `raw/nps_responses`), replaced per partition_month.",
        _partitioned(
            "answered_at",
            Column(
                "response_id", "VARCHAR", nullable=False, description="Id of the survey response."
            ),
            Column(
                "brand", "VARCHAR", nullable=False, description="Brand key the survey is about."
            ),
            Column(
                "answered_at",
                "TIMESTAMP",
                nullable=False,
                description="When the respondent answered (UTC); at most now + max_future_days.",
            ),
            Column(
                "score",
                "INTEGER",
                nullable=False,
                description="Likelihood to recommend, integer 0..10.",
            ),
            Column("respondent_id", "VARCHAR", description="Pseudonymised respondent id."),
            Column(
                "comment",
                "VARCHAR",
                description="Free-text comment, at most 20,000 characters (scored in "
                "scores.nps_comment_sentiment).",
            ),
            Column("wave", "VARCHAR", description="Survey wave label."),
        ),
        primary_key=("response_id",),
        partition_column=PARTITION_MONTH,
        partitioned_by="answered_at",
    ),
    Table(
        "raw",
        "stock_prices",
        "Daily share prices (asset `raw/stock_prices`), replaced per partition_month.",
        _partitioned(
            "date",
            Column("ticker", "VARCHAR", nullable=False, description="Exchange ticker."),
            Column(
                "date",
                "DATE",
                nullable=False,
                description="Trading day; at most today + max_future_days.",
            ),
            Column("open", "DOUBLE", description="Opening price (>= 0)."),
            Column("high", "DOUBLE", description="Highest price of the day (>= 0, not below low)."),
            Column("low", "DOUBLE", description="Lowest price of the day (>= 0)."),
            Column("close", "DOUBLE", nullable=False, description="Closing price (> 0)."),
            Column(
                "adj_close",
                "DOUBLE",
                description="Closing price adjusted for splits and dividends, when the source "
                "gives it (>= 0).",
            ),
            Column("volume", "BIGINT", description="Shares traded (>= 0)."),
            Column(
                "currency",
                "VARCHAR",
                description="ISO 4217 currency of the prices (upper-cased at load).",
            ),
        ),
        primary_key=("ticker", "date"),
        partition_column=PARTITION_MONTH,
        partitioned_by="date",
    ),
    Table(
        "raw",
        "brands",
        "Brand reference (asset `raw/brands`), replaced whole; the sector is the fixed "
        "competitor panel.",
        _reference(
            Column("brand", "VARCHAR", nullable=False, description="Brand key."),
            Column("display_name", "VARCHAR", description="Name to show."),
            Column(
                "sector",
                "VARCHAR",
                description="Competitor panel (e.g. banks, telecoms, insurers).",
            ),
            Column("country", "VARCHAR", description="Country code."),
            Column(
                "ticker",
                "VARCHAR",
                description="Exchange ticker when listed; unique (a later brand with a ticker "
                "already taken is refused).",
            ),
            Column(
                "currency",
                "VARCHAR",
                description="ISO 4217 currency of the brand's money figures (upper-cased at load).",
            ),
            Column(
                "shares_outstanding",
                "BIGINT",
                description="Shares outstanding, for the market capitalisation (> 0).",
            ),
            Column(
                "keywords",
                "VARCHAR[]",
                description="Keywords the loader matches untagged mentions by.",
            ),
        ),
        primary_key=("brand",),
    ),
    Table(
        "raw",
        "webcare_accounts",
        "Webcare accounts of the brands (asset `raw/webcare_accounts`), replaced whole.",
        _reference(
            Column("brand", "VARCHAR", nullable=False, description="Brand key of the account."),
            Column(
                "handle",
                "VARCHAR",
                nullable=False,
                description="Account handle without `@` (one `@` is taken off at load; `@@x` is "
                "refused); compared case-insensitively.",
            ),
            Column("platform", "VARCHAR", nullable=False, description="Platform of the account."),
            Column(
                "is_bot",
                "BOOLEAN",
                nullable=False,
                description="The account is an auto-responder; its replies are not responses.",
            ),
            Column(
                "promised_response_minutes",
                "INTEGER",
                description="Published response promise in minutes (>= 1; business minutes when "
                "opening hours are published).",
            ),
            Column(
                "opening_hours",
                "VARCHAR",
                description="Opening hours as published, e.g. 'mon-fri 08:00-20:00'; null or "
                "empty = 24/7.",
            ),
            Column(
                "timezone",
                "VARCHAR",
                nullable=False,
                description="IANA time zone of the opening hours (default the source time zone).",
            ),
            Column("bio", "VARCHAR", description="Account bio."),
        ),
        primary_key=("handle", "platform"),
    ),
    Table(
        "raw",
        "webcare_account_opening_hours",
        "One row per opening window parsed from webcare_accounts.opening_hours, written with "
        "raw.webcare_accounts (asset `raw/webcare_account_opening_hours`); an account without "
        "rows is open 24/7.",
        (
            Column("handle", "VARCHAR", nullable=False, description="Account handle without `@`."),
            Column("platform", "VARCHAR", nullable=False, description="Platform of the account."),
            Column(
                "weekday",
                "INTEGER",
                nullable=False,
                description="ISO weekday, 1 = Monday .. 7 = Sunday.",
            ),
            Column(
                "opens_at",
                "TIME",
                nullable=False,
                description="Local opening time in the account's time zone.",
            ),
            Column(
                "closes_at",
                "TIME",
                nullable=False,
                description="Local closing time, > opens_at (`24:00` stored as 23:59:59.999999).",
            ),
            *LINEAGE,
        ),
        primary_key=("handle", "platform", "weekday", "opens_at"),
    ),
    Table(
        "raw",
        "rejected_rows",
        "Rows refused at load, written by every raw asset: replaced per source and "
        "partition_month (reference sources: per source). A log of refusals: it has no key, "
        "it is read per source and month.",
        (
            Column(
                "source",
                "VARCHAR",
                nullable=False,
                description="Source whose load refused the row.",
            ),
            Column(
                "file",
                "VARCHAR",
                nullable=False,
                description="Landing file of the row (relative to the landing folder).",
            ),
            Column(
                "line",
                "BIGINT",
                description="Line (record) of the row in that file, counted as _source_line is.",
            ),
            Column(
                "column",
                "VARCHAR",
                description="Column the reason is about; null when it is about the row as a whole.",
            ),
            Column(
                "reason",
                "VARCHAR",
                nullable=False,
                description="Why the row was refused (readable).",
            ),
            Column(
                "record",
                "JSON",
                description="The row as read, under the file's own column names, with people "
                "pseudonymised as in the raw tables (mention authors unless brand accounts, "
                "complaints customer_id and social_handle, nps respondent_id); a line that "
                'could not be read as a record is not copied: `{"raw_line": null, "note": ...}`.',
            ),
            Column(
                PARTITION_MONTH,
                "DATE",
                description="The row's month; null for reference sources; for a row that cannot "
                "be dated, or is dated beyond today + max_future_days, the month its file belongs "
                "to; for a row dated before the first partition, the first partition.",
            ),
            Column(
                "rejected_at",
                "TIMESTAMP",
                nullable=False,
                description="When the row was refused (UTC).",
            ),
            Column(
                "is_dated_in_month",
                "BOOLEAN",
                description="True when the row's own timestamp puts it in partition_month; false "
                "when it is filed there only for want of a month of its own (it then counts "
                "towards its file's refused share, not the month's, in the raw check); null for "
                "reference sources.",
            ),
        ),
        primary_key=(),
        partition_column=PARTITION_MONTH,
    ),
)

# ---- scores ----------------------------------------------------------------------

_SCORES = (
    Table(
        "scores",
        "mention_sentiment",
        "One score per inbound mention (`not is_brand_account`) of the month (asset "
        "`scores/mention_sentiment`), replaced per partition_month.",
        _scores(
            Column("platform", "VARCHAR", nullable=False, description="Platform of the mention."),
            Column("mention_id", "VARCHAR", nullable=False, description="Id of the mention."),
            partitioned="mention",
        ),
        primary_key=("platform", "mention_id"),
        partition_column=PARTITION_MONTH,
    ),
    Table(
        "scores",
        "nps_comment_sentiment",
        "One score per NPS response with a non-empty comment (asset "
        "`scores/nps_comment_sentiment`), replaced per partition_month.",
        _scores(
            Column("response_id", "VARCHAR", nullable=False, description="Id of the NPS response."),
            partitioned="response",
        ),
        primary_key=("response_id",),
        partition_column=PARTITION_MONTH,
    ),
    Table(
        "scores",
        "sentiment_cache",
        "Every text scored so far, per model version (internal to the scoring assets): a text "
        "already here is not scored again.",
        (
            Column(
                "text_hash", "VARCHAR", nullable=False, description="Hash of the normalised text."
            ),
            Column(
                "model_version",
                "VARCHAR",
                nullable=False,
                description="Version of the model that scored the text.",
            ),
            _LABEL,
            *_PROBABILITIES,
            Column(
                "scored_at",
                "TIMESTAMP",
                nullable=False,
                description="When the text was scored (UTC).",
            ),
        ),
        primary_key=("text_hash", "model_version"),
    ),
    Table(
        "scores",
        "sentiment_calibration",
        "The confusion rates of each model on labelled data, per language and pooled ('*'), "
        "with the inverse that corrects the marts' class shares (asset "
        "`scores/sentiment_calibration`, replaced whole; models/sentiment/calibration.py).",
        (
            Column(
                "calibration_id",
                "VARCHAR",
                nullable=False,
                description="Which labelled sample, for which model (shown in the marts).",
            ),
            Column(
                "model_version",
                "VARCHAR",
                nullable=False,
                description="The model the rates were measured for; scores of other versions "
                "are not corrected with them.",
            ),
            Column(
                "language",
                "VARCHAR",
                nullable=False,
                description="ISO 639-1 code, or '*' for the rates pooled over all languages.",
            ),
            Column("true_label", "VARCHAR", nullable=False, description="The labelled class."),
            Column("predicted_label", "VARCHAR", nullable=False, description="The model's class."),
            Column(
                "labelled_count",
                "BIGINT",
                nullable=False,
                description="Labelled examples of true_label the model called predicted_label.",
            ),
            Column(
                "confusion_rate",
                "DOUBLE",
                nullable=False,
                description="P(predicted_label | true_label) in the sample.",
            ),
            Column(
                "inverse_coefficient",
                "DOUBLE",
                nullable=False,
                description="Entry [true_label, predicted_label] of the inverse of the transposed "
                "rates: a true share is the sum over predicted labels of this times the "
                "predicted share.",
            ),
            Column(
                "loaded_at",
                "TIMESTAMP",
                nullable=False,
                description="When the asset wrote the row (UTC).",
            ),
        ),
        primary_key=("model_version", "language", "true_label", "predicted_label"),
    ),
)

RAW_TABLES: dict[str, Table] = {table.name: table for table in _RAW}
"""The raw tables by name (``mentions``, ..., ``rejected_rows``), in contract order."""

SCORE_TABLES: dict[str, Table] = {table.name: table for table in _SCORES}
"""The scores tables by name (``mention_sentiment``, ...), in contract order."""

TABLES: dict[str, Table] = {table.qualified: table for table in (*_RAW, *_SCORES)}
"""Every table of the contract by qualified name (``raw.mentions``), raw first."""


def table(qualified: str) -> Table:
    """The contract's table called `qualified` (``raw.mentions``)."""
    try:
        return TABLES[qualified]
    except KeyError:
        raise KeyError(f"{qualified!r} is not a table of warehouse.contract") from None


def create_table_sql(table: Table) -> str:
    """``create table if not exists`` for `table` (no key constraints: see the module docstring)."""
    body = ",\n    ".join(column.sql() for column in table.columns)
    return f"create table if not exists {table.qualified} (\n    {body}\n)"


def ensure_tables(conn: duckdb.DuckDBPyConnection, tables: Iterable[Table] | None = None) -> None:
    """Create the schemas and every table of `tables` (default: all) that is missing, empty.

    A table written by an older version gets the nullable columns added since (rows
    already there hold null in them); a NOT NULL column cannot be added that way.
    """
    tables = list(TABLES.values() if tables is None else tables)
    # One look at the catalog first: the loaders call this for every partition they
    # write, and each DDL statement is a commit of its own (about 15 ms for all tables).
    existing: dict[tuple[str, str], set[str]] = {}
    for schema, name, column in conn.execute(
        "select lower(table_schema), lower(table_name), lower(column_name) "
        "from information_schema.columns where table_catalog = current_database()"
    ).fetchall():
        existing.setdefault((schema, name), set()).add(column)
    schemas = {schema for schema, _ in existing}
    for schema in dict.fromkeys(table.schema for table in tables):
        if schema.lower() not in schemas:
            conn.execute(f"create schema if not exists {schema}")
    for table in tables:
        columns = existing.get((table.schema.lower(), table.name.lower()))
        if columns is None:
            conn.execute(create_table_sql(table))
            continue
        for column in table.columns:
            if column.nullable and column.name.lower() not in columns:
                conn.execute(
                    f"alter table {table.qualified} add column if not exists {column.sql()}"
                )
