"""The monthly research report: one self-contained HTML page per month for webcare managers.

``<published_dir>/report/<YYYY-MM>.html`` holds every chart as inline SVG and
its CSS inline, so it opens from a file share or an e-mail attachment with no
network. It reads the published snapshot read-only (the live warehouse only
when nothing has been published yet), never writes the warehouse, and is
replaced atomically like the other published files.

Each section is a ``<section id=...>`` with a heading, one chart and a short
caption saying how to read it; a section whose mart has nothing for the month
says so instead of showing an empty chart.
"""

import argparse
import html
import io
import os
import re
import secrets
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
import duckdb

from assets.serving.publish import PUBLICATION_TABLE, PUBLISH_KEY, REPORT_DIR, snapshot_path
from warehouse.partitions import month_start
from warehouse.settings import Settings

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

REPORT_KEY = dg.AssetKey(["published", "monthly_report"])
MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_BRANDS = 30
MAX_LINES_PER_SECTOR = 8
MIN_CROSS_SECTION_BRANDS = 5

SOURCE_ALIAS = "src"

# Sentiment colours read as such in every chart; brands get stable colours.
NEGATIVE, NEUTRAL, POSITIVE = "#c0392b", "#b8bec6", "#2e8b57"
ACCENT = "#1f4e79"
BRAND_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
# The traditional complaint channels of fct_complaint_channels_monthly (`<channel>_complaints`).
TRADITIONAL_CHANNELS = ("phone", "email", "letter", "webform", "store", "other")
CHANNEL_COLOURS = {
    "phone": "#4e79a7",
    "email": "#59a14f",
    "letter": "#9c755f",
    "webform": "#edc948",
    "store": "#b07aa1",
    "other": "#bab0ac",
}
_RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e3e6ea",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "axes.edgecolor": "#9aa3ad",
    "xtick.color": "#4a5560",
    "ytick.color": "#4a5560",
    "legend.frameon": False,
    # Text stays text: crisp at any zoom, searchable, and far smaller than paths.
    "svg.fonttype": "none",
    # Labels come from the data (brand names, handles): a "$" must stay a dollar
    # sign, not start mathtext, which renders "$A$" as math or fails on "$x".
    "text.parse_math": False,
}


class ReportError(RuntimeError):
    """The report cannot be written (bad month, nothing to read)."""


@dataclass(frozen=True)
class Section:
    """One report section: a chart (inline SVG) with its caption, or the reason there is none."""

    id: str
    title: str
    caption: str
    svg: str | None = None
    empty: str | None = None
    extra_html: str = ""


@dataclass
class ReportData:
    """The marts' rows the report needs, read once from the source for one month."""

    month: date
    source: str
    published_at: datetime | None
    brands: "pd.DataFrame"
    frames: dict[str, "pd.DataFrame"]

    def frame(self, name: str) -> "pd.DataFrame":
        """The rows read for `name` (see `_QUERIES`)."""
        return self.frames[name]

    @property
    def label(self) -> str:
        """The month as managers say it, e.g. ``June 2011``."""
        return self.month.strftime("%B %Y")


def report_path(published_dir: str | Path, month: str) -> Path:
    """``<published_dir>/report/<YYYY-MM>.html``."""
    return Path(published_dir) / REPORT_DIR / f"{month}.html"


def write_report(settings: Settings, month: str) -> Path:
    """Write the report for `month` (``YYYY-MM``) and return its path.

    Reads ``published/warehouse.duckdb`` read-only, or the live warehouse when
    nothing has been published yet. A month without mentions, complaints or NPS
    answers raises `ReportError` instead of writing a page of "No data". The
    file is written under a temporary name and renamed, so a reader never opens
    half a report.
    """
    if not MONTH_PATTERN.match(month):
        raise ReportError(f"month must look like 2011-06 (YYYY-MM), got {month!r}")
    with _open_source(settings) as (conn, source):
        _require_data(conn, month)
        data = read_report_data(conn, month_start(month), source)
    page = render_report(data)
    target = report_path(settings.published_dir, month)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A report writer killed mid-write leaves its hidden temporary file behind.
    for leftover in target.parent.glob(f".writing-*-{target.name}"):
        leftover.unlink(missing_ok=True)
    tmp = target.with_name(f".writing-{secrets.token_hex(6)}-{target.name}")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(page)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def remove_stale_reports(settings: Settings) -> list[Path]:
    """Delete the reports of months the published marts no longer hold data for; return them.

    A report must not outlive its data: when a month's landing files are removed
    (or replaced by files of other months), the month drops out of the marts and
    its old report would still show the figures.
    """
    folder = settings.published_path / REPORT_DIR
    reports = sorted(folder.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9].html"))
    if not reports:
        return []
    with _open_source(settings) as (conn, _source):
        available = set(months_with_data(conn))
    stale = [path for path in reports if path.stem not in available]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def build_report_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The monthly partitioned `published/monthly_report` asset, downstream of the publication."""

    @dg.asset(
        key=REPORT_KEY,
        deps=[PUBLISH_KEY],
        partitions_def=partitions_def,
        # A backfill writes every month's report in one run, like the raw and score assets.
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="published",
        kinds={"html"},
    )
    def monthly_report(
        context: dg.AssetExecutionContext, settings: Settings
    ) -> dg.MaterializeResult:
        """The month at a glance for webcare managers: ``published/report/<YYYY-MM>.html``.

        Per sector and brand: net sentiment and share of voice against competitors,
        sentiment shares, first response and SLA attainment against each account's
        promise, complaints by channel, NPS with its margin of error, sentiment vs NPS
        and vs share price, ROI proxies with their assumptions, spike alerts and
        repeat complainers. Self-contained (inline SVG and CSS): opens offline.
        Read from the published snapshot, so it shows exactly what BI tools see.
        """
        for stale in remove_stale_reports(settings):
            context.log.warning(
                f"removed the report {stale.name}: the published marts hold no data for its "
                "month any more (its landing files were removed or changed)"
            )
        paths = []
        for month in context.partition_keys:
            try:
                paths.append(write_report(settings, month))
            except ReportError as error:
                raise dg.Failure(description=f"report {month}: {error}") from error
            context.log.info(f"report for {month} written to {paths[-1]}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(paths[-1])),
                "reports": len(paths),
                "bytes": sum(path.stat().st_size for path in paths),
            }
        )

    return monthly_report


def main(argv: Sequence[str] | None = None) -> int:
    """``webcare report --month YYYY-MM [--home DIR]``: write one monthly report, print its path."""
    parser = argparse.ArgumentParser(
        prog="webcare report",
        description="Write the monthly HTML report from the published marts.",
    )
    parser.add_argument("--month", required=True, help="report month, YYYY-MM")
    parser.add_argument("--home", help="data home (default $WEBCARE_HOME or ./data)")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    settings = Settings.from_env(args.home)
    try:
        path = write_report(settings, args.month)
    except ReportError as error:
        print(f"webcare report: {error}", file=sys.stderr)
        return 2
    print(path)
    return 0


# --------------------------------------------------------------------------- reading


@contextmanager
def _open_source(settings: Settings) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """Attach the snapshot (else the live warehouse) read-only to a private in-memory database.

    A fresh in-memory database per report, rather than `duckdb.connect(path)`,
    because DuckDB reuses an already open instance for the same path within a
    process, which would show a publication that has since been replaced.
    """
    snapshot = snapshot_path(settings.published_dir)
    if snapshot.exists():
        path, source = snapshot, f"published snapshot {snapshot}"
    elif Path(settings.duckdb_path).exists():
        path, source = Path(settings.duckdb_path), f"live warehouse {settings.duckdb_path}"
    else:
        raise ReportError(
            f"nothing to report on: neither {snapshot} nor {settings.duckdb_path} exists "
            "(run `webcare run` first)"
        )
    conn = duckdb.connect()
    try:
        conn.execute("set TimeZone = 'UTC'")
        escaped = str(path).replace("'", "''")
        conn.execute(f"attach '{escaped}' as {SOURCE_ALIAS} (read_only)")
        conn.execute(f"use {SOURCE_ALIAS}")
        yield conn, source
    finally:
        conn.close()


# Months a report can be about: the customer's voice (mentions, complaints, NPS
# answers) was heard. Share prices alone do not make a report.
_MONTHS_WITH_DATA = """
    select reporting_month from marts.fct_sentiment_monthly where mentions > 0
    union
    select reporting_month from marts.fct_complaint_channels_monthly
    where traditional_complaints > 0
    union
    select reporting_month from marts.fct_nps_monthly where responses > 0
    order by reporting_month
