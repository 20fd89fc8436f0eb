"""The dashboard script (dashboard/app.py) run by Streamlit's own test runner, without a
browser: what the page says before anything is published or for an old snapshot, and
that a republished snapshot shows at once despite the cache."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from warehouse.settings import Settings

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[AppTest, Path]]:
    """The dashboard over the empty home `tmp_path / "home"` (publish into it to fill it).

    Streamlit's caches live in the process: they are emptied before and after, so the
    page reads this home's settings and snapshot.
    """
    home = tmp_path / "home"
    monkeypatch.setenv("WEBCARE_HOME", str(home))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield AppTest.from_file(str(APP), default_timeout=60), home
    st.cache_resource.clear()
    st.cache_data.clear()


def test_before_a_publish_the_page_says_to_run_make_run(page: tuple[AppTest, Path]) -> None:
    app, home = page
    app.run()
    assert not app.exception
    snapshot = Settings.from_env(home).published_path / "warehouse.duckdb"
    assert [info.value for info in app.info] == [
        f"Nothing is published yet: {snapshot} does not exist. Run `make run` first "
        "(it builds the marts and publishes the snapshot this page reads)."
    ]
    assert not app.metric
    assert not home.exists(), "the page must not create the home it reads"


def test_a_snapshot_without_the_pages_marts_names_them(page: tuple[AppTest, Path]) -> None:
    app, home = page
    snapshot = home / "published" / "warehouse.duckdb"
    snapshot.parent.mkdir(parents=True)
    with duckdb.connect(str(snapshot)) as conn:
        conn.execute("create schema marts")
        conn.execute("create table marts.dim_brands (brand varchar)")
        conn.execute("create table marts.dim_months (reporting_month date)")
    app.run()
    assert not app.exception
    assert [error.value for error in app.error] == [
        f"The published snapshot {snapshot} lacks the marts fct_sentiment_monthly, "
        "fct_brand_benchmark_monthly, fct_webcare_response_monthly, fct_negative_spike_alerts, "
        "fct_inbound_messages: run `make run` to publish them."
    ]


def test_a_republished_snapshot_shows_on_the_next_run(
    page: tuple[AppTest, Path], demo_home: Path, tmp_path: Path
) -> None:
    app, home = page
    snapshot = home / "published" / "warehouse.duckdb"
    snapshot.parent.mkdir(parents=True)
    shutil.copyfile(demo_home / "published" / "warehouse.duckdb", snapshot)
    app.run()
    assert not app.exception
    brand, month = app.selectbox(key="brand").value, app.selectbox(key="month").value
    with duckdb.connect(str(snapshot), read_only=True) as conn:
        (mentions,) = conn.execute(
            "select mentions from marts.fct_sentiment_monthly "
            "where brand = ? and reporting_month = ?",
            [brand, month],
        ).fetchone()
    assert metrics(app)["Mentions"] == f"{mentions:,}"

    # Publish as the pipeline does: a new file renamed over the old one.
    staged = tmp_path / "staged.duckdb"
    shutil.copyfile(snapshot, staged)
    with duckdb.connect(str(staged)) as conn:
        conn.execute(
            "update marts.fct_sentiment_monthly set mentions = 123456 "
            "where brand = ? and reporting_month = ?",
            [brand, month],
        )
    os.replace(staged, snapshot)
    app.run()
    assert metrics(app)["Mentions"] == "123,456"


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}
