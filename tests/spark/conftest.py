"""The small demo built on both engines: DuckDB by `webcare run`, Spark from its Parquet export.

Spark takes a while to start, so one session serves the whole test run: the
fixture registers the Parquet export and runs `dbt build --target spark` in this
process on that session (`assets.dbt.spark.build_in_process`), and the tests
read its tables. It is in tests/conftest.py's EXPENSIVE_FIXTURES, so under
pytest-xdist every test using it runs on the same worker.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from assets.dbt import dbt_project, dbt_vars, mart_primary_keys
from assets.dbt.incremental import vars_args
from assets.dbt.spark import SparkUnavailable, build_in_process, require_java
from warehouse.settings import Settings


@dataclass(frozen=True)
class SparkDemo:
    """A home whose marts were built on DuckDB (its warehouse file) and on Spark (`session`)."""

    settings: Settings
    session: Any
    mart_keys: dict[str, tuple[str, ...]]
    target_path: Path


def _unavailable(error: SparkUnavailable) -> None:
    # As for chromium: a machine without Java skips, CI (CI=true) fails.
    if os.environ.get("CI") == "true":
        pytest.fail(str(error))
    pytest.skip(str(error))


@pytest.fixture(scope="session")
def spark_build(tmp_path_factory, run_demo) -> Iterator[SparkDemo]:
    """The small demo (3 months) run by `webcare run`, its marts built again on local Spark."""
    try:
        require_java()
    except SparkUnavailable as error:
        _unavailable(error)
    home = run_demo(tmp_path_factory.mktemp("spark_home"), size="small", months=3)
    settings = Settings.from_env(home)
    project = dbt_project(settings)
    target_path = home / "dbt_spark_target"
    args = ["build", *vars_args(dbt_vars(settings))]
    try:
        session = build_in_process(settings, project.manifest_path, args, target_path)
    except SparkUnavailable as error:
        _unavailable(error)
    try:
        yield SparkDemo(settings, session, mart_primary_keys(project), target_path)
    finally:
        session.stop()
