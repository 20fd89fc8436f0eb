"""DuckDB side of the raw layer: table definitions (docs/warehouse-tables.md) and atomic writes.

A monthly partition is replaced in one transaction: create the tables if
needed, delete the month's rows and its refused rows, insert the new ones
through Arrow, commit. Reference tables are replaced whole the same way. The
first write of any source creates every table of the contract (empty), so a
home that has loaded one source still has the tables every reader (dbt
sources, checks, scoring) expects.

Primary keys are not declared as constraints (dbt tests check them), so a
delete and re-insert of the same keys in one transaction never trips DuckDB's
constraint checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

LINEAGE = (
    ("_source_file", "VARCHAR NOT NULL"),
    ("_source_line", "BIGINT NOT NULL"),
    ("_loaded_at", "TIMESTAMP NOT NULL"),
)


@dataclass(frozen=True)
class Table:
    """A raw table: name and ordered (column, DuckDB type) pairs."""

    name: str
    columns: tuple[tuple[str, str], ...]

    @property
    def qualified(self) -> str:
        """``raw.<name>``."""
        return f"raw.{self.name}"

    @property
    def column_names(self) -> list[str]:
        """Column names in table order."""
        return [name for name, _ in self.columns]

    def ddl(self) -> str:
        """``create table if not exists`` for this table."""
        body = ",\n    ".join(f'"{name}" {sql_type}' for name, sql_type in self.columns)
        return f"create table if not exists {self.qualified} (\n    {body}\n)"


def _partitioned(*columns: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return (*columns, ("extra", "JSON"), ("partition_month", "DATE NOT NULL"), *LINEAGE)


TABLES: dict[str, Table] = {
    "mentions": Table(
        "mentions",
        _partitioned(
            ("mention_id", "VARCHAR NOT NULL"),
            ("platform", "VARCHAR NOT NULL"),
            ("created_at", "TIMESTAMP NOT NULL"),
            ("author_id", "VARCHAR NOT NULL"),
            ("is_brand_account", "BOOLEAN NOT NULL"),
            ("text", "VARCHAR"),
            ("brand", "VARCHAR"),
            ("in_reply_to_id", "VARCHAR"),
            ("language", "VARCHAR"),
            ("author_followers", "BIGINT"),
            ("url", "VARCHAR"),
            ("deleted_at", "TIMESTAMP"),
        ),
    ),
    "complaints": Table(
        "complaints",
        _partitioned(
            ("complaint_id", "VARCHAR NOT NULL"),
            ("brand", "VARCHAR NOT NULL"),
            ("received_at", "TIMESTAMP NOT NULL"),
            ("channel", "VARCHAR NOT NULL"),
            ("category", "VARCHAR"),
            ("customer_id", "VARCHAR"),
            ("social_handle", "VARCHAR"),
            ("resolved_at", "TIMESTAMP"),
            ("is_timely_response", "BOOLEAN"),
        ),
    ),
    "nps_responses": Table(
        "nps_responses",
        _partitioned(
            ("response_id", "VARCHAR NOT NULL"),
            ("brand", "VARCHAR NOT NULL"),
            ("answered_at", "TIMESTAMP NOT NULL"),
            ("score", "INTEGER NOT NULL"),
            ("respondent_id", "VARCHAR"),
            ("comment", "VARCHAR"),
            ("wave", "VARCHAR"),
        ),
    ),
    "stock_prices": Table(
        "stock_prices",
        _partitioned(
            ("ticker", "VARCHAR NOT NULL"),
            ("date", "DATE NOT NULL"),
            ("open", "DOUBLE"),
            ("high", "DOUBLE"),
            ("low", "DOUBLE"),
            ("close", "DOUBLE NOT NULL"),
            ("adj_close", "DOUBLE"),
            ("volume", "BIGINT"),
            ("currency", "VARCHAR"),
        ),
    ),
    "brands": Table(
        "brands",
        (
            ("brand", "VARCHAR NOT NULL"),
            ("display_name", "VARCHAR"),
            ("sector", "VARCHAR"),
            ("country", "VARCHAR"),
            ("ticker", "VARCHAR"),
            ("currency", "VARCHAR"),
            ("shares_outstanding", "BIGINT"),
            ("keywords", "VARCHAR[]"),
            ("extra", "JSON"),
            *LINEAGE,
        ),
    ),
    "webcare_accounts": Table(
        "webcare_accounts",
        (
            ("brand", "VARCHAR NOT NULL"),
            ("handle", "VARCHAR NOT NULL"),
            ("platform", "VARCHAR NOT NULL"),
            ("is_bot", "BOOLEAN NOT NULL"),
            ("promised_response_minutes", "INTEGER"),
            ("opening_hours", "VARCHAR"),
            ("timezone", "VARCHAR NOT NULL"),
            ("bio", "VARCHAR"),
            ("extra", "JSON"),
            *LINEAGE,
        ),
    ),
    "webcare_account_opening_hours": Table(
        "webcare_account_opening_hours",
        (
            ("handle", "VARCHAR NOT NULL"),
            ("platform", "VARCHAR NOT NULL"),
            ("weekday", "INTEGER NOT NULL"),
            ("opens_at", "TIME NOT NULL"),
            ("closes_at", "TIME NOT NULL"),
            *LINEAGE,
        ),
    ),
    "rejected_rows": Table(
        "rejected_rows",
        (
            ("source", "VARCHAR NOT NULL"),
            ("file", "VARCHAR NOT NULL"),
            ("line", "BIGINT"),
            ("column", "VARCHAR"),
            ("reason", "VARCHAR NOT NULL"),
            ("record", "JSON"),
            ("partition_month", "DATE"),
            ("rejected_at", "TIMESTAMP NOT NULL"),
            ("is_dated_in_month", "BOOLEAN"),
        ),
    ),
}


def ensure_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and every raw table of `TABLES` that is missing (empty).

    A table written by an older version gets the nullable columns added since
    (rows already there hold null in them).
    """
    conn.execute("create schema if not exists raw")
    for table in TABLES.values():
        conn.execute(table.ddl())
        for name, sql_type in table.columns:
            if "NOT NULL" not in sql_type:
                conn.execute(
                    f'alter table {table.qualified} add column if not exists "{name}" {sql_type}'
                )


