"""`warehouse.contract`: the one definition of the raw and scores tables, and what it derives."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import duckdb
import pytest
import yaml

from warehouse import contract, contract_docs
from warehouse.contract import RAW_TABLES, TABLES, ensure_tables

REPO = Path(__file__).resolve().parents[1]
DOCS_PAGE = REPO / "docs" / "warehouse-tables.md"
DBT_SOURCES = sorted((REPO / "dbt_project" / "models").rglob("_*__sources.yml"))


def columns_in(conn: duckdb.DuckDBPyConnection, table: contract.Table) -> list[tuple]:
    """(name, type, nullable) of `table`'s columns in the database, in table order."""
    return conn.execute(
        """
        select column_name, data_type, is_nullable = 'YES'
        from information_schema.columns
        where table_schema = ? and table_name = ?
        order by ordinal_position
        """,
        [table.schema, table.name],
    ).fetchall()


def expected_columns(table: contract.Table) -> list[tuple]:
    return [(c.name, c.type, c.nullable) for c in table.columns]


def test_the_committed_docs_page_is_generated_from_the_contract() -> None:
    committed = DOCS_PAGE.read_text(encoding="utf-8")
    assert committed == contract_docs.render_tables_markdown(), (
        "docs/warehouse-tables.md differs from warehouse/contract.py; regenerate it with "
        f"`{contract_docs.REGENERATE}`"
    )


def test_ensure_tables_creates_every_table_with_exactly_the_contracts_columns() -> None:
    with duckdb.connect() as conn:
        ensure_tables(conn)
        found = {
            f"{schema}.{name}"
            for schema, name in conn.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_schema in ('raw', 'scores')"
            ).fetchall()
        }
        assert found == set(TABLES)
        for table in TABLES.values():
            assert columns_in(conn, table) == expected_columns(table), table.qualified


def test_ensure_tables_declares_no_key_constraints_and_can_run_again() -> None:
    """Keys are logical: a month is replaced by a delete and an insert of the same keys."""
    with duckdb.connect() as conn:
        ensure_tables(conn)
        ensure_tables(conn)
        constraints = conn.execute(
            "select schema_name, table_name, constraint_type from duckdb_constraints() "
            "where constraint_type not in ('NOT NULL')"
        ).fetchall()
    assert constraints == []


def test_ensure_tables_adds_a_missing_nullable_column_to_an_existing_table() -> None:
    table = RAW_TABLES["mentions"]
    older = contract.Table(
        table.schema,
        table.name,
        table.description,
        tuple(c for c in table.columns if c.name != "deleted_at"),
        table.primary_key,
        table.partition_column,
        table.partitioned_by,
    )
    with duckdb.connect() as conn:
        conn.execute("create schema raw")
        conn.execute(contract.create_table_sql(older))
        conn.execute(
            "insert into raw.mentions (mention_id, platform, created_at, author_id, "
            "is_brand_account, partition_month, _source_file, _source_line, _loaded_at) "
            "values ('1', 'twitter', now(), 'p_1', false, date '2024-03-01', 'f.csv', 2, now())"
        )
        ensure_tables(conn, [table])
        found = columns_in(conn, table)
        rows = conn.execute("select mention_id, deleted_at from raw.mentions").fetchall()
    # Added at the end, as DuckDB adds columns; the row already there holds null in it.
    assert found == [*expected_columns(older), ("deleted_at", "TIMESTAMP", True)]
    assert rows == [("1", None)]


def test_the_writers_create_the_contracts_tables() -> None:
    """The raw writer and the scoring assets create exactly what the contract says."""
    from assets.raw import writer
    from assets.sentiment import scoring

    with duckdb.connect() as conn:
        writer.ensure_tables(conn)
        scoring._ensure_score_tables(conn)
        for table in TABLES.values():
            assert columns_in(conn, table) == expected_columns(table), table.qualified


def test_every_key_and_partition_column_is_a_column() -> None:
    for table in TABLES.values():
        names = table.column_names
        assert set(table.primary_key) <= set(names)
        assert table.partition_column in (None, *names)
        assert table.partitioned_by in (None, *names)
        assert all(c.description.strip() and "\n" not in c.description for c in table.columns)


def test_a_table_rejects_an_unknown_key_column() -> None:
    with pytest.raises(ValueError, match="unknown key"):
        contract.Table("raw", "t", "", (contract.Column("a", "VARCHAR"),), ("b",))


@pytest.mark.parametrize("path", DBT_SOURCES, ids=lambda p: p.parent.name)
def test_dbt_source_columns_are_the_contracts(path: Path) -> None:
    """dbt's source YAML repeats the column lists (for their docs): they may not drift."""
    sources = yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]
    for source in sources:
        for table in source["tables"]:
            qualified = f"{source.get('schema', source['name'])}.{table['name']}"
            assert qualified in TABLES, f"{path.name}: {qualified} is not in warehouse.contract"
            documented = [column["name"] for column in table.get("columns", [])]
            assert documented == TABLES[qualified].column_names, qualified


def test_dbt_sources_cover_every_table_dbt_reads() -> None:
    """Every contract table but the loader's and the scorer's own logs is a dbt source."""
    declared = set()
    for path in DBT_SOURCES:
        for source in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]:
            schema = source.get("schema", source["name"])
            declared |= {f"{schema}.{table['name']}" for table in source["tables"]}
    assert set(TABLES) - declared == {"raw.rejected_rows", "scores.sentiment_cache"}


def test_landing_schemas_take_key_and_partition_from_the_contract() -> None:
    from assets.raw.schemas import SCHEMAS

    for source, schema in SCHEMAS.items():
        table = RAW_TABLES[source]
        assert sorted(schema.key) == sorted(table.primary_key), source
        assert schema.partition_column == table.partitioned_by, source
        assert set(schema.names) <= set(table.column_names), source


def test_suite_keys_are_the_contracts() -> None:
    """Every raw and scores table with a Great Expectations suite names rows by its key."""
    suites = [
        importlib.import_module(f"expectations.suites.{table.schema}_{table.name}")
        for table in TABLES.values()
        if importlib.util.find_spec(f"expectations.suites.{table.schema}_{table.name}")
    ]
    assert len(suites) == 8
    for suite in suites:
        assert TABLES[suite.NAME].primary_key == suite.KEY, suite.NAME
