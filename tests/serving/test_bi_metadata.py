"""What a BI tool sees after `webcare run` (issue 15): every table and column of the
published snapshot and of every Parquet file carries its dbt description, and its type
is the mart contract's, the same in both.

The home is the session fixture `demo_home` (the small demo through `webcare run`, as
`make run` does it); the expected descriptions and types come from the dbt manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assets.dbt import dbt_project
from assets.serving import published_paths
from assets.serving.publish import DESCRIPTION_KEY, PUBLICATION_TABLE
from assets.serving.snapshot import MartColumn, open_snapshot
from warehouse.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def settings(demo_home: Path) -> Settings:
    """The demo home's settings."""
    return Settings.from_env(demo_home)


@pytest.fixture(scope="module")
def marts(settings: Settings, mart_models) -> dict[str, dict]:
    """The mart models of the manifest by name: descriptions and contract columns."""
    return mart_models(json.loads(Path(dbt_project(settings).manifest_path).read_text()))


def test_the_snapshot_lists_every_description_and_contract_type(
    settings, marts, duckdb_type
) -> None:
    """What DBeaver or Metabase read from the catalog: the table comment, and per column
    its comment and type, for every column of every mart."""
    snapshot = published_paths(settings)["snapshot"]
    with duckdb.connect(str(snapshot), read_only=True) as conn:
        tables = dict(
            conn.execute(
                "select table_name, comment from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        )
        columns = {
            (table, column): (data_type, comment)
            for table, column, data_type, comment in conn.execute(
                "select table_name, column_name, data_type, comment from duckdb_columns() "
                "where schema_name = 'marts'"
            ).fetchall()
        }
    assert set(tables) == set(marts)
    expected_columns = {}
    for name, node in marts.items():
        assert tables[name] == node["description"], name
        for column, spec in node["columns"].items():
            expected_columns[(name, column)] = (duckdb_type(spec["data_type"]), spec["description"])
    assert columns == expected_columns
    assert all(description.strip() for _, description in columns.values())


def test_every_parquet_file_carries_the_descriptions_and_the_snapshot_types(
    settings, marts, duckdb_type
) -> None:
    """Parquet: the model's description in the schema metadata, each column's in its field
    metadata; the types DuckDB reads back equal the snapshot's (no HUGEINT turned DOUBLE,
    no money turned DOUBLE), decimals stay decimal128(18, 2), instants stay UTC."""
    paths = published_paths(settings)
    assert sorted(p.stem for p in paths["parquet"].glob("*.parquet")) == sorted(marts)
    with duckdb.connect() as conn:
        conn.execute(f"attach '{paths['snapshot']}' as snap (read_only)")
        for name, node in marts.items():
            file = paths["parquet"] / f"{name}.parquet"
            schema = pq.read_schema(file)
            assert schema.metadata[DESCRIPTION_KEY].decode() == node["description"], name
            for column, spec in node["columns"].items():
                field = schema.field(column)
                assert field.metadata[DESCRIPTION_KEY].decode() == spec["description"], column
                if spec["data_type"] == "decimal(18, 2)":
                    assert field.type == pa.decimal128(18, 2), column
                if spec["data_type"] == "timestamp with time zone":
                    assert field.type == pa.timestamp("us", tz="UTC"), column
            in_parquet = conn.execute(f"describe select * from read_parquet('{file}')").fetchall()
            in_snapshot = conn.execute(f"describe snap.marts.{name}").fetchall()
            assert [row[:2] for row in in_parquet] == [row[:2] for row in in_snapshot], name
            assert [row[:2] for row in in_snapshot] == [
                (column, duckdb_type(spec["data_type"])) for column, spec in node["columns"].items()
            ], name


def test_the_snapshot_reader_returns_descriptions_and_types(settings, marts, duckdb_type) -> None:
    """`Snapshot.columns` / `Snapshot.mart_description`: the same, for the report and the
    dashboard, and the publication record documents itself too."""
    node = marts["fct_webcare_roi_monthly"]
    with open_snapshot(settings) as snapshot:
        assert snapshot.mart_description("fct_webcare_roi_monthly") == node["description"]
        columns = snapshot.columns("fct_webcare_roi_monthly")
        record = snapshot.rows(
            "select comment from duckdb_tables() where schema_name = 'main' and table_name = ?",
            [PUBLICATION_TABLE],
        )
        with pytest.raises(KeyError, match="no mart 'fct_nothing'"):
            snapshot.columns("fct_nothing")
    assert columns == [
        MartColumn(column, duckdb_type(spec["data_type"]), spec["description"])
        for column, spec in node["columns"].items()
    ]
    by_name = {column.name: column for column in columns}
    assert by_name["webcare_cost"].data_type == "DECIMAL(18,2)"
    assert by_name["contacted_negative_posts"].data_type == "BIGINT"
    assert record == [
        ("When the marts were published and how many rows each has (one row per mart).",)
    ]