"""


def months_with_data(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """``YYYY-MM`` of every month with mentions, complaints or NPS answers in the marts."""
    return [month.strftime("%Y-%m") for (month,) in conn.execute(_MONTHS_WITH_DATA).fetchall()]


def _require_data(conn: duckdb.DuckDBPyConnection, month: str) -> None:
    available = months_with_data(conn)
    if month in available:
        return
    held = f"{available[0]}..{available[-1]}" if available else "no month at all"
    raise ReportError(
        f"no mentions, complaints or NPS answers in {month}: nothing to report "
        f"(the marts hold data for {held})"
    )


# Queries filter on the report month (first day) through the parameter `$month`.
_QUERIES: dict[str, str] = {
    "sentiment": """
        select brand, reporting_month as month, mentions, positive, neutral, negative,
            share_positive, share_neutral, share_negative, net_sentiment, share_of_voice,
            is_low_volume
        from marts.fct_sentiment_monthly
        where reporting_month between $month - interval 11 month and $month
    """,
    "response": """
        select brand, inbound_messages, answered_messages, response_rate,
            median_first_response_minutes, p90_first_response_minutes, sla_attainment
        from marts.fct_webcare_response_monthly
        where reporting_month = $month
    """,
    "first_responses": """
        select brand, account_handle, first_response_minutes, promised_response_minutes,
            is_promise_in_business_minutes
        from marts.fct_inbound_messages
        where reporting_month = $month
    """,
    "complaints": f"""
        select brand, traditional_complaints,
            {", ".join(f"{channel}_complaints" for channel in TRADITIONAL_CHANNELS)},
            online_complaints, complaint_to_online_ratio, channel_escalation_rate
        from marts.fct_complaint_channels_monthly
        where reporting_month = $month
    """,
    "nps": """
        select brand, responses, nps, nps_margin_of_error_95, is_low_sample
        from marts.fct_nps_monthly
        where reporting_month = $month
    """,
    # Only the brand-months the correlation mart uses, so the chart shows what r measures.
    "sentiment_nps": """
        select brand, reporting_month as month, net_sentiment, nps
        from marts.fct_sentiment_nps_monthly
        where reporting_month <= $month and not is_low_volume and not is_low_sample
            and net_sentiment is not null and nps is not null
    """,
    "sentiment_nps_correlation": """
        select scope_type, scope, lag_months, n_brand_months, pearson_r,
            pearson_r_ci_lower_95, pearson_r_ci_upper_95
        from marts.fct_sentiment_nps_correlation
    """,
    "sentiment_stock": """
        select brand, reporting_month as month, net_sentiment, monthly_return
        from marts.fct_sentiment_stock_monthly
        where reporting_month <= $month and is_listed and not is_low_volume
            and net_sentiment is not null and monthly_return is not null
    """,
    "sentiment_stock_correlation": """
        select scope_type, scope, lag_months, n_brand_months, pearson_r,
            pearson_r_ci_lower_95, pearson_r_ci_upper_95
        from marts.fct_sentiment_stock_correlation
        where correlation_kind = 'time_series' and sentiment_measure = 'net_sentiment'
            and outcome_measure = 'monthly_return'
    """,
    "market_cap_correlation": """
        select n_brand_months, pearson_r
        from marts.fct_sentiment_stock_correlation
        where correlation_kind = 'cross_section' and outcome_measure = 'market_cap'
            and sentiment_measure = 'net_sentiment' and scope_type = 'all'
            and reporting_month = $month
    """,
    "roi": """
        select * from marts.fct_webcare_roi_monthly where reporting_month = $month
    """,
    "alerts": """
        select brand, reporting_date as alert_date, negative_mentions, alert_threshold
        from marts.fct_negative_spike_alerts
        where reporting_month = $month and is_alert
    """,
    "repeat": """
        select brand, negative_mentions, repeat_complainers, share_of_negative_volume
        from marts.fct_repeat_complainers_monthly
        where reporting_month = $month
    """,
    "benchmark": """
        select * from marts.fct_brand_benchmark_monthly where reporting_month = $month
    """,
}


def read_report_data(conn: duckdb.DuckDBPyConnection, month: date, source: str) -> ReportData:
    """Read every mart row the report for `month` needs through `conn` (a read-only source)."""
    brands = conn.execute(
        "select brand, coalesce(display_name, brand) as display_name, "
        "coalesce(sector, 'unassigned') as sector from marts.dim_brands order by sector, brand"
    ).df()
    frames = {
        name: conn.execute(sql, {"month": month} if "$month" in sql else None).df()
        for name, sql in _QUERIES.items()
    }
    published_at = None
    has_publication = conn.execute(
        "select count(*) from information_schema.tables where table_catalog = ? "
        "and table_schema = 'main' and table_name = ?",
        [SOURCE_ALIAS, PUBLICATION_TABLE],
    ).fetchone()[0]
    if has_publication:
        published_at = conn.execute(
            f"select max(published_at) from {PUBLICATION_TABLE}"
        ).fetchone()[0]
    return ReportData(month, source, published_at, brands, frames)


# --------------------------------------------------------------------------- formatting


def _pct(value: Any, digits: int = 0) -> str:
    return "–" if _missing(value) else f"{value:.{digits}%}"


def _signed(value: Any, digits: int = 2) -> str:
    return "–" if _missing(value) else f"{value:+.{digits}f}"


def _minutes(value: Any) -> str:
    if _missing(value):
        return "–"
    if value < 90:
        return f"{value:.0f} min"
    if value < 48 * 60:
        return f"{value / 60:.1f} h"
    return f"{value / 1440:.1f} d"


def _points(value: Any) -> str:
    """A difference of two shares in percentage points, e.g. ``+12 pts``."""
    return "–" if _missing(value) else f"{value * 100:+.0f} pts"


def _count(value: Any) -> str:
    return "–" if _missing(value) else f"{int(value):,}"


def _missing(value: Any) -> bool:
    """None, NaN, NaT or pandas' NA: what a nullable mart column holds when it has no value."""
    import pandas as pd

    return value is None or bool(pd.api.types.is_scalar(value) and pd.isna(value))


