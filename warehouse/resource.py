"""The DuckDB warehouse resource: the one place that opens a connection to the live file."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb
from pydantic import Field

# Every asset that writes the warehouse runs in this pool (limit 1), so
# backfills queue instead of failing on DuckDB's single-writer lock.
WAREHOUSE_POOL = "duckdb_warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """The live DuckDB warehouse. Open it for the shortest time and close it.

    `connect()` retries for a while when another process holds the write lock,
    so a BI reader or a second run briefly holding the file makes us wait
    instead of crash.
    """

    database: str = Field(description="Path of the DuckDB file.")
    lock_timeout_seconds: float = Field(default=120.0, description="How long to wait for the lock.")

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a connection; it is closed when the block ends."""
        deadline = time.monotonic() + self.lock_timeout_seconds
        delay = 0.2
        while True:
            try:
                conn = duckdb.connect(self.database, read_only=read_only)
                break
            except duckdb.IOException as error:
                if "lock" not in str(error).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        try:
            conn.execute("set TimeZone = 'UTC'")
            yield conn
        finally:
            conn.close()


def tables_in(conn: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    """Names of the tables in `schema` (empty when the schema does not exist)."""
    return {
        name
        for (name,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()
    }


def table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether `schema.table` exists."""
    return table in tables_in(conn, schema)
