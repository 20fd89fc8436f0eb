"""One webcare command at a time per home, and no run left holding the warehouse after a crash.

Two mechanisms, because they fail differently:

- `home_lock` is an OS file lock (``flock``) on ``<state>/webcare.lock`` taken by
  every command that writes the warehouse. The kernel releases it when the
  process dies, however it dies, so a second command waits for the first one
  and never for a dead one.
- The Dagster pool ``duckdb_warehouse`` (one slot, in the home's instance)
  queues the steps of runs that share an instance, but its slots live in the
  instance's database: a run killed with SIGKILL keeps its slot forever and
  every later run waits for it. `recover_dead_runs`, called while holding the
  home lock, marks such runs failed and frees their slots.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg
import psutil
from dagster._core.events import DagsterEventType

from warehouse.settings import Settings

LOCK_FILE = "webcare.lock"
# Statuses of runs that may hold or wait for a pool slot.
_IN_PROGRESS = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


@contextmanager
def home_lock(settings: Settings, command: str) -> Iterator[None]:
    """Hold the home's command lock for the block; wait (saying so once) while another holds it."""
    path = settings.state_path / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            print(
                f"webcare {command}: waiting for {holder} to finish with {settings.home}",
                file=sys.stderr,
                flush=True,
            )
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"webcare {command} (pid {os.getpid()})\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class RecoveredRun:
    """A run whose process was gone: marked failed, its pool slots freed."""

    run_id: str
    job_name: str
    pid: int | None


def recover_dead_runs(instance: dg.DagsterInstance) -> list[RecoveredRun]:
    """Fail every in-progress run whose process no longer exists and free its pool slots.

    A run's process is the one that reported its start (the RUN_START event's
    pid); it counts as alive only if a process with that pid exists and was
    started before the run (so a recycled pid does not keep a dead run alive).
    Runs that have not started yet hold no slot and are left alone.
    """
    recovered = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=_IN_PROGRESS)):
        run = record.dagster_run
        started = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_START)
        if not started:
            continue
        pid = started[0].dagster_event.pid if started[0].dagster_event else None
        if pid is not None and _alive(pid, started[0].timestamp):
            continue
        instance.report_run_failed(
            run,
            f"the process running it (pid {pid}) is gone; marked failed by the next webcare "
            "command so its warehouse slot is free again",
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        recovered.append(RecoveredRun(run.run_id, run.job_name, pid))
    return recovered


def _alive(pid: int, run_started: float) -> bool:
    try:
        process = psutil.Process(pid)
        return process.is_running() and process.create_time() <= run_started + 1
    except psutil.Error:
        return False