# --------------------------------------------------------------------------- charts


def _render_svg(
    section_id: str, size: tuple[float, float], draw: Callable[["Figure"], None]
) -> str:
    """Draw a chart with `draw`; return it as an inline ``<svg>`` that scales to the page width."""
    import matplotlib
    from matplotlib.figure import Figure

    # A fixed salt makes the SVG ids, and so the page, reproducible.
    with matplotlib.rc_context({**_RC, "svg.hashsalt": section_id}):
        figure = Figure(figsize=size, layout="constrained")
        draw(figure)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    # Prefix every id (and every reference to one) with the section id, so the
    # page's ids stay unique and each chart's clip paths point into itself.
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{section_id}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{section_id}-\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{section_id}-\1"', svg)
    return re.sub(
        r'<svg([^>]*?) width="[^"]+" height="[^"]+"',
        rf'<svg\1 class="chart" role="img" aria-labelledby="{section_id}-title"',
        svg,
        count=1,
    )


def _colours(brands: Sequence[str]) -> dict[str, str]:
    return {brand: BRAND_COLOURS[i % len(BRAND_COLOURS)] for i, brand in enumerate(brands)}


def _spread(values: Sequence[float], gap: float, low: float, high: float) -> list[float]:
    """Label positions near `values`, at least `gap` apart, in their order, within low..high."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    placed = [min(max(values[i], low), high) for i in order]
    for k in range(1, len(placed)):
        placed[k] = max(placed[k], placed[k - 1] + gap)
    # Pushed past the top: slide the stack back down, as far as the bottom allows.
    overflow = placed[-1] - high if placed else 0.0
    if overflow > 0:
        placed[-1] = high
        for k in range(len(placed) - 2, -1, -1):
            placed[k] = min(placed[k], placed[k + 1] - gap)
    positions = [0.0] * len(values)
    for k, i in enumerate(order):
        positions[i] = placed[k]
    return positions


def _bar_labels(
    ax: "Axes", positions: Sequence[float], ends: Sequence[float], texts: Sequence[str]
):
    for y, x, text in zip(positions, ends, texts, strict=True):
        ax.annotate(
            text,
            xy=(x, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color="#27313b",
        )


def _empty_panel(ax: "Axes", text: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", color="#6b7682", transform=ax.transAxes)


# --------------------------------------------------------------------------- sections


def _with_brands(data: ReportData, frame: "pd.DataFrame") -> "pd.DataFrame":
    """`frame` with display name and sector, ordered by sector then brand."""
    own = [c for c in ("display_name", "sector") if c in frame.columns]
    merged = frame.drop(columns=own).merge(data.brands, on="brand", how="left")
    merged["display_name"] = merged["display_name"].fillna(merged["brand"])
    merged["sector"] = merged["sector"].fillna("unassigned")
    return merged.sort_values(["sector", "display_name"], kind="stable").reset_index(drop=True)


def _brand_label(row: Any) -> str:
    return f"{row.display_name} · {row.sector}"


def _bar_rows(frame: "pd.DataFrame", by: str) -> tuple["pd.DataFrame", str]:
    """At most `MAX_BRANDS` rows (the largest by `by`) in bar-chart order, with a note when some
    were left out.

    The rows come reversed because `barh` draws the first row at the bottom, and the chart should
    read top-down in sector and brand order.
    """
    note = ""
    if len(frame) > MAX_BRANDS:
        frame = frame.nlargest(MAX_BRANDS, by).sort_values(["sector", "display_name"])
        note = f" Showing the {MAX_BRANDS} brands with the most {by.replace('_', ' ')}."
    return frame.iloc[::-1].reset_index(drop=True), note


def section_sentiment_trend(data: ReportData) -> Section:
    """Net sentiment and share of voice over twelve months, one row of panels per sector."""
    import matplotlib.dates as mdates
    import pandas as pd

    title = "Net sentiment and share of voice against competitors"
    frame = _with_brands(data, data.frame("sentiment"))
    frame["month"] = pd.to_datetime(frame["month"])
    current = frame[frame["month"] == pd.Timestamp(data.month)]
    if current.empty:
        return Section("sentiment-trend", title, "", empty=f"No inbound mentions in {data.label}.")
    sectors = sorted(current["sector"].unique())
    colours = _colours(list(data.brands["brand"]))
    leaders = []
    for sector in sectors:
        scored = current[(current["sector"] == sector) & current["net_sentiment"].notna()]
        if not scored.empty:
            best = scored.loc[scored["net_sentiment"].idxmax()]
            leaders.append(f"{sector}: {best.display_name} ({_signed(best.net_sentiment)})")

    label_x = pd.Timestamp(data.month) + pd.Timedelta(days=9)
    # Every other month, counted back from the report month so that it is labelled.
    ticks = [pd.Timestamp(data.month) - pd.DateOffset(months=k) for k in range(10, -1, -2)]

    def draw(figure: "Figure") -> None:
        from matplotlib.lines import Line2D

        axes = figure.subplots(len(sectors), 2, sharex=True, squeeze=False)
        for row, sector in enumerate(sectors):
            in_sector = current[current["sector"] == sector].nlargest(
                MAX_LINES_PER_SECTOR, "mentions"
            )
            shown = frame[frame["brand"].isin(in_sector["brand"])]
            for column, (metric, name) in enumerate(
                (("net_sentiment", "net sentiment"), ("share_of_voice", "share of voice"))
            ):
                ax = axes[row][column]
                ends: list[tuple[float, str, str]] = []
                for brand, series in shown.groupby("brand", sort=False):
                    series = series.sort_values("month")
                    colour = colours.get(brand, ACCENT)
                    ax.plot(series["month"], series[metric], color=colour, lw=1.8, marker="o", ms=3)
                    low = series[series["is_low_volume"].fillna(False).astype(bool)]
                    ax.scatter(
                        low["month"],
                        low[metric],
                        s=22,
                        facecolor="white",
                        edgecolor=colour,
                        zorder=3,
                    )
                    last = series[series["month"] == pd.Timestamp(data.month)]
                    if not last.empty and not _missing(last[metric].iloc[0]):
                        value = float(last[metric].iloc[0])
                        text = _signed(value) if metric == "net_sentiment" else _pct(value)
                        ends.append((value, text, colour))
                if metric == "net_sentiment":
                    ax.axhline(0, color="#9aa3ad", lw=0.8)
                    values = shown[metric].dropna()
                    low = min(float(values.min()) - 0.1, -0.1) if len(values) else -1.0
                    high = max(float(values.max()) + 0.1, 0.1) if len(values) else 1.0
                    ax.set_ylim(max(low, -1.02), min(high, 1.02))
                else:
                    ax.yaxis.set_major_formatter(_percent_formatter())
                    ax.set_ylim(0, max(0.05, float(shown[metric].max() or 0) * 1.15))
                low_y, high_y = ax.get_ylim()
                positions = _spread([e[0] for e in ends], (high_y - low_y) * 0.075, low_y, high_y)
                for (_, text, colour), y in zip(ends, positions, strict=True):
                    ax.text(label_x, y, text, va="center", fontsize=8, color=colour)
                ax.axvline(pd.Timestamp(data.month), color=ACCENT, lw=0.8, ls=":")
                ax.set_title(f"{sector} · {name}", loc="left")
                ax.set_xticks(ticks)
                ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %y"))
                ax.margins(x=0.02)
                ax.set_xlim(right=pd.Timestamp(data.month) + pd.Timedelta(days=55))
            handles = [
                Line2D([], [], color=colours.get(b, ACCENT), lw=2, label=n)
                for b, n in zip(in_sector["brand"], in_sector["display_name"], strict=True)
            ]
            axes[row][1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))

    svg = _render_svg("sentiment-trend", (11, 2.6 * len(sectors) + 0.4), draw)
    caption = (
        f"Twelve months to {data.label}, one row per sector (its competitor panel). "
        "Net sentiment = (positive − negative) / (positive + negative) inbound mentions, "
        "−1 to +1; share of voice = the brand's share of all mentions in its sector. "
        "Hollow points: too few mentions for a reliable KPI. "
        f"Best net sentiment this month — {'; '.join(leaders) or 'none scored'}."
    )
    return Section("sentiment-trend", title, caption, svg=svg)


def _percent_formatter():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1, decimals=0)


def section_sentiment_share(data: ReportData) -> Section:
    """Share of positive, neutral and negative inbound mentions per brand in the month."""
    import pandas as pd

    title = "Sentiment share per brand"
    frame = _with_brands(data, data.frame("sentiment"))
    frame = frame[pd.to_datetime(frame["month"]) == pd.Timestamp(data.month)]
    frame = frame[frame["mentions"] > 0]
    if frame.empty:
        return Section("sentiment-share", title, "", empty=f"No inbound mentions in {data.label}.")
    frame, note = _bar_rows(frame, "mentions")

    def draw(figure: "Figure") -> None:
        ax = figure.subplots()
        y = range(len(frame))
        left = [0.0] * len(frame)
        for column, colour, name in (
            ("share_negative", NEGATIVE, "negative"),
            ("share_neutral", NEUTRAL, "neutral"),
            ("share_positive", POSITIVE, "positive"),
        ):
            values = frame[column].fillna(0).tolist()
            ax.barh(list(y), values, left=left, color=colour, label=name, height=0.7)
            for i, value in enumerate(values):
                if value >= 0.07:
                    ax.text(
                        left[i] + value / 2,
                        i,
                        _pct(value),
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if name != "neutral" else "#27313b",
                    )
            left = [a + b for a, b in zip(left, values, strict=True)]
        _bar_labels(
            ax, list(y), [1.0] * len(frame), [f"n = {_count(m)}" for m in frame["mentions"]]
        )
        ax.set_yticks(list(y), [_brand_label(r) for r in frame.itertuples()])
        ax.set_xlim(0, 1.16)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.xaxis.set_major_formatter(_percent_formatter())
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower center", bbox_to_anchor=(0.45, 1.0), ncols=3)

    svg = _render_svg("sentiment-share", (11, 0.36 * len(frame) + 1.1), draw)
    caption = (
        f"Inbound mentions of {data.label} by scored sentiment; n = mentions in the month.{note}"
    )
    return Section("sentiment-share", title, caption, svg=svg)


def section_response(data: ReportData) -> Section:
    """First-response distribution and SLA attainment against each account's promise."""
    title = "First response and SLA attainment"
    response = _with_brands(data, data.frame("response"))
    response = response[response["inbound_messages"] > 0]
    if response.empty:
        return Section(
            "response", title, "", empty=f"No inbound messages addressed a brand in {data.label}."
        )
    response, note = _bar_rows(response, "inbound_messages")
    messages = data.frame("first_responses")
    answered_minutes = messages.dropna(subset=["first_response_minutes"])
    samples = [
        answered_minutes.loc[answered_minutes["brand"] == brand, "first_response_minutes"]
        .clip(lower=0.5)
        .tolist()
        for brand in response["brand"]
    ]
    # Every account's promise, so a brand with several accounts shows each one.
    promises = (
        messages.dropna(subset=["promised_response_minutes"])
        .drop_duplicates(["brand", "account_handle", "promised_response_minutes"])
        .loc[:, ["brand", "promised_response_minutes"]]
    )
    row_of = {brand: i for i, brand in enumerate(response["brand"])}
    promises = promises[promises["brand"].isin(row_of)]

    def draw(figure: "Figure") -> None:
        left, right = figure.subplots(1, 2, sharey=True, width_ratios=(3, 2))
        y = list(range(len(response)))
        answered = [i for i, s in enumerate(samples) if s]
        if answered:
            left.boxplot(
                [samples[i] for i in answered],
                positions=answered,
                orientation="horizontal",
                widths=0.6,
                whis=(10, 90),
                showfliers=False,
                patch_artist=True,
                boxprops={"facecolor": "#d6e4f0", "edgecolor": ACCENT},
                medianprops={"color": ACCENT, "linewidth": 2},
                whiskerprops={"color": ACCENT},
                capprops={"color": ACCENT},
            )
        left.scatter(
            promises["promised_response_minutes"].clip(lower=0.5),
            [row_of[b] for b in promises["brand"]],
            marker="D",
            color=NEGATIVE,
            s=28,
            zorder=4,
        )
        left.set_xscale("log")
        left.set_xticks(
            [1, 10, 60, 240, 1440, 4320], ["1 min", "10 min", "1 h", "4 h", "1 d", "3 d"]
        )
        left.set_xlim(0.5, 20000)
        _bar_labels(
            left,
            y,
            [20000 / 4.5] * len(y),
            [f"median {_minutes(m)}" for m in response["median_first_response_minutes"]],
        )
        left.set_yticks(y, [_brand_label(r) for r in response.itertuples()])
        left.set_title("time to first response (box 25–75%, whiskers 10–90%)", loc="left")
        left.text(
            1.0, 1.0, "◆ promise", color=NEGATIVE, ha="right", va="bottom", transform=left.transAxes
        )
        left.grid(axis="y", visible=False)

        sla = response["sla_attainment"].fillna(0)
        right.barh(
            y,
            sla,
            color=[POSITIVE if v >= 0.8 else "#e1a23a" if v >= 0.5 else NEGATIVE for v in sla],
            height=0.6,
        )
        _bar_labels(
            right,
            y,
            sla.tolist(),
            [
                f"{_pct(v)} · answered {_pct(r)}"
                for v, r in zip(response["sla_attainment"], response["response_rate"], strict=True)
            ],
        )
        right.set_xlim(0, 1.45)
        right.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        right.xaxis.set_major_formatter(_percent_formatter())
        right.set_title("answered within the promise", loc="left")
        right.grid(axis="y", visible=False)

    svg = _render_svg("response", (11, 0.42 * len(response) + 1.3), draw)
    caption = (
        f"Inbound messages addressed to a brand account in {data.label}. Left: calendar minutes "
        "to the first human brand reply (log scale), with the account's promised response time "
        "(red diamond). Right: SLA attainment = share answered within the promise (unanswered "
        "count as missed; business minutes for accounts with opening hours); "
        "'answered' = response rate within the response window."
        f"{note}"
    )
    return Section("response", title, caption, svg=svg)


