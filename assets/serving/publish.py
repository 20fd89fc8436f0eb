"""Publish the marts for BI tools: a read-only DuckDB snapshot and one Parquet file per mart.

BI tools never read the live warehouse (it has one writer at a time and is
rewritten by every run). They read ``<published_dir>/warehouse.duckdb`` and
``<published_dir>/marts/<mart>.parquet``. Every file is first written in the
staging folder ``<published_dir>/.staging/`` (same file system, so a rename is
atomic), flushed to disk, and only when *all* of them are complete are they
moved into place with `os.replace`. On POSIX a rename never disturbs a process
that already has the old file open: it keeps reading the old inode until it
closes, and the next open sees the new file. Readers may glob
``marts/*.parquet``: nothing but finished marts is ever in that folder (DuckDB's
glob matches hidden files too, so a hidden temporary name there would not do).

Both carry the dbt documentation, so a BI tool lists what each table and column
means: the table and column comments the dbt build wrote into the warehouse
(``persist_docs``) are copied onto the snapshot's tables, and each Parquet file
has the table's description in its schema metadata and each column's in its
field metadata (key ``description``). Types are the marts' contract types
(dbt_project/README.md, "Contracts and types") in both: the snapshot's tables
are created with the live tables' column types, and the Parquet files are
written from the snapshot (decimals stay decimal, instants stay UTC instants).
"""

import contextlib
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from assets.raw.pseudonymise import pseudonymise_series
from warehouse.resource import WAREHOUSE_POOL, WarehouseResource
from warehouse.settings import Settings

PUBLISH_KEY = dg.AssetKey(["published", "warehouse_snapshot"])
SNAPSHOT_FILE = "warehouse.duckdb"
PARQUET_DIR = "marts"
REPORT_DIR = "report"
STAGING_DIR = ".staging"
MARTS_SCHEMA = "marts"
PUBLICATION_TABLE = "_publication"

# Temporary files start with this prefix, in the staging folder, so a publish
# killed half-way (power cut, SIGKILL) can be recognised and cleaned up by the
# next one.
_TMP_PREFIX = "publishing-"
_SNAPSHOT_ALIAS = "publish_snapshot"
# BI tools often bundle an older DuckDB driver (DBeaver, the JDBC and ODBC
# drivers); a file in the newest storage format fails there with "created with
# a newer version of DuckDB". The v1.0.0 format opens in every DuckDB >= 1.0.
SNAPSHOT_STORAGE_VERSION = "v1.0.0"
# Parquet metadata key of a table's (schema metadata) and a column's (field metadata)
# description, as pyarrow, pandas and polars readers show it.
DESCRIPTION_KEY = b"description"
PARQUET_ROW_GROUP_SIZE = 100_000
# What the publication record and its columns mean, for a BI tool that lists them.
_PUBLICATION_COMMENTS = {
    None: "When the marts were published and how many rows each has (one row per mart).",
    "mart": "Name of the published mart (table marts.<mart>).",
    "row_count": "Rows of the mart in this publication.",
    "parquet_file": "The mart's Parquet file, relative to the published folder.",
    "published_at": "When the marts were published (UTC).",
}


class PublishError(RuntimeError):
    """The marts cannot be published (a mart is missing, or a file could not be written)."""


@dataclass(frozen=True)
class Publication:
    """What one publish wrote: when, where, and how many rows per mart."""

    published_at: datetime
    snapshot: Path
    parquet_dir: Path
    rows: dict[str, int]

    def parquet_file(self, mart: str) -> Path:
        """The published Parquet file of `mart`."""
        return self.parquet_dir / f"{mart}.parquet"


def snapshot_path(published_dir: str | Path) -> Path:
    """The published DuckDB snapshot inside `published_dir`."""
    return Path(published_dir) / SNAPSHOT_FILE


def parquet_dir(published_dir: str | Path) -> Path:
    """The folder of the published Parquet marts inside `published_dir`."""
    return Path(published_dir) / PARQUET_DIR


