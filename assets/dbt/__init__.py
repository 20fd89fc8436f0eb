"""dbt models as Dagster assets: one connected graph from raw files to KPI marts.

The translator maps dbt sources onto the Python assets that write them
(`source('raw', 'mentions')` is the asset `raw/mentions`), and every model onto
`<schema>/<model>`, grouped by layer, so lineage runs unbroken from landing
files to the published marts. dbt tests become Dagster asset checks.

Each model asset shows its description and, for the marts, the contract's
column types from the manifest before anything runs; every DuckDB build adds
the built tables' column schemas and row counts to their materialisations.
"""

import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtCliRuntimeError,
    DagsterDbtTranslator,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from assets.dbt.incremental import BuildPlan, plan_build, project_vars, record_build
from assets.dbt.spark import (
    SPARK_TARGET,
    SparkUnavailable,
    environment,
    import_marts,
    prepare_spark_build,
)
from warehouse.partitions import (
    CHANGED_FROM_TAG,
    FULL_REFRESH_TAG,
    PARTITION_TAG,
    RANGE_START_TAG,
)
from warehouse.resource import WAREHOUSE_POOL, WarehouseResource
from warehouse.settings import Settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
# Where a home's builds keep dbt's artefacts, under its state folder, one per engine.
HOME_TARGET_DIR = "dbt_target"
# The profile reads the warehouse path from this variable (see dbt_project/profiles.yml).
DUCKDB_PATH_ENV = "WEBCARE_DUCKDB_PATH"
# The job that loads and builds in one run: its partition (range) is what it loaded.
LOADING_JOB = "monthly_research"


def dbt_project(settings: Settings) -> DbtProject:
    """The dbt project; under `dagster dev` its manifest is re-parsed on load."""
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    # The profile names the warehouse through an environment variable, even to parse.
    with environment({DUCKDB_PATH_ENV: settings.duckdb_path}):
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
    """dbt vars whose settings differ from dbt_project.yml: only those are passed, so a
    run with the defaults has the vars of the saved parse and is not parsed again."""
    declared = project_vars(DBT_PROJECT_DIR, {})
    from_settings = {"reporting_timezone": settings.reporting_timezone}
    return {name: value for name, value in from_settings.items() if declared.get(name) != value}