def section_complaints(data: ReportData) -> Section:
    """Traditional complaints by channel next to online complaints, with their ratio."""
    title = "Complaints by channel"
    table = _with_brands(data, data.frame("complaints"))
    table = table[table["traditional_complaints"] + table["online_complaints"] > 0]
    if table.empty:
        return Section("complaints", title, "", empty=f"No complaints recorded in {data.label}.")
    table, note = _bar_rows(table, "traditional_complaints")

    def draw(figure: "Figure") -> None:
        ax = figure.subplots()
        y = [float(i) for i in range(len(table))]
        left = [0.0] * len(table)
        for channel in TRADITIONAL_CHANNELS:
            values = table[f"{channel}_complaints"].astype(float).tolist()
            if not any(values):
                continue
            ax.barh(
                [v + 0.17 for v in y],
                values,
                left=left,
                height=0.34,
                label=channel,
                color=CHANNEL_COLOURS[channel],
            )
            left = [a + b for a, b in zip(left, values, strict=True)]
        online = table["online_complaints"].astype(float)
        ax.barh([v - 0.17 for v in y], online, height=0.34, color=NEGATIVE, label="online")
        ends = [max(a, b) for a, b in zip(left, online, strict=True)]
        labels = []
        for row in table.itertuples():
            parts = [
                f"{_count(row.traditional_complaints)} traditional",
                f"{_count(row.online_complaints)} online",
            ]
            if not _missing(row.complaint_to_online_ratio):
                parts.append(f"ratio {row.complaint_to_online_ratio:.2f}")
            if not _missing(row.channel_escalation_rate):
                parts.append(f"{_pct(row.channel_escalation_rate)} escalate online")
            labels.append(" · ".join(parts))
        _bar_labels(ax, y, ends, labels)
        ax.set_xlim(0, max(ends) * 1.7 if max(ends) > 0 else 1)
        ax.set_yticks(y, [_brand_label(r) for r in table.itertuples()])
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("complaints in the month")
        ax.legend(
            loc="lower center", bbox_to_anchor=(0.45, 1.0), ncols=len(TRADITIONAL_CHANNELS) + 1
        )

    svg = _render_svg("complaints", (11, 0.5 * len(table) + 1.3), draw)
    caption = (
        f"{data.label}. Upper bar: complaints through the traditional channels, by channel; "
        "lower bar: online complaints (inbound mentions scored negative). "
        "Complaint-to-online ratio = online / traditional complaints; 'escalate online' = "
        "complainants with a known social identity who posted a negative message within the "
        "escalation window after their complaint."
        f"{note}"
    )
    return Section("complaints", title, caption, svg=svg)


