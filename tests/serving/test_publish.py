"""Publishing the marts: exact copies, atomic replacement, open readers undisturbed."""

import hashlib
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

import assets.serving.publish as publish
from assets.dbt import dbt_project, pseudonymised_mart_columns
from assets.raw.pseudonymise import pseudonymise_series
from assets.serving import published_paths
from warehouse.resource import WarehouseResource
from warehouse.settings import Settings

MARTS = ["dim_brands", "fct_sentiment_monthly", "fct_negative_spike_alerts"]
MART_KEYS = [dg.AssetKey(["marts", m]) for m in MARTS]


def write_live_marts(settings: Settings, months: int) -> None:
    """(Re)build a small ``marts`` schema in the live warehouse with `months` months of rows.

    The types mirror the real marts: dates, UTC timestamps, nullable doubles,
    booleans, integers and text with quotes in it.
    """
    with duckdb.connect(settings.duckdb_path) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute(
            """
            create or replace table marts.dim_brands as
            select * from (values
                ('bank_a', 'Bank A', 'banks', true),
                ('bank_b', 'Bank ''B''', 'banks', false),
                ('tel_a', 'Tel A', 'telecoms', true)
            ) as t(brand, display_name, sector, is_listed)
            """
        )
        conn.execute(
            """
            create or replace table marts.fct_sentiment_monthly as
            select
                b.brand,
                (date '2011-01-01' + to_months(m.i))::date as month_start,
                (40 + 7 * m.i + length(b.brand))::bigint as mentions,
                case when b.brand = 'tel_a' and m.i = 0 then null
                     else round(0.1 * m.i - 0.3, 3) end as net_sentiment,
                (1.0 / 3)::double as share_of_voice,
                m.i < 1 as is_low_volume
            from marts.dim_brands as b
            cross join (select range as i from range(?)) as m
            """,
            [months],
        )
        conn.execute(
            """
            create or replace table marts.fct_negative_spike_alerts as
            select
                'bank_a' as brand,
                (date '2011-01-03' + to_days(7 * range))::date as alert_date,
                (timestamp '2011-01-03 09:30:00' + to_days(7 * range)) as detected_at,
                12 + range as negative_count,
                4.5 as baseline_mean
            from range(?)
            """,
            [months],
        )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "home").mkdir()
    return Settings.from_env(tmp_path / "home")


def materialize_publish(settings: Settings) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [publish.build_publish_asset(MART_KEYS)],
        resources={
            "warehouse": WarehouseResource(database=settings.duckdb_path),
            "settings": settings,
        },
    )


def difference(conn: duckdb.DuckDBPyConnection, left: str, right: str) -> int:
    """Rows in either relation that the other lacks (multiset difference, both ways)."""
    sql = (
        f"select count(*) from (({left} except all {right}) union all ({right} except all {left}))"
    )
    return conn.execute(sql).fetchone()[0]


def file_digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_snapshot_and_parquet_hold_exactly_the_marts_rows(settings: Settings) -> None:
    write_live_marts(settings, months=4)
    result = materialize_publish(settings)
    paths = published_paths(settings)

    metadata = result.asset_materializations_for_node("published__warehouse_snapshot")[0].metadata
    assert metadata["rows_per_mart"].data == {
        "dim_brands": 3,
        "fct_sentiment_monthly": 12,
        "fct_negative_spike_alerts": 4,
    }
    assert sorted(p.name for p in paths["parquet"].iterdir()) == sorted(
        f"{m}.parquet" for m in MARTS
    )
    with duckdb.connect() as conn:
        conn.execute(f"attach '{settings.duckdb_path}' as live (read_only)")
        conn.execute(f"attach '{paths['snapshot']}' as snap (read_only)")
        assert sorted(
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'snap' and table_schema = 'marts'"
            ).fetchall()
        ) == sorted(MARTS)
        for mart in MARTS:
            live = f"select * from live.marts.{mart}"
            parquet = f"select * from read_parquet('{paths['parquet'] / (mart + '.parquet')}')"
            assert difference(conn, live, f"select * from snap.marts.{mart}") == 0, mart
            assert difference(conn, live, parquet) == 0, mart
            # Types survive the trip, so BI tools see dates as dates and nulls as nulls.
            assert (
                conn.execute(f"describe {live}").fetchall()
                == conn.execute(f"describe select * from snap.marts.{mart}").fetchall()
            )
        assert conn.execute(
            "select count(*) from read_parquet(?) where net_sentiment is null",
            [str(paths["parquet"] / "fct_sentiment_monthly.parquet")],
        ).fetchone() == (1,)
        publication = conn.execute(
            "select mart, row_count, parquet_file from snap.main._publication order by mart"
        ).fetchall()
        # Written in the storage format every DuckDB >= 1.0 (as bundled in BI tools) reads.
        assert conn.execute(
            "select tags['storage_version'] from duckdb_databases() where database_name = 'snap'"
        ).fetchone() == ("v1.0.0+",)
        assert publication == [
            ("dim_brands", 3, "marts/dim_brands.parquet"),
            ("fct_negative_spike_alerts", 4, "marts/fct_negative_spike_alerts.parquet"),
            ("fct_sentiment_monthly", 12, "marts/fct_sentiment_monthly.parquet"),
        ]
    # One self-contained, read-only file: no write-ahead log left to replay.
    assert not Path(str(paths["snapshot"]) + ".wal").exists()
    assert stat.S_IMODE(paths["snapshot"].stat().st_mode) == 0o444


