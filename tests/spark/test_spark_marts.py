"""The marts on Apache Spark equal the marts on DuckDB (issue 14): same keys, same rows, same
numbers (floats to 1e-9), for every mart of the dbt manifest."""

from __future__ import annotations

import math
import shutil
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt.cli.main import dbtRunner

from assets.dbt.spark import DBT_PROJECT_DIR, SPARK_TARGET, dbt_spark_env, environment

pytestmark = pytest.mark.slow

TOLERANCE = 1e-9


def _duckdb_rows(conn: duckdb.DuckDBPyConnection, relation: str) -> list[dict[str, Any]]:
    described = conn.execute(f"describe {relation}").fetchall()
    # Timestamps as epoch microseconds on both sides: no client time zone in between.
    columns = [
        f'epoch_us("{name}") as "{name}"' if kind.startswith("TIMESTAMP") else f'"{name}"'
        for name, kind, *_ in described
    ]
    cursor = conn.execute(f"select {', '.join(columns)} from {relation}")
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _spark_rows(session: Any, relation: str) -> list[dict[str, Any]]:
    frame = session.table(relation)
    columns = [
        f"unix_micros(`{field.name}`) as `{field.name}`"
        if field.dataType.typeName().startswith("timestamp")
        else f"`{field.name}`"
        for field in frame.schema.fields
    ]
    return [row.asDict() for row in frame.selectExpr(*columns).collect()]


def _same(spark_value: Any, duckdb_value: Any) -> bool:
    if spark_value is None or duckdb_value is None:
        return spark_value is None and duckdb_value is None
    if isinstance(spark_value, float | Decimal) or isinstance(duckdb_value, float | Decimal):
        return math.isclose(
            float(spark_value), float(duckdb_value), rel_tol=TOLERANCE, abs_tol=TOLERANCE
        )
    return bool(spark_value == duckdb_value)


def test_every_mart_is_the_same_on_spark_and_on_duckdb(spark_build) -> None:
    assert spark_build.mart_keys, "the manifest lists no marts"
    conn = duckdb.connect(spark_build.settings.duckdb_path, read_only=True)
    try:
        problems = []
        for mart, key in spark_build.mart_keys.items():
            expected = _duckdb_rows(conn, f"marts.{mart}")
            actual = _spark_rows(spark_build.session, f"marts.{mart}")
            problems += _differences(mart, key, actual, expected)
    finally:
        conn.close()
    assert not problems, "Spark marts differ from DuckDB marts:\n" + "\n".join(problems)


def _differences(
    mart: str,
    key: tuple[str, ...],
    actual: list[dict[str, Any]],
    expected: list[dict[str, Any]],
) -> list[str]:
    assert expected, f"{mart} is empty on DuckDB: the demo no longer exercises it"
    assert key, f"{mart} has no primary-key test to compare rows by"
    if len(actual) != len(expected):
        return [f"{mart}: {len(actual)} rows on Spark, {len(expected)} on DuckDB"]
    if actual and set(actual[0]) != set(expected[0]):
        return [f"{mart}: columns differ: {sorted(set(actual[0]) ^ set(expected[0]))}"]
    by_key = {tuple(row[column] for column in key): row for row in actual}
    problems = []
    for row in expected:
        row_key = tuple(row[column] for column in key)
        spark_row = by_key.get(row_key)
        if spark_row is None:
            problems.append(f"{mart} {dict(zip(key, row_key, strict=True))}: missing on Spark")
            continue
        problems += [
            f"{mart} {dict(zip(key, row_key, strict=True))} {column}: "
            f"Spark {spark_row[column]!r}, DuckDB {value!r}"
            for column, value in row.items()
            if not _same(spark_row[column], value)
        ]
    return problems[:50]


def _compiled(sql: str, target: str, target_path: str) -> str:
    project = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    inline = ["compile", "--quiet", "--inline", sql, "--target", target]
    result = dbtRunner().invoke([*inline, "--target-path", target_path, *project])
    assert result.success, result.exception
    return result.result.results[0].node.compiled_code