def section_nps(data: ReportData) -> Section:
    """NPS per brand with its 95% margin of error."""
    title = "Net Promoter Score with margin of error"
    frame = _with_brands(data, data.frame("nps"))
    frame = frame[frame["responses"] > 0]
    if frame.empty:
        return Section("nps", title, "", empty=f"No NPS survey answers in {data.label}.")
    frame, note = _bar_rows(frame, "responses")
    colours = _colours(list(data.brands["brand"]))

    def draw(figure: "Figure") -> None:
        ax = figure.subplots()
        for i, row in enumerate(frame.itertuples()):
            low_sample = bool(row.is_low_sample)
            colour = "#9aa3ad" if low_sample else colours.get(row.brand, ACCENT)
            ax.errorbar(
                row.nps,
                i,
                xerr=row.nps_margin_of_error_95,
                fmt="o",
                ms=7,
                capsize=4,
                color=colour,
                mfc="white" if low_sample else colour,
                lw=1.6,
            )
            label = (
                f"{row.nps:+.0f} ± {row.nps_margin_of_error_95:.0f} · n = {_count(row.responses)}"
            )
            if low_sample:
                label += " (low sample)"
            ax.annotate(
                label,
                xy=(row.nps + row.nps_margin_of_error_95, i),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                color="#27313b",
            )
        ax.axvline(0, color="#9aa3ad", lw=0.8)
        low = float((frame["nps"] - frame["nps_margin_of_error_95"]).min())
        high = float((frame["nps"] + frame["nps_margin_of_error_95"]).max())
        ax.set_xlim(max(-100, low - 10), min(100, high + 10) + (high - low + 20) * 0.6)
        ax.set_yticks(range(len(frame)), [_brand_label(r) for r in frame.itertuples()])
        ax.set_xlabel("NPS (−100 to +100)")
        ax.grid(axis="y", visible=False)

    svg = _render_svg("nps", (11, 0.4 * len(frame) + 1.1), draw)
    caption = (
        f"Survey answers in {data.label}: NPS = % promoters (9–10) − % detractors (0–6). "
        "Error bars: 95% margin of error; brands whose bars overlap are not clearly different. "
        "Hollow grey: fewer answers than the minimum sample."
        f"{note}"
    )
    return Section("nps", title, caption, svg=svg)


