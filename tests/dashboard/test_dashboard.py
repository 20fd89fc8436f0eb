"""`make dashboard` in real headless Chromium: the Streamlit server over the small demo's
published snapshot, driven with Playwright through Debian's chromium.

The page loads without a console error, the brand and month filters turn the tiles
into the marts' values of the chosen brand-month, the drill-down lists as many
messages as the mart holds, and a screenshot shows the page.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect, sync_playwright

from dashboard.kpis import KPIS

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "dashboard" / "app.py"
# Streamlit redraws after a filter changes; the first draw also reads the snapshot.
DRAW_TIMEOUT_MS = 60_000


def kpi(column: str):
    return next(kpi for kpi in KPIS if kpi.column == column)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dashboard_url(demo_home: Path, tmp_path: Path) -> Iterator[str]:
    """The dashboard served over `demo_home` as `make dashboard` serves it; stopped after."""
    port = free_port()
    log = tmp_path / "streamlit.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(APP),
                "--server.address=127.0.0.1",
                f"--server.port={port}",
                "--server.headless=true",
                "--browser.gatherUsageStats=false",
                "--client.toolbarMode=viewer",
            ],
            cwd=REPO,
            env={**os.environ, "WEBCARE_HOME": str(demo_home)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not serve {url} within 60 s:\n{log.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def snapshot_rows(home: Path, sql: str, parameters: list) -> list[tuple]:
    """Rows of `sql` read directly from the published snapshot of `home`."""
    with duckdb.connect(str(home / "published" / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute(sql, parameters).fetchall()


def choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label`, as a reader does: open, click."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def tile_value(page: Page, column: str):
    return page.locator(f'.st-key-tile-{column} [data-testid="stMetricValue"]')


def test_dashboard_in_headless_chromium(
    chromium: str, dashboard_url: str, demo_home: Path, tmp_path: Path
) -> None:
    brands = snapshot_rows(
        demo_home,
        "select brand, coalesce(display_name, brand), coalesce(sector, 'unassigned') "
        "from marts.dim_brands order by 3, 2, 1",
        [],
    )
    (last_month,) = snapshot_rows(
        demo_home, "select max(reporting_month) from marts.dim_months", []
    )[0]
    values = {
        (brand, month): (net_sentiment, response_rate, median_response_rate)
        for brand, month, net_sentiment, response_rate, median_response_rate in snapshot_rows(
            demo_home,
            "select s.brand, s.reporting_month, s.net_sentiment, r.response_rate, "
            "b.sector_median_response_rate from marts.fct_sentiment_monthly s "
            "join marts.fct_webcare_response_monthly r using (brand, reporting_month) "
            "join marts.fct_brand_benchmark_monthly b using (brand, reporting_month)",
            [],
        )
    }
    # The first view: the brand with the most mentions in the newest month (which the
    # demo's messages cover to its end).
    mentions = dict(
        snapshot_rows(
            demo_home,
            "select brand, mentions from marts.fct_sentiment_monthly where reporting_month = ?",
            [last_month],
        )
    )
    first_brand = min(mentions, key=lambda key: (-mentions[key], key))
    net_sentiment, response_rate = kpi("net_sentiment"), kpi("response_rate")

    # Another brand, in the month before, whose tiles read differently from the first view.
    month = date(last_month.year - (last_month.month == 1), (last_month.month - 2) % 12 + 1, 1)
    brand, name, sector = next(
        (b, n, s)
        for b, n, s in reversed(brands)
        if net_sentiment.format(values[b, month][0])
        != net_sentiment.format(values[first_brand, last_month][0])
        and response_rate.format(values[b, month][1])
        != response_rate.format(values[first_brand, last_month][1])
    )

    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2600})
            page.on(
                "console",
                lambda message: console.append(message.text) if message.type == "error" else None,
            )
            page.on("pageerror", lambda error: console.append(f"page error: {error}"))
            page.goto(dashboard_url)

            # The first view: the most mentioned brand in the newest month.
            expect(tile_value(page, "net_sentiment")).to_have_text(
                net_sentiment.format(values[first_brand, last_month][0]), timeout=DRAW_TIMEOUT_MS
            )
            assert page.locator('[data-testid="stMetric"]').count() == len(KPIS)

            choose(page, "Brand", f"{name} ({sector})")
            choose(page, "Month", f"{month:%Y-%m}")
            chosen_net, chosen_rate, chosen_median_rate = values[brand, month]
            expect(tile_value(page, "net_sentiment")).to_have_text(
                net_sentiment.format(chosen_net), timeout=DRAW_TIMEOUT_MS
            )
            expect(tile_value(page, "response_rate")).to_have_text(
                response_rate.format(chosen_rate), timeout=DRAW_TIMEOUT_MS
            )
            expect(page.locator(".st-key-tile-response_rate")).to_contain_text(
                f"Sector median {response_rate.format(chosen_median_rate)}"
            )

            # Drill-down: the unanswered messages of the chosen brand-month.
            (unanswered,) = snapshot_rows(
                demo_home,
                "select count(*) from marts.fct_inbound_messages "
                "where brand = ? and reporting_month = ? and not is_answered",
                [brand, month],
            )[0]
            assert unanswered > 0
            choose(page, "Show the inbound messages behind", "Unanswered")
            count = page.locator(".st-key-drill-down-count")
            expect(count).to_contain_text(
                f"{unanswered:,} inbound messages of {name} in {month:%Y-%m}: Unanswered",
                timeout=DRAW_TIMEOUT_MS,
            )
            # The table itself: a header row and one row per message.
            grid = page.locator('.st-key-drill-down-table table[role="grid"]')
            expect(grid).to_have_attribute("aria-rowcount", str(unanswered + 1))

            # A Python error would show in the page, not in the console.
            exceptions = page.locator('[data-testid="stException"]').all_inner_texts()
            screenshot = tmp_path / "dashboard.png"
            page.screenshot(path=screenshot, full_page=True)
        finally:
            browser.close()

    assert console == []
    assert not exceptions, exceptions
    pixels = np.asarray(Image.open(screenshot).convert("RGB"), dtype=float)
    assert pixels.shape == (2600, 1400, 3)
    # Not blank: tiles, charts and tables draw many colours.
    assert pixels.std() > 20
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200
