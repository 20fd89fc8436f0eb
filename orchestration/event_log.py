"""Dagster's SQLite event log with its database connections kept between events.

Dagster's `SqliteEventLogStorage` makes a SQLAlchemy engine, opens a SQLite connection,
and closes and disposes of both for every event it stores or reads. A run of this
project stores thousands of events (a materialisation, its planned event and a log
line for every month of every monthly asset): the event log took about a quarter of
the Python time of a `webcare run` over the real exports, most of it in making and
closing those connections.

`PooledSqliteEventLogStorage` is the same storage, the same files and tables, with one
engine per database file kept for the process and its connection returned to a pool
instead of closed. What each operation does to the database is unchanged: every
operation is its own transaction, committed (or rolled back) before the connection
goes back to the pool, so no lock is held between operations and other processes (the
Dagster UI, a second `webcare run`) read and write the files as before; a run shard's
commit is checkpointed into its .db file at once, as the close used to do, because
that file is what the Dagster UI watches to follow a running run. The home's
``dagster.yaml`` names it (`orchestration.instance`).
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

# Engines kept per process: the index database and the shards of the runs last used
# (a run writes to its own shard and the index; the Dagster UI reads many runs').
MAX_ENGINES = 8


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` that keeps one engine and one pooled connection per shard."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        # Set before Dagster's __init__, which may already connect (a new index shard).
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_pid = os.getpid()
        # Close the connections when the storage goes, at the latest when the process
        # ends: SQLite folds a WAL file into its database when the last connection closes.
        weakref.finalize(self, _dispose_all, self._engines)
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> PooledSqliteEventLogStorage:
        """This class from the ``config`` of ``event_log_storage`` in ``dagster.yaml``."""
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """The process's engine for `shard`, made at its first use. Called under _db_lock."""
        if self._engines_pid != os.getpid():
            # A forked child must not use its parent's SQLite connections.
            for engine in self._engines.values():
                engine.dispose(close=False)
            self._engines.clear()
            self._engines_pid = os.getpid()
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
            return engine
        engine = create_engine(
            self.conn_string_for_shard(shard),
            # One connection kept; _db_lock lets one operation of this storage at a time
            # use it, from whichever thread (so SQLite's same-thread check is off). An
            # overflow connection, never needed under the lock, is closed after use.
            poolclass=QueuePool,
            pool_size=1,
            max_overflow=-1,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        self._engines[shard] = engine
        while len(self._engines) > MAX_ENGINES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextlib.contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # Dagster's _connect, with the engine kept instead of made and disposed of.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                sqlite = conn.connection.dbapi_connection
                changes = sqlite.total_changes
                with conn.begin():
                    yield conn
                if shard != INDEX_SHARD_NAME and sqlite.total_changes != changes:
                    # The Dagster UI follows a running run by watching its shard's .db
                    # file, which a WAL commit does not touch; Dagster's storage got the
                    # commit there by closing the connection (the last connection's close
                    # checkpoints). A passive checkpoint copies it there now.
                    sqlite.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _dispose_engines(self) -> None:
        with self._db_lock:
            _dispose_all(self._engines)

    def wipe(self) -> None:
        """Dagster's wipe (it deletes the run shards' files), with no connection left open
        to a deleted file."""
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        """Close the kept connections, then Dagster's dispose."""
        self._dispose_engines()
        super().dispose()


def _dispose_all(engines: OrderedDict[str, Engine]) -> None:
    """Dispose of `engines` (closing their pooled connections) and forget them."""
    while engines:
        _, engine = engines.popitem()
        engine.dispose()