def _scatter_section(
    data: ReportData,
    section_id: str,
    title: str,
    frame: "pd.DataFrame",
    y_column: str,
    y_label: str,
    y_format: Callable[[float], str],
    correlation_text: str,
    empty: str,
    caption_intro: str,
    y_axis_percent: bool = False,
) -> Section:
    import numpy as np
    import pandas as pd

    frame = _with_brands(data, frame)
    if frame.empty:
        return Section(section_id, title, "", empty=empty)
    frame["month"] = pd.to_datetime(frame["month"])
    current = frame[frame["month"] == pd.Timestamp(data.month)]
    colours = _colours(list(data.brands["brand"]))

    def draw(figure: "Figure") -> None:
        ax = figure.subplots()
        earlier = frame[frame["month"] != pd.Timestamp(data.month)]
        ax.scatter(
            earlier["net_sentiment"],
            earlier[y_column],
            s=14,
            alpha=0.35,
            color=[colours.get(b, ACCENT) for b in earlier["brand"]],
            linewidths=0,
            label="earlier months",
        )
        ax.scatter(
            current["net_sentiment"],
            current[y_column],
            s=60,
            edgecolor="#1b232b",
            linewidths=1.2,
            color=[colours.get(b, ACCENT) for b in current["brand"]],
            zorder=4,
            label=data.label,
        )
        for row in current.itertuples():
            ax.annotate(
                f"{row.display_name} ({y_format(getattr(row, y_column))})",
                xy=(row.net_sentiment, getattr(row, y_column)),
                xytext=(6, 4),
                textcoords="offset points",
                fontsize=8,
                color="#27313b",
            )
        if len(frame) >= 3 and frame["net_sentiment"].nunique() > 1:
            slope, intercept = np.polyfit(frame["net_sentiment"], frame[y_column], 1)
            xs = np.linspace(frame["net_sentiment"].min(), frame["net_sentiment"].max(), 2)
            ax.plot(
                xs,
                slope * xs + intercept,
                color=ACCENT,
                lw=1.2,
                ls="--",
                label="least-squares line",
            )
        ax.set_xlabel("net sentiment (−1 to +1)")
        ax.set_ylabel(y_label)
        if y_axis_percent:
            ax.yaxis.set_major_formatter(_percent_formatter())
        ax.legend(loc="upper left")

    svg = _render_svg(section_id, (11, 4.6), draw)
    months = frame["month"].nunique()
    caption = (
        f"{caption_intro} Each point is a brand-month ({len(frame)} in {months} months up to "
        f"{data.label}); outlined points are {data.label}. {correlation_text}"
    )
    return Section(section_id, title, caption, svg=svg)


def _correlation_text(frame: "pd.DataFrame", what: str) -> str:
    """One sentence per lag from a correlation mart's all-brands rows."""
    if frame.empty:
        return f"No correlation of {what} could be computed yet."
    rows = frame[frame["scope_type"] == "all"].sort_values("lag_months")
    parts = []
    for row in rows.itertuples():
        when = "same month" if row.lag_months == 0 else f"sentiment {row.lag_months} month earlier"
        if _missing(row.pearson_r):
            parts.append(f"{when}: too few brand-months")
            continue
        interval = (
            f", 95% CI {row.pearson_r_ci_lower_95:+.2f} to {row.pearson_r_ci_upper_95:+.2f}"
            if not _missing(row.pearson_r_ci_lower_95)
            else ""
        )
        parts.append(f"{when}: r = {row.pearson_r:+.2f}{interval}, n = {row.n_brand_months}")
    text = "; ".join(parts) if parts else "no all-brands row"
    return f"Pearson correlation of {what} over all brands (low-volume months excluded) — {text}."


def section_sentiment_nps(data: ReportData) -> Section:
    """Net sentiment against NPS per brand-month, with the correlation from the mart."""
    return _scatter_section(
        data,
        "sentiment-nps",
        "Net sentiment and NPS",
        data.frame("sentiment_nps"),
        "nps",
        "NPS",
        lambda v: f"{v:+.0f}",
        _correlation_text(data.frame("sentiment_nps_correlation"), "net sentiment with NPS"),
        f"No brand-month up to {data.label} has both net sentiment and NPS.",
        "Does online sentiment track what surveyed customers say?",
    )


def section_sentiment_stock(data: ReportData) -> Section:
    """Net sentiment against the monthly share return of the listed brands."""
    correlation = data.frame("sentiment_stock_correlation")
    text = _correlation_text(correlation, "net sentiment with the monthly return")
    cross = data.frame("market_cap_correlation")
    # With a handful of listed brands a cross-section r is noise; say nothing then.
    if (
        not cross.empty
        and cross["n_brand_months"].iloc[0] >= MIN_CROSS_SECTION_BRANDS
        and not _missing(cross["pearson_r"].iloc[0])
    ):
        text += (
            f" Across listed brands in {data.label}, net sentiment vs market capitalisation: "
            f"r = {cross['pearson_r'].iloc[0]:+.2f} (n = {cross['n_brand_months'].iloc[0]})."
        )
    return _scatter_section(
        data,
        "sentiment-stock",
        "Net sentiment and share price",
        data.frame("sentiment_stock"),
        "monthly_return",
        "monthly share return",
        lambda v: f"{v:+.1%}",
        text,
        f"No listed brand has share prices up to {data.label}, so there is no return to "
        "compare with.",
        "Listed brands only: month-end close over the previous month-end close, minus one.",
        y_axis_percent=True,
    )