def test_publication_of_the_dbt_marts_is_exact(home_settings: Settings, dbt_warehouse) -> None:
    """Every mart is published row for row; message ids only as keyed pseudonyms."""
    marts = list(dbt_warehouse.marts)
    assert {"dim_brands", "fct_sentiment_monthly", "fct_webcare_roi_monthly"} <= set(marts)
    hidden = pseudonymised_mart_columns(dbt_project(home_settings))
    assert hidden == {
        "fct_inbound_messages": ("mention_key", "mention_id", "thread_key", "first_response_key")
    }
    dg.materialize(
        [publish.build_publish_asset([dg.AssetKey(["marts", m]) for m in marts], hidden)],
        resources={
            "warehouse": WarehouseResource(database=home_settings.duckdb_path),
            "settings": home_settings,
        },
    )
    paths = published_paths(home_settings)
    with duckdb.connect() as conn:
        conn.execute(f"attach '{home_settings.duckdb_path}' as live (read_only)")
        conn.execute(f"attach '{paths['snapshot']}' as snap (read_only)")
        for mart in marts:
            live = f"select * from live.marts.{mart}"
            parquet = f"select * from read_parquet('{paths['parquet'] / (mart + '.parquet')}')"
            count = conn.execute(f"select count(*) from ({live})").fetchone()[0]
            assert count > 0, mart
            assert conn.execute(f"select count(*) from ({parquet})").fetchone()[0] == count, mart
            assert difference(conn, f"select * from snap.marts.{mart}", parquet) == 0, mart
            if mart not in hidden:
                assert difference(conn, live, f"select * from snap.marts.{mart}") == 0, mart
                continue
            # The live warehouse keeps the platform's ids; the publication only their
            # keyed pseudonyms, the same for the same id (threads still join).
            key = home_settings.pseudonymisation_key
            original = pl.from_arrow(conn.execute(live).to_arrow_table())
            expected = original.with_columns(
                pseudonymise_series(key, original[column]) for column in hidden[mart]
            )
            published = pl.from_arrow(
                conn.execute(f"select * from snap.marts.{mart}").to_arrow_table()
            )
            assert sorted(published.rows(), key=repr) == sorted(expected.rows(), key=repr)
            assert published["mention_id"].str.starts_with("p_").all()
            assert not set(published["mention_id"]) & set(original["mention_id"])


READER = textwrap.dedent(
    """
    import sys, duckdb
    conn = duckdb.connect(sys.argv[1], read_only=True)
    query = "select count(*), max(month_start)::varchar from marts.fct_sentiment_monthly"
    print(*conn.execute(query).fetchone(), flush=True)
    sys.stdin.readline()
    print(*conn.execute(query).fetchone(), flush=True)
    """
)


