"""The marts' contracts and what they tell their readers (issue 15).

Every mart enforces a contract whose types follow one rule set (whole numbers
BIGINT, rates and shares DOUBLE, money DECIMAL(18,2), months and days DATE, `_at`
instants TIMESTAMP WITH TIME ZONE); the build gives the tables exactly those
types; every description reaches the warehouse as a comment; and the exposures
name who reads which mart. Everything is derived from the manifest of the
fixture build, never listed by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTRACT_TYPES = {
    "varchar",
    "boolean",
    "bigint",
    "double",
    "decimal(18, 2)",
    "date",
    "timestamp with time zone",
}
MONEY = "decimal(18, 2)"
# A mart column carries `config: {meta: {unit: currency}}` when it is an amount of money.
CURRENCY_META = ("unit", "currency")
# The marts the snapshot and the Parquet files publish: all of them.
PUBLISHING_EXPOSURES = ("published_snapshot", "published_parquet_marts")
# Exposures whose code names its marts in SQL (`marts.<mart>`): exposure -> code folder.
QUERYING_EXPOSURES = {
    "monthly_report": REPO / "assets" / "serving" / "report",
    "kpi_dashboard": REPO / "dashboard",
}


@pytest.fixture(scope="module")
def manifest(fixture_build) -> dict:
    """The manifest of the fixture build (the project as it was built)."""
    return json.loads((fixture_build.duckdb_path.parent / "target" / "manifest.json").read_text())


@pytest.fixture(scope="module")
def marts(manifest, mart_models) -> dict[str, dict]:
    """Every model of schema ``marts`` by name."""
    return mart_models(manifest)


def _is_money(column: dict) -> bool:
    key, value = CURRENCY_META
    return (column.get("config", {}).get("meta") or column.get("meta") or {}).get(key) == value


def test_every_mart_enforces_a_contract_with_a_type_per_column(marts) -> None:
    problems = []
    for name, node in sorted(marts.items()):
        config = node["config"]
        if not config["contract"]["enforced"]:
            problems.append(f"{name}: contract not enforced")
        if config["materialized"] == "incremental" and config["on_schema_change"] != "fail":
            problems.append(f"{name}: on_schema_change {config['on_schema_change']}")
        if config["persist_docs"] != {"relation": True, "columns": True}:
            problems.append(f"{name}: persist_docs {config['persist_docs']}")
        for column, spec in node["columns"].items():
            data_type = (spec.get("data_type") or "").lower()
            if data_type not in CONTRACT_TYPES:
                problems.append(f"{name}.{column}: data_type {spec.get('data_type')!r}")
    assert problems == []


def _expected_kind(column: str) -> str | None:
    """The type a column's name promises (ARCHITECTURE.md naming), None if it promises none."""
    if column.startswith(("is_", "has_")):
        return "boolean"
    # Ranks and counts of days before the date rule: sector_rank_sla_attainment,
    # days_in_month, baseline_days are whole numbers.
    if re.search(r"(^|_)rank(_|$)|^n_|^days_in_|_days$", column):
        return "bigint"
    if column.endswith(("_month", "_date")):
        return "date"
    if column.endswith("_at"):
        return "timestamp with time zone"
    if re.search(r"(^share_|_share$|_share_|(^|_)rate($|_)|_attainment$)", column):
        return "double"
    return None


def test_types_follow_the_naming_rules_and_money_is_decimal(marts) -> None:
    """Flags are booleans, months and days dates, `_at` instants, rates and shares doubles,
    and a column is DECIMAL(18,2) exactly when it is an amount of money."""
    problems = []
    money = []
    for name, node in sorted(marts.items()):
        for column, spec in node["columns"].items():
            data_type = spec["data_type"].lower()
            expected = _expected_kind(column)
            if expected is not None and data_type != expected:
                problems.append(f"{name}.{column}: {data_type}, its name says {expected}")
            if _is_money(spec) != (data_type == MONEY):
                problems.append(f"{name}.{column}: {data_type}, money: {_is_money(spec)}")
            if _is_money(spec):
                money.append(f"{name}.{column}")
    assert problems == []
    # The amounts of KPI_DEFINITIONS sections 6 and 7, in one type across both marts.
    assert {
        "fct_webcare_roi_monthly.webcare_cost",
        "fct_webcare_roi_monthly.estimated_value_protected",
        "fct_webcare_roi_monthly.assumption_customer_annual_value",
        "fct_webcare_roi_monthly.assumption_cost_per_reply",
        "fct_sentiment_stock_monthly.market_cap",
        "fct_sentiment_stock_monthly.month_end_close",
    } <= set(money)


