"""The Parquet hand-over to Spark: contract columns, a folder per month, months replaced alone."""

from __future__ import annotations

from datetime import date, datetime, time

import duckdb

from assets.dbt.spark import export_parquet, parquet_sources
from warehouse.contract import RAW_TABLES, ensure_tables
from warehouse.settings import Settings

MENTIONS = RAW_TABLES["mentions"]
OPENING_HOURS = RAW_TABLES["webcare_account_opening_hours"]


def _insert(conn: duckdb.DuckDBPyConnection, table, **values: object) -> None:
    names = ", ".join(f'"{name}"' for name in values)
    marks = ", ".join("?" for _ in values)
    conn.execute(f"insert into {table.qualified} ({names}) values ({marks})", list(values.values()))


def _mention(conn: duckdb.DuckDBPyConnection, mention_id: str, created_at: datetime) -> None:
    _insert(
        conn,
        MENTIONS,
        mention_id=mention_id,
        platform="twitter",
        created_at=created_at,
        author_id="p_0123456789abcdef",
        is_brand_account=False,
        extra='{"is_automated": true}',
        partition_month=date(created_at.year, created_at.month, 1),
        _source_file="mentions/m.csv",
        _source_line=1,
        _loaded_at=datetime(2011, 5, 1),
    )


def _read(folder) -> list[tuple]:
    conn = duckdb.connect()
    return conn.execute(
        f"select * from read_parquet('{folder}/**/*.parquet', hive_partitioning = true) "
        "order by all"
    ).fetchall()


def test_export_writes_month_folders_and_replaces_only_the_months_asked(tmp_path) -> None:
    settings = Settings.from_env(tmp_path)
    conn = duckdb.connect(settings.duckdb_path)
    ensure_tables(conn, [MENTIONS, OPENING_HOURS])
    _mention(conn, "1", datetime(2011, 3, 4, 15, 0, 0, 123000))
    _mention(conn, "2", datetime(2011, 4, 1, 8, 0))
    _insert(
        conn,
        OPENING_HOURS,
        handle="BankA_Help",
        platform="twitter",
        weekday=1,
        opens_at=time(8, 30),
        closes_at=time(17, 0),
        _source_file="webcare_accounts/a.yaml",
        _source_line=1,
        _loaded_at=datetime(2011, 5, 1),
    )
    conn.close()

    folders = export_parquet(settings, [MENTIONS, OPENING_HOURS])

    mentions = folders["raw.mentions"]
    assert sorted(path.name for path in mentions.iterdir()) == [
        "partition_month=2011-03-01",
        "partition_month=2011-04-01",
    ]
    files = duckdb.connect().execute(
        f"describe select * from read_parquet('{mentions}/*/*.parquet', hive_partitioning = false)"
    )
    # Every contract column but the month, which is the folder name; JSON travels as text.
    described = {name: kind for name, kind, *_ in files.fetchall()}
    assert list(described) == [c.name for c in MENTIONS.columns if c.name != "partition_month"]
    assert described["extra"] == "VARCHAR"
    assert described["created_at"] == "TIMESTAMP"
    hours = _read(folders["raw.webcare_account_opening_hours"])
    assert hours[0][3:5] == ("08:30:00", "17:00:00")

    # April is loaded again without message 2, with message 3; March is not asked for.
    conn = duckdb.connect(settings.duckdb_path)
    conn.execute("delete from raw.mentions where mention_id = '2'")
    _mention(conn, "3", datetime(2011, 4, 2, 9, 0))
    _mention(conn, "4", datetime(2011, 3, 5, 9, 0))
    conn.close()
    export_parquet(settings, [MENTIONS], months=["2011-04"])
    assert [(row[0], row[-1]) for row in _read(mentions)] == [
        ("1", date(2011, 3, 1)),
        ("3", date(2011, 4, 1)),
    ]
    assert not [path for path in mentions.parent.iterdir() if path.name.startswith(".")]

    # A month asked for that has no rows any more loses its folder.
    conn = duckdb.connect(settings.duckdb_path)
    conn.execute("delete from raw.mentions where partition_month = date '2011-04-01'")
    conn.close()
    export_parquet(settings, [MENTIONS], months=["2011-04"])
    assert [path.name for path in mentions.iterdir()] == ["partition_month=2011-03-01"]


def test_registration_arguments_come_from_the_contract(tmp_path) -> None:
    settings = Settings.from_env(tmp_path)
    (mentions, hours) = parquet_sources(settings, [MENTIONS, OPENING_HOURS])
    assert mentions["schema"] == "raw" and mentions["name"] == "mentions"
    assert mentions["partition_column"] == "partition_month"
    assert mentions["location"] == (tmp_path / "spark/parquet/raw/mentions").as_uri()
    types = dict(mentions["columns"])
    assert list(types) == MENTIONS.column_names
    assert types["created_at"] == "timestamp" and types["extra"] == "string"
    assert types["partition_month"] == "date" and types["author_followers"] == "bigint"
    assert dict(hours["columns"])["opens_at"] == "string"
    assert hours["partition_column"] is None