def section_roi(data: ReportData) -> Section:
    """ROI proxies per brand, with the assumptions they rest on printed beside the chart."""
    title = "Webcare ROI proxies"
    frame = _with_brands(data, data.frame("roi"))
    frame = frame[frame["negative_posters"].fillna(0) > 0]
    if frame.empty:
        return Section("roi", title, "", empty=f"No negative posters in {data.label}.")
    frame, note = _bar_rows(frame, "negative_posters")
    assumptions = sorted(c for c in frame.columns if c.startswith("assumption_"))

    def draw(figure: "Figure") -> None:
        ax = figure.subplots()
        roi = frame["roi_proxy"].astype(float)
        y = list(range(len(frame)))
        ax.barh(
            y,
            roi.fillna(0),
            height=0.6,
            color=[POSITIVE if v > 0 else NEGATIVE for v in roi.fillna(0)],
        )
        ax.axvline(0, color="#9aa3ad", lw=0.8)
        labels = [
            f"{_pct(r)} · contacted {_pct(c)} · uplift {_points(u)}"
            for r, c, u in zip(roi, frame["contacted_rate"], frame["recovery_uplift"], strict=True)
        ]
        _bar_labels(ax, y, roi.fillna(0).clip(lower=0).tolist(), labels)
        low, high = float(min(0, roi.min())), float(max(0, roi.max()))
        span = (high - low) or 1.0
        ax.set_xlim(low - span * 0.05, high + span * 0.75)
        ax.xaxis.set_major_formatter(_percent_formatter())
        ax.set_yticks(y, [_brand_label(r) for r in frame.itertuples()])
        ax.set_xlabel("ROI proxy = (estimated value protected − webcare cost) / webcare cost")
        ax.grid(axis="y", visible=False)

    svg = _render_svg("roi", (11, 0.42 * len(frame) + 1.2), draw)
    rows = "".join(
        f"<tr><th>{html.escape(a.removeprefix('assumption_').replace('_', ' '))}</th>"
        f"<td>{html.escape(', '.join(_assumption(v) for v in frame[a].drop_duplicates()))}"
        "</td></tr>"
        for a in assumptions
    )
    extra = (
        f'<table class="assumptions"><caption>Assumptions behind these figures</caption>{rows}'
        "</table>"
        if rows
        else ""
    )
    caption = (
        f"{data.label}, after the RightNow/Harris retail study. Recovery uplift = share of "
        "contacted negative posters whose next message is positive minus the same share for "
        "those not contacted; value protected = uplift × contacted posters × customer annual "
        "value; cost = brand replies × cost per reply. Proxies, not measured revenue."
        f"{note}"
    )
    return Section("roi", title, caption, svg=svg, extra_html=extra)


def _assumption(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int | float) else str(value)


def section_alerts(data: ReportData) -> Section:
    """Days with a negative spike alert, and the repeat complainers, per brand."""
    import pandas as pd

    title = "Spike alerts and repeat complainers"
    alerts = _with_brands(data, data.frame("alerts"))
    repeat = _with_brands(data, data.frame("repeat"))
    repeat = repeat[repeat["repeat_complainers"].fillna(0) > 0]
    if alerts.empty and repeat.empty:
        return Section(
            "alerts",
            title,
            "",
            empty=f"No negative spike alerts and no repeat complainers in {data.label}.",
        )
    alerts["day"] = pd.to_datetime(alerts["alert_date"]).dt.day
    brands = (
        _with_brands(
            data,
            pd.DataFrame({"brand": sorted(set(alerts["brand"]) | set(repeat["brand"]))}),
        )
        .iloc[::-1]
        .reset_index(drop=True)
    )
    position = {b: i for i, b in enumerate(brands["brand"])}
    days = (pd.Timestamp(data.month) + pd.offsets.MonthEnd(0)).day

    def draw(figure: "Figure") -> None:
        from matplotlib.ticker import MaxNLocator

        left, right = figure.subplots(1, 2, sharey=True, width_ratios=(3, 2))
        y = list(range(len(brands)))
        if alerts.empty:
            left.text(
                days / 2,
                (len(brands) - 1) / 2,
                "no spike alerts this month",
                ha="center",
                va="center",
                color="#6b7682",
            )
        else:
            left.scatter(
                alerts["day"],
                [position[b] for b in alerts["brand"]],
                s=(alerts["negative_mentions"].astype(float).clip(upper=400) * 1.5 + 30),
                color=NEGATIVE,
                alpha=0.8,
                zorder=3,
            )
            for row in alerts.itertuples():
                left.annotate(
                    _count(row.negative_mentions),
                    xy=(row.day, position[row.brand]),
                    xytext=(0, 9),
                    textcoords="offset points",
                    ha="center",
                    fontsize=8,
                )
        left.set_xlim(0.5, days + 0.5)
        left.set_xticks([1, 8, 15, 22, days])
        left.set_xlabel(f"day of {data.label}")
        left.set_ylim(-0.7, len(brands) - 0.3)
        left.set_yticks(y, [_brand_label(r) for r in brands.itertuples()])
        left.set_title("days with a negative spike (negatives that day)", loc="left")
        counts = [
            float(repeat.loc[repeat["brand"] == b, "repeat_complainers"].sum())
            for b in brands["brand"]
        ]
        shares = [
            repeat.loc[repeat["brand"] == b, "share_of_negative_volume"].max()
            for b in brands["brand"]
        ]
        right.barh(y, counts, height=0.6, color="#e1a23a")
        _bar_labels(
            right,
            y,
            counts,
            [
                f"{_count(c)} · {_pct(s)} of negatives" if c else "none"
                for c, s in zip(counts, shares, strict=True)
            ],
        )
        right.set_xlim(0, max([*counts, 1]) * 1.7)
        right.xaxis.set_major_locator(MaxNLocator(integer=True))
        right.set_title("repeat complainers", loc="left")
        right.grid(axis="y", visible=False)

    svg = _render_svg("alerts", (11, 0.45 * len(brands) + 1.4), draw)
    caption = (
        f"{data.label}. A spike alert marks a day whose negative inbound count exceeds the "
        "trailing baseline mean by the configured number of standard deviations (and a minimum "
        "count). Repeat complainers: authors with several negative messages about the brand "
        "this month, and their share of its negative volume. Only brands with an alert or a "
        "repeat complainer are shown."
    )
    return Section("alerts", title, caption, svg=svg)


SECTIONS: tuple[Callable[[ReportData], Section], ...] = (
    section_sentiment_trend,
    section_sentiment_share,
    section_response,
    section_complaints,
    section_nps,
    section_sentiment_nps,
    section_sentiment_stock,
    section_roi,
    section_alerts,
)


# --------------------------------------------------------------------------- page

