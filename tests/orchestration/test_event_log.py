"""The home's Dagster event log: Dagster's SQLite files, with connections kept between events."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy
from dagster._core.definitions.events import AssetKey, AssetMaterialization
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from sqlalchemy.pool import Pool

from orchestration import event_log
from orchestration.event_log import PooledSqliteEventLogStorage
from orchestration.instance import open_instance
from warehouse.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def log_line(run_id: str, number: int) -> EventLogEntry:
    return EventLogEntry(
        error_info=None,
        level=20,
        user_message=f"line {number}",
        run_id=run_id,
        timestamp=time.time(),
        step_key="raw__mentions",
        job_name="webcare_run",
        dagster_event=None,
    )


def materialization(run_id: str, month: str) -> EventLogEntry:
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name="webcare_run",
        event_specific_data=StepMaterializationData(
            AssetMaterialization(asset_key=AssetKey(["raw", "mentions"]), partition=month)
        ),
    )
    return EventLogEntry(
        error_info=None,
        level=20,
        user_message="",
        run_id=run_id,
        timestamp=time.time(),
        step_key="raw__mentions",
        job_name="webcare_run",
        dagster_event=event,
    )


MONTHS = [f"2020-{month:02d}-01" for month in range(1, 13)]


def store_a_run(storage: SqliteEventLogStorage, run_id: str) -> list[str]:
    """Store 30 log lines and 12 monthly materialisations; return the log lines' text."""
    lines = []
    for number in range(30):
        storage.store_event(log_line(run_id, number))
        lines.append(f"line {number}")
    for month in MONTHS:
        storage.store_event(materialization(run_id, month))
    return lines


@pytest.fixture
def new_connections():
    """How many SQLite connections every SQLAlchemy pool opened while the test ran."""
    opened = []

    def count(dbapi_connection, connection_record):
        opened.append(dbapi_connection)

    sqlalchemy.event.listen(Pool, "connect", count)
    yield opened
    sqlalchemy.event.remove(Pool, "connect", count)


def test_the_homes_instance_uses_the_pooled_event_log_in_dagsters_folder(tmp_path):
    home = tmp_path / "home"
    instance = open_instance(Settings.from_env(home))
    storage = instance.event_log_storage
    assert isinstance(storage, PooledSqliteEventLogStorage)
    # where Dagster's default SQLite storage keeps event logs, so earlier homes keep theirs
    assert Path(storage._base_dir) == home / "state" / "dagster" / "history" / "runs"
    storage.store_event(log_line("run1", 0))
    instance.dispose()

    # dagster.yaml names the folder; a home moved elsewhere is rewritten when opened
    moved = tmp_path / "moved"
    home.rename(moved)
    instance = open_instance(Settings.from_env(moved))
    assert (
        Path(instance.event_log_storage._base_dir)
        == moved / "state" / "dagster" / "history" / "runs"
    )
    assert [r.user_message for r in instance.event_log_storage.get_logs_for_run("run1")] == [
        "line 0"
    ]
    instance.dispose()


def test_storing_a_run_opens_each_database_once_and_others_read_every_event(
    tmp_path, new_connections
):
    base = tmp_path / "runs"
    pooled = PooledSqliteEventLogStorage(str(base))
    opened_at_start = len(new_connections)
    lines = store_a_run(pooled, "run1")
    pooled_opened = len(new_connections) - opened_at_start

    # Dagster's own storage opens a connection per event (the count works)...
    stock = SqliteEventLogStorage(str(tmp_path / "stock"))
    opened_at_start = len(new_connections)
    store_a_run(stock, "run1")
    assert len(new_connections) - opened_at_start >= 42
    # ...the pooled one one per database, plus the first run shard's table creation
    assert pooled_opened <= 5

    # another process's view (Dagster's storage on the same files) sees every event,
    # while the pooled connections are still open
    reader = SqliteEventLogStorage(str(base))
    records = reader.get_logs_for_run("run1")
    assert [r.user_message for r in records if r.dagster_event is None] == lines
    assert [
        r.dagster_event.step_materialization_data.materialization.partition
        for r in records
        if r.dagster_event is not None
    ] == MONTHS
    # the cross-run index (the asset's partitions) holds the materialisations too
    assert reader.get_materialized_partitions(AssetKey(["raw", "mentions"])) == set(MONTHS)
    pooled.dispose()


def test_a_wipe_deletes_the_runs_and_the_next_event_makes_its_run_again(tmp_path):
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    store_a_run(storage, "run1")
    storage.wipe()
    assert not (tmp_path / "run1.db").exists()
    storage.store_event(log_line("run1", 99))
    assert [r.user_message for r in storage.get_logs_for_run("run1")] == ["line 99"]
    assert (tmp_path / "run1.db").exists()
    storage.dispose()


def test_a_forked_child_does_not_reuse_its_parents_connections(tmp_path, monkeypatch):
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    storage.store_event(log_line("run1", 0))
    parents = storage._engines["run1"]
    monkeypatch.setattr(event_log.os, "getpid", lambda: -1)
    storage.store_event(log_line("run1", 1))
    assert storage._engines["run1"] is not parents
    assert [r.user_message for r in storage.get_logs_for_run("run1")] == ["line 0", "line 1"]
    storage.dispose()


def test_kept_connections_close_with_the_process_and_leave_no_wal_file(tmp_path):
    # Dagster writes its SQLite files in WAL mode; a WAL file left behind would hold
    # events the database file alone does not.
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_event_log import store_a_run\n"
        "from orchestration.event_log import PooledSqliteEventLogStorage\n"
        f"store_a_run(PooledSqliteEventLogStorage({str(tmp_path)!r}), 'run1')\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["index.db", "run1.db"]
    with sqlite3.connect(tmp_path / "run1.db") as conn:
        assert conn.execute("select count(*) from event_logs").fetchone() == (42,)


def test_a_watcher_in_another_process_sees_each_event_while_the_run_goes_on(tmp_path):
    # The Dagster UI follows a running run by watching its shard's .db file for changes
    # (Dagster's storage, as the webserver process has it); a commit must reach that file
    # while the writing storage keeps its connection.
    writer = PooledSqliteEventLogStorage(str(tmp_path))
    writer.store_event(log_line("run1", 0))
    watcher = SqliteEventLogStorage(str(tmp_path))
    seen: list[str] = []
    watcher.watch("run1", None, lambda entry, cursor: seen.append(entry.user_message))
    try:
        for number in range(1, 4):
            writer.store_event(log_line("run1", number))
            deadline = time.monotonic() + 10
            while f"line {number}" not in seen and time.monotonic() < deadline:
                time.sleep(0.05)
            assert f"line {number}" in seen, f"the watcher saw {seen} after line {number}"
    finally:
        watcher.dispose()
        writer.dispose()