def home_target_path(settings: Settings) -> Path:
    """The home's dbt target folder for its engine: its builds' artefacts (the last
    build's, and dbt.log, which dbt rotates) and its saved parse.

    dbt parses the whole project again (about 4 s) when the profile's connection
    differs from that of its saved parse, and the DuckDB path is part of it: the
    project's own parse (``make manifest``) matches only the default home. dagster-dbt
    copies that parse into a target folder that has none; kept per home, the folder
    then holds the parse of the home's first build, which every later build of the
    home reuses (dbt still re-reads the files changed since)."""
    return (settings.state_path / HOME_TARGET_DIR / settings.engine).resolve()


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

        Month-incremental models rebuild only the months whose rows changed since the
        last build and the months that depend on them (assets/dbt/incremental.py); a
        change of dbt code, vars, reference data or calibration, an unfinished earlier
        build or the run tag `webcare/full_refresh` rebuilds everything. dbt tests run
        in the same invocation and report as asset checks; a failing test stops the
        models downstream of it and fails this step, so nothing half-checked reaches
        publishing.

        With `WEBCARE_ENGINE=spark` the same project builds on a local Spark from a
        Parquet export of the sources (assets/dbt/spark.py), every month each time,
        and the marts are copied back into the warehouse file, which the checks,
        the snapshot and the report read on either engine.

        On DuckDB every built model's materialisation carries its column schema and,
        for tables, its row count, read from the warehouse once the dbt process has
        exited (DuckDB lets no reader in beside a writer).
        """
        tags = context.run.tags
        loaded = tags.get(CHANGED_FROM_TAG)
        if loaded is None and context.run.job_name == LOADING_JOB:
            loaded = tags.get(RANGE_START_TAG) or tags.get(PARTITION_TAG)
        # The engine is part of what the fingerprint holds: after a Spark build the
        # DuckDB intermediates are stale, so the next DuckDB build rebuilds every month.
        variables = {**project_vars(DBT_PROJECT_DIR, dbt_vars(settings)), "engine": settings.engine}
        on_spark = settings.engine == SPARK_TARGET
        with warehouse.connect() as conn:
            plan = plan_build(
                conn,
                Path(project.manifest_path),
                variables,
                first_loaded=loaded,
                full_refresh=(
                    "full refresh asked for"
                    if tags.get(FULL_REFRESH_TAG) == "true"
                    # The months to rebuild are planned from the DuckDB intermediates,
                    # which live in Spark on that engine.
                    else "the Spark engine rebuilds every month"
                    if on_spark
                    else None
                ),
            )
            record_build(conn, plan, "building")
        context.log.info(
            f"dbt build on {settings.engine} "
            f"({'full refresh' if plan.full_refresh else 'incremental'}): {plan.reason}"
        )
        if on_spark:
            yield from _build_on_spark(context, dbt, settings, plan)
            with warehouse.connect() as conn:
                marts = import_marts(conn, settings, project.manifest_path)
            context.log.info(f"copied {len(marts)} marts from Spark into {settings.duckdb_path}")
        else:
            # dagster-dbt passes os.environ to the dbt subprocess; scoped to this call.
            with environment({DUCKDB_PATH_ENV: settings.duckdb_path, **plan.dbt_env()}):
                invocation = dbt.cli(
                    plan.dbt_args(dbt_vars(settings)),
                    context=context,
                    target_path=home_target_path(settings),
                )
                yield from _with_table_metadata(invocation, warehouse)
        with warehouse.connect() as conn:
            record_build(conn, plan, "built")

    def _build_on_spark(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: Settings, plan: BuildPlan
    ) -> Iterator[Any]:
        try:
            spark = prepare_spark_build(settings, project.manifest_path)
        except SparkUnavailable as error:
            raise dg.Failure(description=str(error)) from None
        with environment({**spark.env, **plan.dbt_env()}):
            target_path = home_target_path(settings)
            dbt.cli(
                spark.register_args, manifest=project.manifest_path, target_path=target_path
            ).wait()
            args = [*plan.dbt_args(dbt_vars(settings)), *spark.target_args]
            yield from dbt.cli(args, context=context, target_path=target_path).stream()

    return webcare_dbt_models


def _with_table_metadata(
    invocation: DbtCliInvocation, warehouse: WarehouseResource
) -> Iterator[Any]:
    """The build's events, each built model's with its table's column schema (names,
    DuckDB types, the YAML's descriptions) and, for tables, its row count.

    Read once dbt has exited (DuckDB lets no reader in beside a writer), with one
    connection and two catalog queries plus a count per table. dagster-dbt's
    `fetch_row_counts` and `fetch_column_metadata` do the same through the dbt adapter,
    one macro call per model: about 20 s for this project's 45 models whatever the data.
    The events of a failed build are yielded too, then its error is raised.
    """
    events: list[Any] = []
    try:
        events.extend(invocation.stream())
    except DagsterDbtCliRuntimeError:
        # dbt ran and failed: the models it built still get their facts
        yield from _attach_table_facts(invocation, warehouse, events)
        raise
    except BaseException:
        yield from events
        raise
    yield from _attach_table_facts(invocation, warehouse, events)


def _attach_table_facts(
    invocation: DbtCliInvocation, warehouse: WarehouseResource, events: list[Any]
) -> Iterator[Any]:
    nodes = invocation.manifest["nodes"]
    built = {}
    for index, event in enumerate(events):
        unique_id = event.metadata.get("unique_id") if hasattr(event, "metadata") else None
        node = nodes.get(getattr(unique_id, "value", unique_id)) if unique_id else None
        if isinstance(event, dg.Output | dg.AssetMaterialization) and node is not None:
            built[index] = node
    facts = _table_facts(warehouse, built.values())
    adapter_type = invocation.manifest.get("metadata", {}).get("adapter_type")
    for index, event in enumerate(events):
        node = built.get(index)
        columns, rows = facts.get(node["unique_id"], ([], None)) if node else ([], None)
        if not columns:
            yield event
            continue
        described = node.get("columns", {})
        schema = dg.TableSchema(
            columns=[
                dg.TableColumn(
                    name, kind, description=described.get(name, {}).get("description") or None
                )
                for name, kind in columns
            ]
        )
        # Dagster's standard table keys, as dagster-dbt's fetch_* methods write them.
        extra: dict[str, Any] = {"dagster/column_schema": schema}
        if rows is not None:
            extra["dagster/row_count"] = dg.MetadataValue.int(rows)
        if adapter_type:
            extra["dagster/storage_kind"] = adapter_type
        yield event.with_metadata({**event.metadata, **extra})


def _table_facts(
    warehouse: WarehouseResource, nodes: Iterable[Mapping[str, Any]]
) -> dict[str, tuple[list[tuple[str, str]], int | None]]:
    """Per dbt model: the built relation's (column, type) pairs in order, and its row
    count (None for a view: counting runs its whole query)."""
    nodes = list(nodes)
    if not nodes:
        return {}
    with warehouse.connect() as conn:
        columns: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for schema, table, column, kind in conn.execute(
            "select schema_name, table_name, column_name, data_type from duckdb_columns() "
            "where database_name = current_database() order by column_index"
        ).fetchall():
            columns.setdefault((schema, table), []).append((column, kind))
        facts = {}
        for node in nodes:
            schema, table = node["schema"], node.get("alias") or node["name"]
            found = columns.get((schema, table), [])
            rows = None
            if found and node["config"].get("materialized") != "view":
                (rows,) = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
            facts[node["unique_id"]] = (found, rows)
    return facts


class WebcareDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource without the in-process dbt adapter it makes for
    every invocation.

    That adapter serves dagster-dbt's fetch_* methods, which this project does not use
    (`_with_table_metadata` reads the same facts from the warehouse file). Making it
    costs about 1.5 s of every build (dbt's imports, profile and project), and a
    dbt-duckdb adapter that was queried keeps the warehouse file open in this process,
    where DuckDB then refuses the next connection with other settings."""

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


def dbt_resource(project: DbtProject) -> WebcareDbtCliResource:
    """The dbt CLI resource for the project, using the dbt installed beside this Python."""
    return WebcareDbtCliResource(
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