_CSS = """
:root { --ink: #1b232b; --muted: #5b6773; --line: #dde2e7; --accent: #1f4e79; }
* { box-sizing: border-box; }
body { margin: 0; background: #eef1f4; color: var(--ink);
  font: 15px/1.5 "DejaVu Sans", "Segoe UI", Arial, sans-serif; }
header { background: var(--accent); color: white; padding: 28px 0 22px; }
header .wrap, main { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header h1 { margin: 0 0 4px; font-size: 28px; }
header p { margin: 0; opacity: .85; font-size: 13px; }
nav { margin-top: 14px; display: flex; flex-wrap: wrap; gap: 6px 14px; font-size: 13px; }
nav a { color: white; opacity: .9; }
main { padding-top: 22px; padding-bottom: 40px; }
section, .card { background: white; border: 1px solid var(--line); border-radius: 10px;
  padding: 18px 22px 14px; margin: 0 0 22px; break-inside: avoid; }
h2 { margin: 0 0 10px; font-size: 19px; color: var(--accent); }
figure { margin: 0; }
svg.chart { display: block; width: 100%; height: auto; }
figcaption, p.note { color: var(--muted); font-size: 13px; margin-top: 8px; max-width: 960px; }
p.empty { color: var(--muted); font-style: italic; margin: 6px 0; }
table { border-collapse: collapse; font-size: 13px; }
table.glance { width: 100%; }
table.glance th, table.glance td { padding: 5px 8px; border-bottom: 1px solid var(--line);
  text-align: right; white-space: nowrap; }
table.glance th:first-child, table.glance td:first-child,
table.glance th:nth-child(2), table.glance td:nth-child(2) { text-align: left; }
table.glance thead th { color: var(--muted); font-weight: normal; }
td .rank { color: var(--muted); font-size: 11px; margin-left: 4px; padding: 0 3px;
  border-radius: 3px; }
td .rank.best { background: #dcefe3; color: #1d6b40; }
td .rank.worst { background: #f6dcd9; color: #9b2c20; }
table.assumptions { margin-top: 10px; }
table.assumptions caption { text-align: left; font-weight: bold; padding-bottom: 4px;
  white-space: nowrap; }
table.assumptions th { text-align: left; font-weight: normal; color: var(--muted);
  padding: 2px 14px 2px 0; }
table.assumptions td { padding: 2px 0; }
footer { color: var(--muted); font-size: 12px; max-width: 1180px; margin: 0 auto;
  padding: 0 24px 30px; }
@media print { body { background: white; } section { border: none; } }
"""


def render_report(data: ReportData) -> str:
    """The complete HTML page for `data` (no external resources)."""
    sections = [build(data) for build in SECTIONS]
    body = "\n".join(_section_html(s) for s in sections)
    nav = "".join(f'<a href="#{s.id}">{html.escape(s.title)}</a>' for s in sections)
    published = (
        f"published {data.published_at:%Y-%m-%d %H:%M} UTC"
        if data.published_at
        else "not yet published"
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Webcare monthly report {data.month:%Y-%m}</title>
<style>{_CSS}</style>
</head>
<body>
<header><div class="wrap">
<h1>Webcare monthly report · {html.escape(data.label)}</h1>
<p>{len(data.brands)} brands in {data.brands["sector"].nunique()} sectors · marts {published}</p>
<nav>{nav}</nav>
</div></header>
<main>
{_glance_html(data)}
{body}
</main>
<footer>Generated {generated} UTC from the {html.escape(data.source)}.
Definitions of every KPI: KPI_DEFINITIONS.md and the dbt docs of the marts.</footer>
</body>
</html>
"""


def _section_html(section: Section) -> str:
    title = f'<h2 id="{section.id}-title">{html.escape(section.title)}</h2>'
    if section.svg is None:
        return (
            f'<section id="{section.id}">{title}'
            f'<p class="empty">{html.escape(section.empty or "No data.")}</p></section>'
        )
    return (
        f'<section id="{section.id}">{title}<figure>{section.svg}'
        f"<figcaption>{html.escape(section.caption)}{section.extra_html}</figcaption>"
        "</figure></section>"
    )


def _glance_html(data: ReportData) -> str:
    """A table of each brand's headline KPIs this month, with its rank in its sector."""
    import pandas as pd

    sentiment = data.frame("sentiment")
    sentiment = sentiment[pd.to_datetime(sentiment["month"]) == pd.Timestamp(data.month)]
    table = _with_brands(data, sentiment[["brand", "mentions", "net_sentiment", "share_of_voice"]])
    if table.empty:
        return ""
    complaints = data.frame("complaints")
    for frame, columns in (
        (data.frame("response"), ["median_first_response_minutes", "sla_attainment"]),
        (data.frame("nps"), ["nps"]),
        (complaints, ["complaint_to_online_ratio"]),
    ):
        table = table.merge(frame[["brand", *columns]], on="brand", how="left")
    benchmark = data.frame("benchmark")
    ranks = benchmark[
        ["brand", "sector_brands", *[c for c in benchmark.columns if c.startswith("sector_rank_")]]
    ]
    table = table.merge(ranks, on="brand", how="left")
    columns = (
        ("mentions", "mentions", _count),
        ("net_sentiment", "net sentiment", _signed),
        ("share_of_voice", "share of voice", _pct),
        ("median_first_response_minutes", "median first response", _minutes),
        ("sla_attainment", "SLA attainment", _pct),
        ("nps", "NPS", lambda v: _signed(v, 0)),
        (
            "complaint_to_online_ratio",
            "complaint-to-online",
            lambda v: _signed(v, 2)[1:] if not _missing(v) else "–",
        ),
    )
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in columns)
    rows = []
    for _, row in table.iterrows():
        cells = []
        for column, _, fmt in columns:
            rank = row.get(f"sector_rank_{column}")
            rank_html = ""
            if not _missing(rank) and not _missing(row[column]):
                size = int(row["sector_brands"])
                standing = " best" if rank == 1 else " worst" if rank == size and size > 1 else ""
                rank_html = f'<span class="rank{standing}">{int(rank)}/{size}</span>'

            cells.append(f"<td>{html.escape(fmt(row[column]))}{rank_html}</td>")
        rows.append(
            f"<tr><td>{html.escape(str(row['display_name']))}</td>"
            f"<td>{html.escape(str(row['sector']))}</td>{''.join(cells)}</tr>"
        )
    return (
        '<div class="card" id="glance"><h2>At a glance</h2>'
        f'<table class="glance"><thead><tr><th>brand</th><th>sector</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        '<p class="note">Headline KPIs of the month; small numbers are the brand\'s rank in its '
        "sector (1 = best; green best, red last).</p></div>"
    )