def write_mart_parquet(
    conn: duckdb.DuckDBPyConnection, catalog: str, mart: str, path: Path
) -> None:
    """Write ``<catalog>.marts.<mart>`` to the Parquet file `path` (zstd compressed).

    The table's comment becomes the file's ``description`` (schema metadata), each
    column's comment the ``description`` of its field; instants are written as UTC
    instants (``timestamp[us, tz=UTC]``) whatever the session's time zone.
    """
    table = f"{_ident(catalog)}.{MARTS_SCHEMA}.{_ident(mart)}"
    described, columns = _comments(conn, catalog, mart)
    reader = conn.sql(f"select * from {table}").to_arrow_reader(PARQUET_ROW_GROUP_SIZE)
    fields = [
        _utc_instant(field).with_metadata(
            {DESCRIPTION_KEY: columns[field.name].encode()} if columns.get(field.name) else None
        )
        for field in reader.schema
    ]
    schema = pa.schema(
        fields, metadata={DESCRIPTION_KEY: described.encode()} if described else None
    )
    # Decimals up to 18 digits as INT64, as DuckDB and Spark write them.
    with pq.ParquetWriter(
        path, schema, compression="zstd", store_decimal_as_integer=True
    ) as writer:
        # DuckDB hands out batches of uneven sizes (at most a row group each): gather
        # them and write full row groups, the rest at the end.
        pending = pa.Table.from_batches([], schema=reader.schema)
        for batch in reader:
            pending = pa.concat_tables([pending, pa.Table.from_batches([batch])])
            if pending.num_rows >= PARQUET_ROW_GROUP_SIZE:
                writer.write_table(pending.slice(0, PARQUET_ROW_GROUP_SIZE).cast(schema))
                pending = pending.slice(PARQUET_ROW_GROUP_SIZE)
        if pending.num_rows:
            writer.write_table(pending.cast(schema))


def publish_marts(
    conn: duckdb.DuckDBPyConnection,
    published_dir: str | Path,
    marts: Sequence[str],
    pseudonymised: Mapping[str, Sequence[str]] | None = None,
    key: str | None = None,
) -> Publication:
    """Copy the tables ``marts.<mart>`` seen by `conn` into a new snapshot and Parquet files.

    `conn` is a connection to the live warehouse (read-only is enough). The
    snapshot gets the same ``marts`` schema, so a query written against the
    warehouse runs unchanged, plus a ``main._publication`` table with
    ``published_at`` (UTC) and the row count and Parquet path of each mart.
    The columns `pseudonymised` names per mart are published as keyed
    pseudonyms under `key` (the live warehouse keeps the originals); the
    Parquet files are written from the snapshot, so both carry the same values.
    Either every file is replaced or none is: on any failure the temporary
    files are removed and the previous publication stays as it was.
    Parquet files of marts that are no longer published are removed.
    """
    pseudonymised = pseudonymised or {}
    if any(pseudonymised.get(mart) for mart in marts) and not key:
        raise PublishError("a pseudonymisation key is needed to publish pseudonymised columns")
    marts = list(dict.fromkeys(marts))
    if not marts:
        raise PublishError("no marts to publish: the list of mart models is empty")
    _require_tables(conn, marts)

    published = Path(published_dir)
    pq_dir = parquet_dir(published)
    staging = published / STAGING_DIR
    pq_dir.mkdir(parents=True, exist_ok=True)
    staging.mkdir(exist_ok=True)
    _remove_leftovers(staging)

    token = secrets.token_hex(6)
    final_snapshot = snapshot_path(published)
    tmp_snapshot = staging / f"{_TMP_PREFIX}{token}-{SNAPSHOT_FILE}"
    staged: list[tuple[Path, Path]] = []
    published_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    rows: dict[str, int] = {}
    attached = False
    try:
        conn.execute(
            f"attach {_literal(tmp_snapshot)} as {_SNAPSHOT_ALIAS} "
            f"(read_write, storage_version '{SNAPSHOT_STORAGE_VERSION}')"
        )
        attached = True
        # One transaction so the snapshot and the Parquet files show the same
        # state of the warehouse even if a writer sneaks in between tables.
        conn.execute("begin transaction")
        conn.execute(f"create schema {_SNAPSHOT_ALIAS}.{MARTS_SCHEMA}")
        # fetchall, never fetchone: an unfinished result would block the arrow reads below.
        [(live,)] = conn.execute("select current_database()").fetchall()
        for mart in marts:
            target = f"{_SNAPSHOT_ALIAS}.{MARTS_SCHEMA}.{_ident(mart)}"
            _copy_mart(conn, mart, target, pseudonymised.get(mart, ()), key or "")
            _copy_comments(conn, live, mart, target)
            [(rows[mart],)] = conn.execute(f"select count(*) from {target}").fetchall()
        publication = f"{_SNAPSHOT_ALIAS}.main.{PUBLICATION_TABLE}"
        # No primary key: DuckDB 1.0 cannot read the index of one written by this DuckDB
        # in the v1.0.0 format ("Failed to deserialize"), and the snapshot must open in
        # the older drivers BI tools bundle. The marts are distinct by construction.
        conn.execute(
            f"create table {publication} ("
            "mart varchar not null, row_count bigint not null, "
            "parquet_file varchar not null, published_at timestamp not null)"
        )
        _comment(conn, publication, _PUBLICATION_COMMENTS)
        conn.executemany(
            f"insert into {publication} values (?, ?, ?, ?)",
            [(m, rows[m], f"{PARQUET_DIR}/{m}.parquet", published_at) for m in marts],
        )
        for mart in marts:
            tmp_parquet = staging / f"{_TMP_PREFIX}{token}-{mart}.parquet"
            staged.append((tmp_parquet, pq_dir / f"{mart}.parquet"))
            write_mart_parquet(conn, _SNAPSHOT_ALIAS, mart, tmp_parquet)
        conn.execute("commit")
        # Detaching checkpoints the snapshot, so it is one self-contained file
        # with no write-ahead log a reader would have to replay.
        conn.execute(f"detach {_SNAPSHOT_ALIAS}")
        attached = False
        if _wal(tmp_snapshot).exists():
            raise PublishError(f"{_wal(tmp_snapshot)} is left after the checkpoint")
        staged.append((tmp_snapshot, final_snapshot))
        for tmp, _ in staged:
            _seal(tmp)
        # A WAL beside the published file can only come from someone who opened
        # the snapshot for writing; it belongs to the old file and must not be
        # replayed onto the new one.
        _wal(final_snapshot).unlink(missing_ok=True)
        for tmp, final in staged:
            os.replace(tmp, final)
        _fsync_dir(pq_dir)
        _fsync_dir(published)
    except BaseException:
        if attached:
            _rollback_and_detach(conn)
        for path in (tmp_snapshot, _wal(tmp_snapshot), *(tmp for tmp, _ in staged)):
            path.unlink(missing_ok=True)
        raise
    for stale in pq_dir.glob("*.parquet"):
        if stale.stem not in rows:
            stale.unlink()
    return Publication(published_at, final_snapshot, pq_dir, rows)


