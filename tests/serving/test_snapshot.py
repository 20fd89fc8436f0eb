"""The one reader of the published snapshot: read-only, always the current publication, and
never the live warehouse in its place."""

import duckdb
import pytest

from assets.serving.publish import publish_marts
from assets.serving.snapshot import SnapshotMissingError, open_snapshot
from orchestration import cli
from orchestration.summary import print_kpi_summary
from warehouse.settings import Settings

MARTS = ("dim_brands", "fct_nps_monthly")


def publish(settings: Settings) -> None:
    """Publish `MARTS` of the home's live warehouse."""
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        publish_marts(conn, settings.published_path, MARTS)


def test_the_snapshot_lists_and_reads_the_published_marts(home_settings: Settings) -> None:
    publish(home_settings)
    with duckdb.connect(home_settings.duckdb_path, read_only=True) as conn:
        live_rows = conn.execute("select count(*) from marts.fct_nps_monthly").fetchone()[0]
    with open_snapshot(home_settings) as snapshot:
        assert snapshot.marts() == sorted(MARTS)
        assert len(snapshot.read_mart("fct_nps_monthly")) == live_rows
        assert snapshot.rows("select count(*) from marts.dim_brands") == [(6,)]
        brands = snapshot.query(
            "select brand from marts.dim_brands where sector = $sector order by brand",
            {"sector": "banks"},
        )
        assert list(brands["brand"]) == ["bank_east", "bank_north", "bank_south"]
        assert snapshot.published_at() is not None
        with pytest.raises(KeyError):
            snapshot.read_mart("fct_sentiment_monthly")
        with pytest.raises(duckdb.Error):
            snapshot.rows("delete from marts.dim_brands")


def test_a_new_publication_is_read_while_the_old_one_is_still_open(
    home_settings: Settings,
) -> None:
    publish(home_settings)
    with open_snapshot(home_settings) as before:
        with duckdb.connect(home_settings.duckdb_path) as conn:
            conn.execute("delete from marts.dim_brands where sector = 'banks'")
        publish(home_settings)
        with open_snapshot(home_settings) as after:
            assert after.rows("select count(*) from marts.dim_brands") == [(3,)]
        # The reader that opened the previous publication keeps reading it, undisturbed.
        assert before.rows("select count(*) from marts.dim_brands") == [(6,)]


def test_without_a_publication_nothing_reads_the_live_warehouse(
    home_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = home_settings.published_path / "warehouse.duckdb"
    with (
        pytest.raises(SnapshotMissingError, match="run `webcare run` first"),
        open_snapshot(home_settings),
    ):
        pass

    assert cli.main(["report", "--month", "2011-02", "--home", home_settings.home]) == 2
    assert f"nothing to report on: {snapshot} does not exist" in capsys.readouterr().err

    print_kpi_summary(home_settings, "2011-02")
    printed = capsys.readouterr().out
    assert f"KPI summary 2011-02: no published snapshot, {snapshot} does not exist" in printed
    assert "net sent." not in printed