def _insert(conn: duckdb.DuckDBPyConnection, table: Table, frame: pl.DataFrame) -> None:
    if frame.height == 0:
        return
    batch = frame.select(table.column_names).to_arrow()
    conn.register("__raw_batch", batch)
    try:
        columns = ", ".join(f'"{name}"' for name in table.column_names)
        conn.execute(f"insert into {table.qualified} ({columns}) select {columns} from __raw_batch")
    finally:
        conn.unregister("__raw_batch")


def write_partition(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    month_start: object,
    rows: pl.DataFrame,
    rejected: pl.DataFrame,
) -> None:
    """Replace one month of `source` and its refused rows, in one transaction."""
    table = TABLES[source]
    conn.execute("begin transaction")
    try:
        ensure_tables(conn)
        conn.execute(f"delete from {table.qualified} where partition_month = ?", [month_start])
        conn.execute(
            "delete from raw.rejected_rows where source = ? and partition_month = ?",
            [source, month_start],
        )
        _insert(conn, table, rows)
        _insert(conn, TABLES["rejected_rows"], rejected)
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise


def replace_reference(
    conn: duckdb.DuckDBPyConnection,
    source: str,
    tables: dict[str, pl.DataFrame],
    rejected: pl.DataFrame,
) -> None:
    """Replace reference tables whole (accounts and opening hours) and the source's refused rows."""
    conn.execute("begin transaction")
    try:
        ensure_tables(conn)
        for name, frame in tables.items():
            conn.execute(f"delete from {TABLES[name].qualified}")
            _insert(conn, TABLES[name], frame)
        conn.execute("delete from raw.rejected_rows where source = ?", [source])
        _insert(conn, TABLES["rejected_rows"], rejected)
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise


def read_reference_tables(
    conn: duckdb.DuckDBPyConnection,
) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """raw.webcare_accounts (handle, brand) and raw.brands (brand, keywords); None if not loaded."""
    existing = {
        row[0]
        for row in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    }
    if not {"webcare_accounts", "brands"} <= existing:
        return None
    accounts = pl.from_arrow(
        conn.sql("select handle, brand from raw.webcare_accounts order by handle").to_arrow_table()
    )
    brands = pl.from_arrow(
        conn.sql("select brand, keywords from raw.brands order by brand").to_arrow_table()
    )
    return accounts, brands
