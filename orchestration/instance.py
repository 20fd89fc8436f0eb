"""A persistent Dagster instance per warehouse home, so `make dev` shows what `webcare run` did."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
from dagster._core.instance.ref import InstanceRef, _event_logs_directory

from warehouse.resource import WAREHOUSE_POOL
from warehouse.settings import Settings

INSTANCE_YAML = f"""\
# Written by webcare-warehouse. Runs that write the DuckDB warehouse share the
# pool '{WAREHOUSE_POOL}' with one slot, so backfills queue instead of failing
# on DuckDB's single-writer lock.
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
# Dagster's SQLite event log in its usual place (history/runs/), with connections
# kept between events (orchestration/event_log.py).
event_log_storage:
  module: orchestration.event_log
  class: PooledSqliteEventLogStorage
  config:
    base_dir: {{event_log_dir}}
"""


def instance_dir(settings: Settings) -> Path:
    """`DAGSTER_HOME` of this warehouse home (``<state>/dagster``), created with its config."""
    path = settings.state_path / "dagster"
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    # The folder Dagster's default SQLite storage uses for event logs (Dagster's own
    # helper), written out because a storage named in dagster.yaml needs its base_dir
    # (a JSON string is YAML).
    event_log_dir = _event_logs_directory(str(path.absolute()))
    text = INSTANCE_YAML.format(event_log_dir=json.dumps(event_log_dir))
    if not config.exists() or config.read_text() != text:
        config.write_text(text)
    return path


def open_instance(settings: Settings) -> dg.DagsterInstance:
    """The persistent Dagster instance of this home."""
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(instance_dir(settings))))