def build_publish_asset(
    mart_keys: Sequence[dg.AssetKey], pseudonymised: Mapping[str, Sequence[str]] | None = None
) -> dg.AssetsDefinition:
    """The `published/warehouse_snapshot` asset, downstream of every mart in `mart_keys`.

    The table name of a mart is the last part of its key (``marts/<model>``);
    `pseudonymised` names the columns published as keyed pseudonyms per mart.
    """
    marts = [key.path[-1] for key in mart_keys]

    @dg.asset(
        key=PUBLISH_KEY,
        deps=list(mart_keys),
        group_name="published",
        kinds={"duckdb", "parquet"},
        # Reading the live file holds DuckDB's shared lock, which would make a
        # concurrent writer of another run wait; queue with the writers instead.
        pool=WAREHOUSE_POOL,
    )
    def warehouse_snapshot(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, settings: Settings
    ) -> dg.MaterializeResult:
        """Read-only copy of the marts for BI tools: ``published/warehouse.duckdb`` and
        ``published/marts/<mart>.parquet``.

        Runs after the marts and their blocking checks, so nothing half-checked is
        published. Every file is written under a temporary name and renamed into
        place only when all are complete: a BI tool sees the previous publication
        or the new one, never a mix, and a tool holding the old snapshot open keeps
        reading it undisturbed. Query it read-only, e.g.
        ``duckdb -readonly published/warehouse.duckdb "from marts.fct_nps_monthly"``;
        ``main._publication`` says when it was published and how many rows each mart has.
        """
        context.log.info(f"publishing {len(marts)} marts to {settings.published_path}")
        with warehouse.connect(read_only=True) as conn:
            publication = publish_marts(
                conn,
                settings.published_path,
                marts,
                pseudonymised,
                settings.pseudonymisation_key,
            )
        total = sum(publication.rows.values())
        context.log.info(
            f"published {len(publication.rows)} marts ({total} rows) to {publication.snapshot}"
        )
        return dg.MaterializeResult(
            metadata={
                "published_at": dg.MetadataValue.timestamp(
                    publication.published_at.replace(tzinfo=UTC)
                ),
                "snapshot": dg.MetadataValue.path(str(publication.snapshot)),
                "parquet_dir": dg.MetadataValue.path(str(publication.parquet_dir)),
                "marts": len(publication.rows),
                "total_rows": total,
                "rows_per_mart": dg.MetadataValue.json(publication.rows),
            }
        )

    return warehouse_snapshot


