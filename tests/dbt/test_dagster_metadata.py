"""What Dagster shows of the dbt assets (issue 15): the contract's column types before a
run, the built tables' column types and row counts after one, and no beta warnings
on the way."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.dbt import dbt_project
from orchestration.definitions import build_definitions
from orchestration.instance import open_instance
from warehouse.settings import Settings

# Warnings Dagster gives for APIs that may still change.
UNSTABLE = (dg.BetaWarning, dg.PreviewWarning, dg.SupersessionWarning)


def _marts(settings: Settings) -> dict[str, dict]:
    manifest = json.loads(Path(dbt_project(settings).manifest_path).read_text())
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }


def test_loading_the_definitions_warns_of_no_unstable_api(tmp_path) -> None:
    """Building every asset, check, job, schedule and sensor emits no beta, preview or
    superseded-API warning (the dbt asset's row counts and column metadata are stable
    dagster-dbt APIs)."""
    settings = Settings.from_env(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        repository = build_definitions(settings).get_repository_def()
        for job in repository.get_all_jobs():
            job.asset_layer  # noqa: B018 - resolving the job's assets is what warns, if anything
    unstable = [f"{w.category.__name__}: {w.message}" for w in caught if w.category in UNSTABLE]
    assert unstable == []


def test_the_mart_assets_show_their_contract_before_any_run(tmp_path) -> None:
    """Each mart's column schema in Dagster is its contract: names, types, descriptions."""
    settings = Settings.from_env(tmp_path)
    graph = build_definitions(settings).get_repository_def().asset_graph
    for name, node in _marts(settings).items():
        spec = graph.get(dg.AssetKey(["marts", name]))
        schema = spec.metadata["dagster/column_schema"]
        assert [(c.name, c.type, c.description) for c in schema.columns] == [
            (column, info["data_type"], info["description"])
            for column, info in node["columns"].items()
        ], name


@pytest.mark.slow
def test_a_build_records_row_counts_and_column_types_of_every_mart(demo_home) -> None:
    """`webcare run` left, on each mart's latest materialisation, its row count and the
    built table's column types (read after dbt exited, so DuckDB's one writer was done)."""
    settings = Settings.from_env(demo_home)
    marts = _marts(settings)
    instance = open_instance(settings)
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        for name, node in marts.items():
            event = instance.get_latest_materialization_event(dg.AssetKey(["marts", name]))
            assert event is not None, name
            metadata = event.asset_materialization.metadata
            (rows,) = conn.execute(f"select count(*) from marts.{name}").fetchone()
            assert metadata["dagster/row_count"].value == rows, name
            built = dict(
                conn.execute(
                    "select column_name, data_type from duckdb_columns() "
                    "where schema_name = 'marts' and table_name = ? order by column_index",
                    [name],
                ).fetchall()
            )
            recorded = metadata["dagster/column_schema"].schema.columns
            # the built table's columns in its order, DuckDB's type names, the YAML's words
            assert [(c.name, c.type, c.description) for c in recorded] == [
                (column, built[column], node["columns"][column]["description"]) for column in built
            ], name
            assert metadata["dagster/storage_kind"].value == "duckdb", name


def test_the_dbt_resource_starts_dbt_without_an_adapter_in_this_process(
    tmp_path, monkeypatch
) -> None:
    """dagster-dbt makes an in-process dbt adapter for every invocation (for fetch_*
    methods this project does not use); the project's resource makes none. With the
    profile's warehouse path set, dagster-dbt's own resource would make one."""
    from assets.dbt import DUCKDB_PATH_ENV, dbt_resource

    monkeypatch.setenv(DUCKDB_PATH_ENV, str(tmp_path / "warehouse.duckdb"))
    project = dbt_project(Settings.from_env(tmp_path))
    invocation = dbt_resource(project).cli(["debug", "--config-dir"], target_path=tmp_path)
    invocation.wait()
    assert invocation.is_successful()
    assert invocation.adapter is None
