"""A persistent Dagster instance per warehouse home, so `make dev` shows what `webcare run` did."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster._core.instance.ref import InstanceRef

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
"""


def instance_dir(settings: Settings) -> Path:
    """`DAGSTER_HOME` of this warehouse home (``<state>/dagster``), created with its config."""
    path = settings.state_path / "dagster"
    path.mkdir(parents=True, exist_ok=True)
    config = path / "dagster.yaml"
    if not config.exists() or config.read_text() != INSTANCE_YAML:
        config.write_text(INSTANCE_YAML)
    return path


def open_instance(settings: Settings) -> dg.DagsterInstance:
    """The persistent Dagster instance of this home."""
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(instance_dir(settings))))
