"""docs/warehouse-tables.md, generated from `warehouse.contract`.

The page's tables (columns, types, keys, partitions, descriptions) come from the
contract; the prose around them lives here. Regenerate the committed page with::

    .venv/bin/python -m warehouse.contract_docs > docs/warehouse-tables.md

tests/test_contract.py fails while the committed page differs from this output.
"""

from __future__ import annotations

from warehouse.contract import RAW_TABLES, SCORE_TABLES, Table

REGENERATE = ".venv/bin/python -m warehouse.contract_docs > docs/warehouse-tables.md"

_INTRO = f"""\
# Warehouse tables written by Python assets

<!-- Generated from warehouse/contract.py; do not edit by hand. Regenerate with:
{REGENERATE} -->

The contract between the Python assets (writers) and dbt / Great Expectations
(readers), defined once in `warehouse/contract.py`. All timestamps are DuckDB
`TIMESTAMP` holding **UTC** (naive). `partition_month` is a `DATE`, the first day
of the calendar month in the reporting time zone (settings `reporting_timezone`,
default Europe/Amsterdam) that the row belongs to; a monthly partition is
replaced by `delete ... where partition_month = ?` + insert, in one transaction.
`extra` is a `JSON` column: an object with every column the file carried beyond
the canonical ones (null when none). A column without a name (an empty header,
pandas' `Unnamed: 0` or `__index_level_0__`) is an index, not data: it is
ignored with a warning and never reaches `extra`. A date written without a time
is stored as the start of that day in the reporting time zone, so it keeps its
calendar day. Every raw table of this page exists (empty if nothing landed) as
soon as any raw asset has written the warehouse once.

Keys are logical: they say what identifies a row and are checked by the
blocking Great Expectations checks and dbt tests, but never declared as
constraints (a partition is replaced by a delete and an insert of the same keys
in one transaction). A nullable column added to the contract later is added to
an existing table (rows already there hold null in it).

Row rules: a row that would fail an error-level expectation of its raw suite
is refused at load into `raw.rejected_rows` (by the same rule, defined once
in `expectations/rules.py`), so it never reaches a raw table and never blocks a
later run; see "Row rules and their load-time twins" below. A partition
timestamp (or date) may lie at most settings `max_future_days`
(`WEBCARE_MAX_FUTURE_DAYS`, default 1 day; a date: today at UTC+14 plus that)
in the future; a later one is refused and opens no partition. Ids (`*_id`,
`brand`, `ticker`, `handle`, `social_handle`, `in_reply_to_id`) are stored
without zero-width characters (U+200B, U+200C, U+200D, U+2060, U+FEFF), in
Unicode NFC and stripped, so an id that differs only by such a character is
the same id.

Asset keys: the Python asset writing `<schema>.<table>` has key `["<schema>", "<table>"]`.
"""

_ROW_RULES = """\
## Row rules and their load-time twins

Every error-level expectation of the raw suites, and what the loader does so that a
single bad row cannot break it (tests/raw/test_row_rules.py keeps this list complete).
Rules about a whole month (volume, the share of refused rows, the share of empty texts)
are not row rules and stay checks only.

| expectation (raw suite) | at load |
|---|---|
| required columns are never null (all sources) | a missing value is refused; is_brand_account and text ('' for a media-only post) are always set |
| key is unique (all sources) | a second row with the key and other content is refused, with the same content loaded once; ids compared after zero-width removal and NFC (handles case-insensitively) |
| platform / channel is one of the list | a value outside the list is refused |
| timestamp or date lies in the validated months; partition_month is its month | by construction: the partition is the row's own month |
| timestamp / date is not in the future | beyond now + max_future_days (dates: today at UTC+14 + max_future_days) refused |
| deleted_at / resolved_at not before created_at / received_at; high not below low | a row out of order is refused |
| author_id (non-brand), customer_id, social_handle, respondent_id are pseudonyms | by construction: the loader pseudonymises |
| text / comment at most 20,000 characters | a longer text is refused |
| ranges: author_followers, open, high, low, adj_close, volume >= 0; close > 0; score 0..10; shares_outstanding > 0; promised_response_minutes >= 1 | a value out of range is refused |
| language is ISO 639-1 | by construction: parsed (`nl-NL` -> `nl`) or detected; anything else refused |
| currency is ISO 4217 (prices, brands) | upper-cased; anything but three letters refused |
| no two brands share a ticker | a later brand with the ticker is refused |
| handle without a leading `@` | one `@` is taken off; `@@x` is refused |
| timezone is an IANA zone | a value that is not a zone is refused |
"""  # noqa: E501


def _cell(text: str) -> str:
    """`text` made safe for a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _names(columns: tuple[str, ...]) -> str:
    return ", ".join(f"`{name}`" for name in columns)


def render_table(table: Table) -> str:
    """One table's section: heading, description, key, partition and its columns."""
    lines = [f"## {table.qualified}", "", table.description, ""]
    key = f"({_names(table.primary_key)})" if table.primary_key else "none"
    facts = [f"Key: {key}."]
    if table.partition_column:
        partition = f"Partition: `{table.partition_column}`"
        if table.partitioned_by:
            partition += f", the reporting month of `{table.partitioned_by}`"
        facts.append(partition + ".")
    lines += [" ".join(facts), "", "| column | type | description |", "|---|---|---|"]
    for column in table.columns:
        kind = column.type if column.nullable else f"{column.type} not null"
        lines.append(f"| {column.name} | {kind} | {_cell(column.description)} |")
    return "\n".join(lines) + "\n"


def render_tables_markdown() -> str:
    """The whole of docs/warehouse-tables.md: the prose, then every table of the contract."""
    sections = [
        _INTRO,
        *(render_table(table) for table in RAW_TABLES.values()),
        _ROW_RULES,
        *(render_table(table) for table in SCORE_TABLES.values()),
    ]
    return "\n".join(sections)


if __name__ == "__main__":
    print(render_tables_markdown(), end="")
