"""The monthly report: valid, self-contained HTML, one chart per section, the month's own data."""

import re
import shutil
import subprocess
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pytest
from PIL import Image

from assets.serving import build_serving_assets, published_paths
from assets.serving.report import read_report_data, render_report
from assets.serving.snapshot import open_snapshot
from orchestration import cli
from warehouse.partitions import monthly_partitions
from warehouse.resource import WarehouseResource
from warehouse.settings import Settings

SECTION_IDS = [
    "sentiment-trend",
    "sentiment-share",
    "sentiment-adjusted",
    "response",
    "complaints",
    "nps",
    "sentiment-nps",
    "sentiment-stock",
    "roi",
    "alerts",
]
VOID_ELEMENTS = {"meta", "br", "img", "hr", "input", "link", "col", "source", "wbr"}


class ReportParser(HTMLParser):
    """Checks that tags nest and close, and collects each section's parts and chart text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.sections: dict[str, dict] = {}
        self.current: dict | None = None
        self.external: list[str] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "xlink:href") and value and not value.startswith("#"):
                self.external.append(f"{tag} {name}={value}")
        if tag == "section":
            self.current = {
                "figures": 0,
                "svgs": 0,
                "h2": "",
                "captions": 0,
                "empty": "",
                "text": [],
            }
            self.sections[dict(attrs)["id"]] = self.current
        elif self.current is not None:
            if tag == "figure":
                self.current["figures"] += 1
            elif tag == "svg":
                self.current["svgs"] += 1
            elif tag == "figcaption":
                self.current["captions"] += 1
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "xlink:href") and value and not value.startswith("#"):
                self.external.append(f"{tag} {name}={value}")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()
        if tag == "section":
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.current is None:
            return
        if self.stack and self.stack[-1] == "h2":
            self.current["h2"] += data
        if self.stack and self.stack[-1] == "p":
            self.current["empty"] += data
        self.current["text"].append(data)


def parse(path: Path) -> ReportParser:
    parser = ReportParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def publish(settings: Settings, marts: tuple[str, ...], month: str) -> dg.ExecuteInProcessResult:
    """Materialise the serving assets (publish, then the month's report) as the monthly job does."""
    return dg.materialize(
        build_serving_assets(
            monthly_partitions(settings), [dg.AssetKey(["marts", m]) for m in marts]
        ),
        partition_key=month,
        resources={
            "warehouse": WarehouseResource(database=settings.duckdb_path),
            "settings": settings,
        },
    )


def month_rows(settings: Settings, sql: str, month: str | None = None) -> list[tuple]:
    """Rows of `sql` on the live marts; `?` is the first day of `month` when given."""
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        return conn.execute(sql, [f"{month}-01"] if month else []).fetchall()


@pytest.fixture(scope="module")
def published_report(
    tmp_path_factory: pytest.TempPathFactory, dbt_warehouse
) -> tuple[Settings, Path]:
    """A home where the serving assets ran for the report month: its settings and the report."""
    home = tmp_path_factory.mktemp("published") / "home"
    home.mkdir()
    settings = Settings.from_env(home)
    shutil.copyfile(dbt_warehouse.database, settings.duckdb_path)
    month = dbt_warehouse.report_month
    result = publish(settings, dbt_warehouse.marts, month)
    path = published_paths(settings)["report"] / f"{month}.html"
    materialization = result.asset_materializations_for_node("published__monthly_report")[0]
    assert materialization.metadata["path"].path == str(path)
    return settings, path


def test_report_has_one_chart_per_section_with_the_months_data(
    published_report: tuple[Settings, Path], dbt_warehouse
) -> None:
    home_settings, path = published_report
    month = dbt_warehouse.report_month
    page = path.read_text(encoding="utf-8")
    report = parse(path)
    assert report.doctype == "DOCTYPE html"
    assert report.errors == [] and report.stack == []
    assert report.external == [], "the report must not load anything from outside the file"
    assert "@import" not in page
    # Inline SVGs share the page's ids: they must be unique and every reference must resolve.
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    references = set(re.findall(r"url\(#([^)]+)\)", page)) | set(
        re.findall(r'href="#([^"]+)"', page)
    )
    assert references and references <= set(ids)
    assert list(report.sections) == SECTION_IDS
    for section_id, section in report.sections.items():
        assert section["h2"].strip(), section_id
        assert (section["figures"], section["svgs"], section["captions"]) == (1, 1, 1), section_id
    text = {sid: " ".join(s["text"]) for sid, s in report.sections.items()}

    # Each chart carries values that only this month has, read back from the marts.
    sentiment = month_rows(
        home_settings,
        "select b.display_name, s.net_sentiment, s.mentions from marts.fct_sentiment_monthly s "
        "join marts.dim_brands b using (brand) where s.reporting_month = ?",
        month,
    )
    assert len(sentiment) == 6
    for name, net, mentions in sentiment:
        assert f"{net:+.2f}" in text["sentiment-trend"], name
        assert f"n = {mentions:,}" in text["sentiment-share"], name
    assert "Feb 11" in text["sentiment-trend"]
    # The fixture's identity calibration leaves the shares as the model labelled them.
    adjusted = month_rows(
        home_settings,
        "select share_negative, share_negative_adjusted, share_negative_adjusted_lower_95, "
        "share_negative_adjusted_upper_95, share_positive_adjusted, calibrated_messages, "
        "mentions, sentiment_calibration from marts.fct_sentiment_monthly "
        "where reporting_month = ?",
        month,
    )
    assert len(adjusted) == 6
    for raw, negative, lower, upper, positive, calibrated, mentions, calibration in adjusted:
        assert negative == pytest.approx(raw) and lower < negative < upper
        assert calibrated == mentions and calibration == dbt_warehouse.calibration_id
        assert f"{negative:.0%} ({lower:.0%}–{upper:.0%})" in text["sentiment-adjusted"]
        assert f"{positive:.0%} (" in text["sentiment-adjusted"]
        assert f"n = {int(calibrated):,}" in text["sentiment-adjusted"]
    caption = text["sentiment-adjusted"]
    assert f"Calibration used: {dbt_warehouse.calibration_id}." in caption
    assert "labelled by hand" in caption and "sampling of this month's messages only" in caption
    assert "no calibration" not in caption.lower()
    for (sla,) in month_rows(
        home_settings,
        "select sla_attainment from marts.fct_webcare_response_monthly where reporting_month = ?",
        month,
    ):
        assert f"{sla:.0%} · answered" in text["response"]
    for traditional, online in month_rows(
        home_settings,
        "select traditional_complaints, online_complaints "
        "from marts.fct_complaint_channels_monthly where reporting_month = ?",
        month,
    ):
        assert f"{traditional:,} traditional · {online:,} online" in text["complaints"]
    for nps, margin, responses in month_rows(
        home_settings,
        "select nps, nps_margin_of_error_95, responses from marts.fct_nps_monthly "
        "where reporting_month = ?",
        month,
    ):
        assert f"{nps:+.0f} ± {margin:.0f} · n = {responses}" in text["nps"]
    (n, r, lower, upper) = month_rows(
        home_settings,
        "select n_brand_months, pearson_r, pearson_r_ci_lower_95, pearson_r_ci_upper_95 "
        "from marts.fct_sentiment_nps_correlation where scope_type = 'all' and lag_months = 0",
    )[0]
    assert (
        f"same month: r = {r:+.2f}, n = {n}, 95% CI {lower:+.2f} to {upper:+.2f}"
        in (text["sentiment-nps"])
    )
    for name, monthly_return in month_rows(
        home_settings,
        "select b.display_name, s.monthly_return from marts.fct_sentiment_stock_monthly s "
        "join marts.dim_brands b using (brand) where s.reporting_month = ? and s.is_listed",
        month,
    ):
        assert f"{name} ({monthly_return:+.1%})" in text["sentiment-stock"]
    for roi, contacted in month_rows(
        home_settings,
        "select roi_proxy, contacted_rate from marts.fct_webcare_roi_monthly "
        "where reporting_month = ? and negative_posters > 0",
        month,
    ):
        assert f"{roi:.0%} · contacted {contacted:.0%}" in text["roi"]
    assert "customer annual value 250" in text["roi"] and "cost per reply 4" in text["roi"]
    spikes = month_rows(
        home_settings,
        "select reporting_date, negative_mentions from marts.fct_negative_spike_alerts "
        "where reporting_month = ? and is_alert and brand = 'tel_two'",
        month,
    )
    assert [day for day, _ in spikes] == [dbt_warehouse.spike_day]
    assert f"\n{spikes[0][1]}\n" in "\n".join(report.sections["alerts"]["text"])
    (repeat,) = month_rows(
        home_settings,
        "select repeat_complainers from marts.fct_repeat_complainers_monthly "
        "where reporting_month = ? and brand = 'bank_south'",
        month,
    )[0]
    assert repeat >= 1
    assert f"{repeat} · " in text["alerts"]


def test_sections_without_data_say_so(home_settings: Settings, dbt_warehouse) -> None:
    publish(home_settings, dbt_warehouse.marts, dbt_warehouse.first_month)

    # The first month has no previous month-end close, so no return to compare with.
    first = parse(published_paths(home_settings)["report"] / f"{dbt_warehouse.first_month}.html")
    stock = first.sections["sentiment-stock"]
    assert (stock["figures"], stock["svgs"]) == (0, 0)
    assert "No listed brand has share prices" in stock["empty"]
    assert first.sections["nps"]["svgs"] == 1
    # Its scores come from a model without a calibration: raw shares, no adjusted ones.
    assert first.sections["sentiment-share"]["svgs"] == 1
    adjusted = first.sections["sentiment-adjusted"]
    assert (adjusted["figures"], adjusted["svgs"]) == (0, 0)
    assert adjusted["empty"].startswith("No calibration of the sentiment model applies")
    assert "January 2010" in adjusted["empty"]
    assert "webcare calibrate-sentiment FILE" in adjusted["empty"]

    # A month before any data: every section explains itself instead of failing
    # (`write_report` refuses such a month; the page itself must still hold up).
    with open_snapshot(home_settings) as snapshot:
        page = render_report(read_report_data(snapshot, date(2009, 6, 1)))
    empty_path = home_settings.home_path / "empty.html"
    empty_path.write_text(page, encoding="utf-8")
    empty = parse(empty_path)
    assert list(empty.sections) == SECTION_IDS
    for section_id, section in empty.sections.items():
        assert section["svgs"] == 0, section_id
        assert section["empty"].startswith("No "), section_id
        assert "2009" in section["empty"], section_id


def test_adjusted_shares_of_brands_without_a_calibration_are_left_out(
    published_report: tuple[Settings, Path], dbt_warehouse
) -> None:
    """A brand whose scores no calibration covers shows its raw shares only, and says so."""
    from assets.serving.report.sections import section_sentiment_adjusted

    settings, _ = published_report
    with open_snapshot(settings) as snapshot:
        data = read_report_data(snapshot, date.fromisoformat(f"{dbt_warehouse.report_month}-01"))
    sentiment = data.frame("sentiment").copy()
    adjusted = [c for c in sentiment.columns if "adjusted" in c or c == "calibrated_messages"]
    sentiment.loc[sentiment["brand"] == dbt_warehouse.repeat_brand, adjusted] = np.nan
    sentiment.loc[sentiment["brand"] == dbt_warehouse.repeat_brand, "sentiment_calibration"] = None
    data.frames["sentiment"] = sentiment

    section = section_sentiment_adjusted(data)
    assert section.svg is not None and section.empty is None
    assert "No calibration applies to Zuiderbank: raw share only." in section.caption
    assert f"Calibration used: {dbt_warehouse.calibration_id}." in section.caption
    assert section.svg.count(">no calibration<") == 3

    # No brand calibrated: one sentence saying how to get a calibration, no chart.
    sentiment["share_negative_adjusted"] = np.nan
    section = section_sentiment_adjusted(data)
    assert section.svg is None
    assert section.empty is not None and "webcare calibrate-sentiment FILE" in section.empty


def test_report_reads_the_publication_not_the_live_warehouse(
    home_settings: Settings, dbt_warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    month = dbt_warehouse.report_month
    publish(home_settings, dbt_warehouse.marts, month)
    with duckdb.connect(home_settings.duckdb_path) as conn:
        conn.execute("update marts.fct_nps_monthly set responses = 99999")

    assert cli.main(["report", "--month", month, "--home", home_settings.home]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == published_paths(home_settings)["report"] / f"{month}.html"
    text = " ".join(parse(path).sections["nps"]["text"])
    assert "n = 40" in text and "99,999" not in text


def test_report_command_rejects_a_bad_month(
    home_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", "--month", "2011-13", "--home", home_settings.home]) == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_report_command_refuses_a_month_without_data(
    home_settings: Settings, dbt_warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(home_settings, dbt_warehouse.marts, dbt_warehouse.report_month)
    capsys.readouterr()
    assert cli.main(["report", "--month", "2009-06", "--home", home_settings.home]) == 2
    error = capsys.readouterr().err
    assert "no mentions, complaints or NPS answers in 2009-06" in error
    assert f"the marts hold data for {dbt_warehouse.first_month}.." in error
    assert not (published_paths(home_settings)["report"] / "2009-06.html").exists()


def test_report_command_says_when_there_is_nothing_to_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", "--month", "2011-02", "--home", str(tmp_path / "empty")]) == 2
    assert "run `webcare run` first" in capsys.readouterr().err


def test_report_renders_in_headless_chromium(
    chromium: str, published_report: tuple[Settings, Path], tmp_path: Path
) -> None:
    _, report = published_report
    screenshot = tmp_path / "report.png"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            f"--screenshot={screenshot}",
            "--window-size=1280,2000",
            report.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    pixels = np.asarray(Image.open(screenshot).convert("RGB"), dtype=float)
    assert pixels.shape == (2000, 1280, 3)
    # Not blank: real variation, many colours, and the header's dark blue band on top.
    assert pixels.std() > 20
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200
    assert pixels[:60, :, 2].mean() > pixels[:60, :, 0].mean() + 40


def test_a_correlation_without_an_interval_says_why() -> None:
    """Over two brand-months r is +-1 by arithmetic alone: the caption says there are too
    few for a 95% interval, as it does for |r| = 1, where Fisher's z is infinite."""
    import pandas as pd

    from assets.serving.report.sections import _correlation_text

    frame = pd.DataFrame(
        {
            "scope_type": ["all", "all", "sector"],
            "lag_months": [1, 0, 0],
            "n_brand_months": [7, 2, 40],
            "pearson_r": [-1.0, 1.0, 0.2],
            "pearson_r_ci_lower_95": [None, None, -0.1],
            "pearson_r_ci_upper_95": [None, None, 0.48],
        }
    )
    assert _correlation_text(frame, "net sentiment with NPS") == (
        "Pearson correlation of net sentiment with NPS over all brands (low-volume months "
        "excluded) — same month: r = +1.00, n = 2, too few for a 95% CI; sentiment 1 month "
        "earlier: r = -1.00, n = 7, no 95% CI at |r| = 1."
    )
    # No r: a home without NPS answers, and brand-months whose NPS never moves.
    frame["pearson_r"] = None
    frame["n_brand_months"] = [7, 0, 40]
    assert _correlation_text(frame, "net sentiment with NPS") == (
        "Pearson correlation of net sentiment with NPS over all brands (low-volume months "
        "excluded) — same month: too few brand-months (0); sentiment 1 month earlier: no r "
        "over 7 brand-months: one of the two measures does not vary."
    )


def test_chart_labels_from_the_data_are_text_not_mathtext() -> None:
    """A brand named with dollar signs (mathtext syntax) is drawn as written."""
    from assets.serving.report.charts import render_svg

    names = ["Bank $A$", "Cash$ $\\frac{1}{0", "50$ Mobile"]

    def draw(figure) -> None:
        axes = figure.subplots()
        axes.barh(names, [1, 2, 3])
        axes.set_title("Net sentiment of $brands$")

    svg = render_svg("mathtext", (4, 2), draw)
    for name in [*names, "Net sentiment of $brands$"]:
        assert name in svg


def test_reports_of_months_without_data_are_removed(home_settings: Settings, dbt_warehouse):
    from assets.serving.report import remove_stale_reports

    publish(home_settings, dbt_warehouse.marts, dbt_warehouse.report_month)
    folder = published_paths(home_settings)["report"]
    kept = folder / f"{dbt_warehouse.report_month}.html"
    assert kept.exists()
    stale = folder / "2009-06.html"
    stale.write_text("<html>figures of a month whose files were removed</html>")
    unrelated = folder / "notes.html"
    unrelated.write_text("not a monthly report")

    assert remove_stale_reports(home_settings) == [stale]
    assert kept.exists() and unrelated.exists() and not stale.exists()