def test_open_readers_keep_reading_while_a_new_publication_replaces_the_snapshot(
    settings: Settings,
) -> None:
    write_live_marts(settings, months=2)
    materialize_publish(settings)
    snapshot = published_paths(settings)["snapshot"]
    query = "select * from marts.fct_sentiment_monthly order by all"

    reader = duckdb.connect(str(snapshot), read_only=True)
    other_process = subprocess.Popen(
        [sys.executable, "-c", READER, str(snapshot)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        before = reader.execute(query).fetchall()
        assert other_process.stdout.readline().split() == ["6", "2011-02-01"]

        write_live_marts(settings, months=5)
        materialize_publish(settings)

        # Both readers still see the publication they opened, complete.
        assert reader.execute(query).fetchall() == before
        other_process.stdin.write("next\n")
        other_process.stdin.flush()
        assert other_process.stdout.readline().split() == ["6", "2011-02-01"]
        assert other_process.wait(timeout=60) == 0
        # A reader that opens now gets the new publication.
        with duckdb.connect() as fresh:
            fresh.execute(f"attach '{snapshot}' as snap (read_only)")
            assert fresh.execute(
                "select count(*), max(month_start)::varchar from snap.marts.fct_sentiment_monthly"
            ).fetchone() == (15, "2011-05-01")
    finally:
        reader.close()
        if other_process.poll() is None:
            other_process.kill()
            other_process.wait()
    assert not Path(str(snapshot) + ".wal").exists()


def test_interrupted_publish_leaves_the_previous_publication_intact(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_live_marts(settings, months=2)
    materialize_publish(settings)
    published = settings.published_path
    before = file_digests(published)

    write_live_marts(settings, months=3)
    real_writer = publish.write_mart_parquet
    written: list[str] = []

    def provoke_failure_after_first_parquet(conn, catalog, mart, path):
        """Fake that fails the second Parquet write, as a full disk or a kill would."""
        if written:
            raise OSError(f"provoked failure while writing {path.name}")
        real_writer(conn, catalog, mart, path)
        written.append(mart)

    monkeypatch.setattr(publish, "write_mart_parquet", provoke_failure_after_first_parquet)
    with pytest.raises(OSError, match="provoked failure"):
        materialize_publish(settings)

    assert written == ["dim_brands"]
    # Byte for byte the previous publication, and no temporary or WAL file left.
    assert file_digests(published) == before
    with duckdb.connect(str(published / "warehouse.duckdb"), read_only=True) as conn:
        assert conn.execute("select count(*) from marts.fct_sentiment_monthly").fetchone() == (6,)

    monkeypatch.setattr(publish, "write_mart_parquet", real_writer)
    materialize_publish(settings)
    with duckdb.connect() as conn:
        conn.execute(f"attach '{published / 'warehouse.duckdb'}' as snap (read_only)")
        assert conn.execute("select count(*) from snap.marts.fct_sentiment_monthly").fetchone() == (
            9,
        )
    assert sorted(p.name for p in published.rglob("*") if p.is_file()) == sorted(
        ["warehouse.duckdb", *(f"{m}.parquet" for m in MARTS)]
    )


def test_publish_cleans_leftovers_of_a_killed_publish_and_dropped_marts(settings: Settings) -> None:
    write_live_marts(settings, months=1)
    marts_dir = settings.published_path / "marts"
    staging = settings.published_path / publish.STAGING_DIR
    marts_dir.mkdir(parents=True)
    staging.mkdir()
    (staging / "publishing-0123456789ab-warehouse.duckdb").write_bytes(b"half")
    (staging / "publishing-0123456789ab-dim_brands.parquet").write_bytes(b"half")
    (marts_dir / "fct_dropped_monthly.parquet").write_bytes(b"old mart")

    materialize_publish(settings)

    assert sorted(p.name for p in settings.published_path.rglob("*") if p.is_file()) == sorted(
        ["warehouse.duckdb", *(f"{m}.parquet" for m in MARTS)]
    )


def test_a_reader_globbing_the_parquet_folder_never_sees_a_staged_file(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At every step of a publish, DuckDB's glob of ``marts/*.parquet`` (which, unlike
    Python's, matches hidden names) finds each mart once and nothing else."""
    write_live_marts(settings, months=2)
    materialize_publish(settings)
    pattern = str(settings.published_path / "marts" / "*.parquet")
    finished = sorted(f"{mart}.parquet" for mart in MARTS)
    real_writer = publish.write_mart_parquet
    globbed: list[list[str]] = []

    def write_then_glob(conn, catalog, mart, path):
        real_writer(conn, catalog, mart, path)
        with duckdb.connect() as reader:
            names = reader.execute("select file from glob(?)", [pattern]).fetchall()
        globbed.append(sorted(Path(name).name for (name,) in names))

    write_live_marts(settings, months=3)
    monkeypatch.setattr(publish, "write_mart_parquet", write_then_glob)
    materialize_publish(settings)

    assert globbed == [finished] * len(MARTS)
    with duckdb.connect() as reader:
        rows = reader.execute(
            "select count(*) from read_parquet(?)",
            [str(settings.published_path / "marts" / "fct_sentiment_monthly*.parquet")],
        ).fetchone()[0]
    assert rows == 9


def test_missing_mart_fails_naming_it_and_publishes_nothing(settings: Settings) -> None:
    write_live_marts(settings, months=1)
    keys = [*MART_KEYS, dg.AssetKey(["marts", "fct_nps_monthly"])]
    with pytest.raises(publish.PublishError, match=r"no table fct_nps_monthly \(build the dbt"):
        dg.materialize(
            [publish.build_publish_asset(keys)],
            resources={
                "warehouse": WarehouseResource(database=settings.duckdb_path),
                "settings": settings,
            },
        )
    assert not published_paths(settings)["snapshot"].exists()


def test_publish_asset_depends_on_every_mart() -> None:
    asset = publish.build_publish_asset(MART_KEYS)
    assert asset.key == dg.AssetKey(["published", "warehouse_snapshot"])
    assert set(asset.asset_deps[asset.key]) == set(MART_KEYS)
    assert "BI tools" in (asset.descriptions_by_key[asset.key] or "")