def test_the_built_marts_have_the_contract_columns_and_types(
    fixture_build, marts, duckdb_type
) -> None:
    """Column for column, in contract order, the built table's type is the contract's:
    no HUGEINT sums, no DECIMAL(21,1) products, no naive timestamps."""
    with fixture_build.connect() as conn:
        for name, node in sorted(marts.items()):
            built = conn.execute(
                "select column_name, data_type from duckdb_columns() "
                "where schema_name = 'marts' and table_name = ? order by column_index",
                [name],
            ).fetchall()
            expected = [
                (column, duckdb_type(spec["data_type"])) for column, spec in node["columns"].items()
            ]
            assert built == expected, name


def test_every_description_is_a_comment_in_the_warehouse(fixture_build, manifest) -> None:
    """persist_docs: each model's description on its table or view, each documented
    column's on its column, in every layer."""
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    with fixture_build.connect() as conn:
        relations = dict(
            ((schema, name), comment)
            for schema, name, comment in conn.execute(
                "select schema_name, table_name, comment from duckdb_tables() "
                "union all select schema_name, view_name, comment from duckdb_views() "
                "where not internal"
            ).fetchall()
        )
        columns = {
            (schema, table, column): comment
            for schema, table, column, comment in conn.execute(
                "select schema_name, table_name, column_name, comment from duckdb_columns()"
            ).fetchall()
        }
    missing = []
    for node in models:
        key = (node["schema"], node["alias"])
        if relations.get(key) != node["description"]:
            missing.append(f"{node['name']}: {relations.get(key)!r}")
        for column, spec in node["columns"].items():
            if spec.get("description") and columns.get((*key, column)) != spec["description"]:
                missing.append(f"{node['name']}.{column}: {columns.get((*key, column))!r}")
    assert missing == []


def test_money_rounding_is_pinned_by_a_unit_test(fixture_build) -> None:
    """Half away from zero on the written amount, on both engines (macros/to_money.sql)."""
    results = {r.node.name: r.status for r in fixture_build.result.result.results}
    assert results["money_is_rounded_to_cents_half_away_from_zero"] == "pass"


def _marts_named_in(folder: Path) -> set[str]:
    return {
        mart
        for path in folder.rglob("*.py")
        for mart in re.findall(r"\bmarts\.((?:fct|dim)_\w+)", path.read_text())
    }


def test_exposures_name_every_reader_of_the_marts(manifest, marts) -> None:
    """The snapshot and the Parquet files publish every mart; the report and the dashboard
    depend on exactly the marts their code queries."""
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert set(exposures) >= {*PUBLISHING_EXPOSURES, *QUERYING_EXPOSURES}
    mart_ids = {node["unique_id"]: name for name, node in marts.items()}

    def depends_on(exposure: str) -> set[str]:
        return {mart_ids[node] for node in exposures[exposure]["depends_on"]["nodes"]}

    for exposure in PUBLISHING_EXPOSURES:
        assert depends_on(exposure) == set(marts), exposure
    for exposure, folder in QUERYING_EXPOSURES.items():
        if not folder.is_dir():
            pytest.fail(f"{exposure} describes code in {folder}, which does not exist")
        assert depends_on(exposure) == _marts_named_in(folder), exposure
    for exposure in exposures.values():
        assert exposure["owner"]["name"], exposure["name"]
        assert exposure["description"].strip(), exposure["name"]
        assert exposure["type"] in {"application", "analysis", "dashboard"}, exposure["name"]
