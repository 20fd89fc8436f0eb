"""The one reader of the published snapshot ``<published_dir>/warehouse.duckdb``.

Everything that shows the marts to people (the monthly report, the KPI summary
of `webcare run`) reads them here, from the file BI tools read, and never from
the live warehouse: what they show is what was checked and published.

Publishing replaces the snapshot atomically (`os.replace`). A reader that has
it open keeps reading the old file undisturbed; the next `open_snapshot` sees
the new one. Each opening attaches the file read-only to a private in-memory
database rather than calling ``duckdb.connect(path)``, because DuckDB reuses an
instance already open for the same path within a process, which would show a
publication that has since been replaced.

The snapshot carries the dbt documentation as table and column comments, which
BI tools list and `Snapshot.columns` and `Snapshot.mart_description` return.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from assets.serving.publish import MARTS_SCHEMA, PUBLICATION_TABLE, snapshot_path
from warehouse.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

# The snapshot's catalog name inside the private database; queries name
# ``marts.<mart>`` as they would in the snapshot file itself.
_ALIAS = "published_snapshot"

Parameters = Sequence[Any] | Mapping[str, Any] | None


class SnapshotMissingError(RuntimeError):
    """Nothing has been published yet: the snapshot file does not exist."""


@dataclass(frozen=True)
class MartColumn:
    """A column of a published mart: its contract type and its dbt description."""

    name: str
    data_type: str
    description: str | None


@dataclass(frozen=True)
class Snapshot:
    """The published snapshot, open read-only; valid inside its `open_snapshot` block."""

    path: Path
    _conn: duckdb.DuckDBPyConnection

    @property
    def description(self) -> str:
        """What was read, for people: ``published snapshot <path>``."""
        return f"published snapshot {self.path}"

    def rows(self, sql: str, parameters: Parameters = None) -> list[tuple]:
        """The rows of `sql`, with ``?`` or ``$name`` placeholders bound to `parameters`."""
        return self._conn.execute(sql, parameters).fetchall()

    def query(self, sql: str, parameters: Parameters = None) -> "pd.DataFrame":
        """The result of `sql` as a DataFrame, placeholders bound as in `rows`."""
        return self._conn.execute(sql, parameters).df()

    def marts(self) -> list[str]:
        """The names of the published marts (tables of schema ``marts``), sorted."""
        return [
            name
            for (name,) in self.rows(
                "select table_name from information_schema.tables "
                "where table_catalog = ? and table_schema = ? order by table_name",
                [_ALIAS, MARTS_SCHEMA],
            )
        ]

    def read_mart(self, mart: str) -> "pd.DataFrame":
        """Every row of the published mart `mart`."""
        self._require(mart)
        quoted = '"' + mart.replace('"', '""') + '"'
        return self.query(f"select * from {MARTS_SCHEMA}.{quoted}")

    def mart_description(self, mart: str) -> str | None:
        """What the mart `mart` holds, as its dbt model's description says."""
        self._require(mart)
        return self.rows(
            "select comment from duckdb_tables() "
            "where database_name = ? and schema_name = ? and table_name = ?",
            [_ALIAS, MARTS_SCHEMA, mart],
        )[0][0]

    def columns(self, mart: str) -> list[MartColumn]:
        """The columns of the mart `mart` in table order, with type and description."""
        self._require(mart)
        return [
            MartColumn(*row)
            for row in self.rows(
                "select column_name, data_type, comment from duckdb_columns() "
                "where database_name = ? and schema_name = ? and table_name = ? "
                "order by column_index",
                [_ALIAS, MARTS_SCHEMA, mart],
            )
        ]

    def _require(self, mart: str) -> None:
        if mart not in self.marts():
            raise KeyError(f"{self.path} holds no mart {mart!r}")

    def published_at(self) -> datetime | None:
        """When the marts were published (UTC), or None for a file without a publication record."""
        (recorded,) = self.rows(
            "select count(*) from information_schema.tables "
            "where table_catalog = ? and table_schema = 'main' and table_name = ?",
            [_ALIAS, PUBLICATION_TABLE],
        )[0]
        if not recorded:
            return None
        return self.rows(f"select max(published_at) from main.{PUBLICATION_TABLE}")[0][0]


@contextmanager
def open_snapshot(settings: Settings) -> Iterator[Snapshot]:
    """Open the published snapshot of `settings` read-only for the length of the block.

    Raises `SnapshotMissingError` when nothing has been published yet; there is
    no falling back to the live warehouse.
    """
    path = snapshot_path(settings.published_dir)
    if not path.exists():
        raise SnapshotMissingError(f"{path} does not exist (run `webcare run` first)")
    conn = duckdb.connect()
    try:
        conn.execute("set TimeZone = 'UTC'")
        escaped = str(path).replace("'", "''")
        conn.execute(f"attach '{escaped}' as {_ALIAS} (read_only)")
        conn.execute(f"use {_ALIAS}")
        yield Snapshot(path, conn)
    finally:
        conn.close()