def test_local_times_convert_alike_across_daylight_saving_changes(spark_build, tmp_path) -> None:
    """local_to_utc and utc_to_local give the same instants on both engines for every
    quarter hour of DST change days: skipped times (spring) and repeated ones (autumn,
    where DuckDB takes the later instant), also for a 30-minute change and a change at
    midnight. The demo's opening hours never fall in such an hour."""
    zones = ["Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "America/Sao_Paulo"]
    days = ["2024-03-31", "2024-10-27", "2024-03-10", "2024-11-03", "2024-04-07", "2024-10-06"]
    days += ["2018-11-04", "2019-02-16"]
    values = ", ".join(
        f"(timestamp '{moment:%Y-%m-%d %H:%M:%S}', '{zone}')"
        for day in days
        for minutes in range(0, 24 * 60, 15)
        for moment in [datetime.fromisoformat(day) + timedelta(minutes=minutes)]
        for zone in zones
    )
    sql = (
        "select local_at, tz, {{ local_to_utc('local_at', 'tz') }} as utc_at, "
        "{{ utc_to_local('local_at', 'tz') }} as wall_at "
        f"from (values {values}) as t(local_at, tz)"
    )
    with environment({**dbt_spark_env(spark_build.settings), "WEBCARE_DUCKDB_PATH": ":memory:"}):
        duckdb_sql = _compiled(sql, "duckdb", str(tmp_path / "duckdb"))
        spark_sql = _compiled(sql, SPARK_TARGET, str(tmp_path / "spark"))
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'UTC'")
    # Epoch microseconds on both sides: no client time zone in between.
    micros = "select {0}(local_at), tz, {0}(utc_at), {0}(wall_at) from ({1})"
    expected = set(conn.execute(micros.format("epoch_us", duckdb_sql)).fetchall())
    rows = spark_build.session.sql(micros.format("unix_micros", spark_sql)).collect()
    actual = {tuple(row) for row in rows}
    assert len(expected) == len(days) * 96 * len(zones)
    assert actual == expected, sorted(actual ^ expected)[:10]


def test_the_spark_marts_copied_into_the_warehouse_equal_the_duckdb_build(
    spark_build, tmp_path
) -> None:
    """What the dbt asset does on Spark: the marts copied back into the warehouse file
    have the DuckDB build's columns, order and types, and its rows."""
    from assets.dbt import dbt_project
    from assets.dbt.spark import import_marts

    original = Path(spark_build.settings.duckdb_path)
    copy = tmp_path / "copied.duckdb"
    shutil.copy(original, copy)
    project = dbt_project(spark_build.settings)
    with duckdb.connect(str(copy)) as conn:
        copied = import_marts(conn, spark_build.settings, project.manifest_path)
    assert copied == sorted(spark_build.mart_keys)
    columns = (
        "select table_name, column_name, data_type from duckdb_columns() "
        "where schema_name = 'marts' order by table_name, column_index"
    )
    with duckdb.connect(str(original), read_only=True) as left:
        expected = left.execute(columns).fetchall()
    with duckdb.connect(str(copy), read_only=True) as right:
        assert right.execute(columns).fetchall() == expected
    conn = duckdb.connect()
    conn.execute(f"attach '{original}' as duck (read_only)")
    conn.execute(f"attach '{copy}' as spark (read_only)")
    for mart in copied:
        kinds = conn.execute(
            "select column_name, data_type from duckdb_columns() where database_name = 'duck' "
            "and schema_name = 'marts' and table_name = ? order by column_index",
            [mart],
        ).fetchall()
        select = ", ".join(
            f'round("{name}", 9)' if kind == "DOUBLE" else f'"{name}"' for name, kind in kinds
        )
        for a, b in (("duck", "spark"), ("spark", "duck")):
            (extra,) = conn.execute(
                f"select count(*) from (select {select} from {a}.marts.{mart} "
                f"except all select {select} from {b}.marts.{mart})"
            ).fetchone()
            assert extra == 0, (mart, a, b, extra)