def _copy_mart(
    conn: duckdb.DuckDBPyConnection, mart: str, target: str, columns: Sequence[str], key: str
) -> None:
    """Create `target` as a copy of ``marts.<mart>``, its `columns` replaced by pseudonyms.

    The target gets the live table's column types in every case (the pseudonyms pass
    through polars, whose types must not leak into the publication)."""
    source = f"{MARTS_SCHEMA}.{_ident(mart)}"
    if not columns:
        conn.execute(f"create table {target} as select * from {source}")
        return
    frame = pl.from_arrow(conn.sql(f"select * from {source}").to_arrow_table())
    frame = frame.with_columns(pseudonymise_series(key, frame[column]) for column in columns)
    conn.execute(f"create table {target} as select * from {source} limit 0")
    conn.register("__published_mart", frame.to_arrow())
    try:
        conn.execute(f"insert into {target} by name select * from __published_mart")
    finally:
        conn.unregister("__published_mart")


def _comments(
    conn: duckdb.DuckDBPyConnection, catalog: str, mart: str
) -> tuple[str | None, dict[str, str]]:
    """The comment of ``<catalog>.marts.<mart>`` and of each of its columns that has one."""
    [(table_comment,)] = conn.execute(
        "select comment from duckdb_tables() "
        "where database_name = ? and schema_name = ? and table_name = ?",
        [catalog, MARTS_SCHEMA, mart],
    ).fetchall()
    columns = conn.execute(
        "select column_name, comment from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? and comment is not null",
        [catalog, MARTS_SCHEMA, mart],
    ).fetchall()
    return table_comment, dict(columns)


def _copy_comments(conn: duckdb.DuckDBPyConnection, catalog: str, mart: str, target: str) -> None:
    """Put the comments of ``<catalog>.marts.<mart>`` (its dbt descriptions) on `target`."""
    table_comment, columns = _comments(conn, catalog, mart)
    _comment(conn, target, {None: table_comment, **columns})


def _comment(
    conn: duckdb.DuckDBPyConnection, table: str, comments: Mapping[str | None, str | None]
) -> None:
    """COMMENT ON `table` (key None) and its columns; None leaves one without a comment."""
    for column, text in comments.items():
        if text is None:
            continue
        # COMMENT ON takes no parameters: the text goes in as an escaped literal.
        literal = "'" + text.replace("'", "''") + "'"
        if column is None:
            conn.execute(f"comment on table {table} is {literal}")
        else:
            conn.execute(f"comment on column {table}.{_ident(column)} is {literal}")


def _utc_instant(field: pa.Field) -> pa.Field:
    """`field`, an instant's time zone set to UTC (DuckDB exports the session's zone)."""
    if pa.types.is_timestamp(field.type) and field.type.tz is not None:
        return field.with_type(pa.timestamp(field.type.unit, tz="UTC"))
    return field


def _require_tables(conn: duckdb.DuckDBPyConnection, marts: Sequence[str]) -> None:
    present = {
        row[0]
        for row in conn.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema = ?",
            [MARTS_SCHEMA],
        ).fetchall()
    }
    missing = [m for m in marts if m not in present]
    if missing:
        raise PublishError(
            f"cannot publish: schema '{MARTS_SCHEMA}' of the warehouse has no table "
            f"{', '.join(missing)} (build the dbt marts first)"
        )


def _remove_leftovers(staging: Path) -> None:
    # Publishes run one at a time (warehouse pool), so any temporary file found
    # now was left by a publish that died before it could clean up.
    for leftover in staging.glob(f"{_TMP_PREFIX}*"):
        leftover.unlink(missing_ok=True)


def _rollback_and_detach(conn: duckdb.DuckDBPyConnection) -> None:
    # Either call may fail harmlessly: no transaction open (the failure came
    # after `commit`), or a broken connection whose file the caller deletes.
    with contextlib.suppress(duckdb.Error):
        conn.execute("rollback")
    with contextlib.suppress(duckdb.Error):
        conn.execute(f"detach {_SNAPSHOT_ALIAS}")


def _seal(path: Path) -> None:
    """Flush `path` to disk and make it read-only for everyone."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
    path.chmod(0o444)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
