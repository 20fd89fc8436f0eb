"""DuckDB side of the raw layer: atomic writes of the tables of `warehouse.contract`.

A monthly partition is replaced in one transaction: create the tables if
needed, delete the month's rows and its refused rows, insert the new ones
through Arrow, commit. Reference tables are replaced whole the same way. The
first write of any source creates every raw table of the contract (empty), so
a home that has loaded one source still has the tables every reader (dbt
sources, checks, scoring) expects.

The tables themselves (columns, types, keys) are defined once in
`warehouse.contract`; primary keys are not declared as constraints there (dbt
tests and the checks verify them), so a delete and re-insert of the same keys
in one transaction never trips DuckDB's constraint checks.
"""

from __future__ import annotations

import duckdb
import polars as pl

from warehouse import contract
from warehouse.contract import RAW_TABLES, Table

# The raw tables by source name (``mentions``, ..., ``rejected_rows``): the contract's.
TABLES: dict[str, Table] = RAW_TABLES


def ensure_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and every raw table of the contract that is missing (empty).

    A table written by an older version gets the nullable columns added since
    (`warehouse.contract.ensure_tables`).
    """
    contract.ensure_tables(conn, TABLES.values())


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
