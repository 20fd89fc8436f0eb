"""dbt models as Dagster assets: one connected graph from raw files to KPI marts.

The translator maps dbt sources onto the Python assets that write them
(`source('raw', 'mentions')` is the asset `raw/mentions`), and every model onto
`<schema>/<model>`, grouped by layer, so lineage runs unbroken from landing
files to the published marts. dbt tests become Dagster asset checks.
"""

import json
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from assets.dbt.incremental import plan_build, project_vars, record_build
from warehouse.partitions import (
    CHANGED_FROM_TAG,
    FULL_REFRESH_TAG,
    PARTITION_TAG,
    RANGE_START_TAG,
)
from warehouse.resource import WAREHOUSE_POOL, WarehouseResource
from warehouse.settings import Settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
# The profile reads the warehouse path from this variable (see dbt_project/profiles.yml).
DUCKDB_PATH_ENV = "WEBCARE_DUCKDB_PATH"
# The job that loads and builds in one run: its partition (range) is what it loaded.
LOADING_JOB = "monthly_research"


@contextmanager
def _warehouse_env(database: str) -> Iterator[None]:
    # dagster-dbt passes os.environ to the dbt subprocess; scope the path to this call.
    previous = os.environ.get(DUCKDB_PATH_ENV)
    os.environ[DUCKDB_PATH_ENV] = database
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(DUCKDB_PATH_ENV, None)
        else:
            os.environ[DUCKDB_PATH_ENV] = previous


def dbt_project(settings: Settings) -> DbtProject:
    """The dbt project; under `dagster dev` its manifest is re-parsed on load."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    # The profile names the warehouse through an environment variable, even to parse.
    with _warehouse_env(settings.duckdb_path):
        project.prepare_if_dev()
    return project


class WebcareDbtTranslator(DagsterDbtTranslator):
    """Sources become the Python assets that write them; models are keyed `<schema>/<name>`."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        """`raw/mentions` for source('raw', 'mentions'); `marts/fct_nps_monthly` for a mart."""
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """One asset group per dbt layer (staging, intermediate, marts)."""
        return dbt_resource_props["schema"]


def dbt_vars(settings: Settings) -> dict[str, str]:
    """dbt vars that come from settings rather than from dbt_project.yml defaults."""
    return {"reporting_timezone": settings.reporting_timezone}


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """All dbt models (staging views, intermediate, KPI marts) with their tests as checks."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=WebcareDbtTranslator(),
        pool=WAREHOUSE_POOL,
        name="webcare_dbt_models",
    )
    def webcare_dbt_models(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        settings: Settings,
        warehouse: WarehouseResource,
    ) -> Iterator[Any]:
        """Run `dbt build` on the warehouse: staging views, intermediate models and KPI marts.

        Month-incremental models rebuild only the months the run changed and the
        months that depend on them (assets/dbt/incremental.py); a change of dbt code,
        vars, reference data or calibration, an unfinished earlier build or the run
        tag `webcare/full_refresh` rebuilds everything. dbt tests run in the same
        invocation and report as asset checks; a failing test stops the models
        downstream of it and fails this step, so nothing half-checked reaches
        publishing.
        """
        tags = context.run.tags
        loaded = tags.get(CHANGED_FROM_TAG)
        if loaded is None and context.run.job_name == LOADING_JOB:
            loaded = tags.get(RANGE_START_TAG) or tags.get(PARTITION_TAG)
        variables = project_vars(DBT_PROJECT_DIR, dbt_vars(settings))
        with warehouse.connect() as conn:
            plan = plan_build(
                conn,
                Path(project.manifest_path),
                variables,
                first_loaded=loaded,
                full_refresh=tags.get(FULL_REFRESH_TAG) == "true",
            )
            record_build(conn, plan, "building")
        context.log.info(
            f"dbt build ({'full refresh' if plan.full_refresh else 'incremental'}): {plan.reason}"
        )
        with _warehouse_env(settings.duckdb_path):
            yield from dbt.cli(plan.dbt_args(dbt_vars(settings)), context=context).stream()
        with warehouse.connect() as conn:
            record_build(conn, plan, "built")

    return webcare_dbt_models


def dbt_resource(project: DbtProject) -> DbtCliResource:
    """The dbt CLI resource for the project, using the dbt installed beside this Python."""
    return DbtCliResource(
        project_dir=project,
        profiles_dir=os.fspath(DBT_PROJECT_DIR),
        dbt_executable=os.fspath(Path(sys.executable).parent / "dbt"),
    )


def _mart_nodes(project: DbtProject) -> list[dict[str, Any]]:
    manifest = json.loads(Path(project.manifest_path).read_text())
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    ]


def mart_primary_keys(project: DbtProject) -> dict[str, tuple[str, ...]]:
    """The one list of marts (`marts/fct_*`, `marts/dim_*`), from the manifest.

    Per mart, in name order, the columns of its grain as dbt infers them from the
    model's ``unique`` / ``unique_combination_of_columns`` tests (the manifest's
    ``primary_key``); the checks use them to name an offending row."""
    return {
        node["name"]: tuple(node.get("primary_key") or ())
        for node in sorted(_mart_nodes(project), key=lambda node: node["name"])
    }


PUBLISHED_AS_PSEUDONYM = "pseudonym"


def pseudonymised_mart_columns(project: DbtProject) -> dict[str, tuple[str, ...]]:
    """Per mart, the columns published as keyed pseudonyms.

    A mart column says so in its YAML (``config: {meta: {published_as: pseudonym}}``):
    platform message ids, which would lead a reader of the published marts back
    to the author the warehouse pseudonymised.
    """
    found = {}
    for node in _mart_nodes(project):
        columns = tuple(
            name
            for name, column in node["columns"].items()
            if (column.get("meta") or {}).get("published_as") == PUBLISHED_AS_PSEUDONYM
        )
        if columns:
            found[node["name"]] = columns
    return found
