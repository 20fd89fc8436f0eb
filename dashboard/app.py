"""The interactive dashboard over the published snapshot (`make dashboard`).

A Streamlit script: `streamlit run dashboard/app.py` with ``WEBCARE_HOME`` naming
the home. It reads ``<home>/published/warehouse.duckdb`` only, through
`open_snapshot` (read-only, safe while the pipeline republishes), never the live
warehouse. Every read is cached by the snapshot file's identity (inode and
modification time), so a republished snapshot shows on the next interaction.

Sidebar: brand and month. Page: KPI tiles against the sector median, trends over
the months, the response-time distribution, the month's spike alerts, and the
inbound messages behind a KPI.
"""

import os
from collections.abc import Callable
from datetime import date
from typing import Any

import altair as alt
import duckdb
import pandas as pd
import streamlit as st

from assets.serving.publish import snapshot_path
from assets.serving.snapshot import SnapshotMissingError, open_snapshot
from dashboard import queries
from dashboard.kpis import KPIS, Kpi
from warehouse.settings import Settings

SECTOR_MEDIAN = "Sector median"
# Altair axis formats per KPI unit.
_AXIS_FORMATS = {
    "count": ",.0f",
    "share": ".0%",
    "minutes": ",.0f",
    "net": ".2f",
    "score": ".1f",
    "ratio": ".2f",
}


@st.cache_resource
def _settings() -> Settings:
    """The home's settings, read from the environment once per server process."""
    return Settings.from_env()


@st.cache_data(show_spinner=False, max_entries=2000)
def _read(query: str, snapshot: tuple[str, int, int], arguments: tuple, _settings: Settings) -> Any:
    """``queries.<query>(snapshot, *arguments)``, cached per published snapshot.

    `snapshot` (path, inode, mtime) is only the cache key: a new publication is a
    new file, hence a new key.
    """
    with open_snapshot(_settings) as opened:
        return getattr(queries, query)(opened, *arguments)


def _snapshot_version(settings: Settings) -> tuple[str, int, int] | None:
    """The published snapshot's path, inode and modification time; None before a publish."""
    path = snapshot_path(settings.published_dir)
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return str(path), stat.st_ino, stat.st_mtime_ns


def main() -> None:
    """Draw the page for the brand and month chosen in the sidebar."""
    st.set_page_config(page_title="Webcare dashboard", layout="wide")
    st.title("Webcare dashboard")
    settings = _settings()
    version = _snapshot_version(settings)
    if version is None:
        _nothing_published(settings)
        return
    try:
        _page(settings, version)
    except SnapshotMissingError:
        _nothing_published(settings)
    except duckdb.Error as error:
        st.error(f"Cannot read the published snapshot {version[0]}: {error}")


def _page(settings: Settings, version: tuple[str, int, int]) -> None:
    """The filters and every section, read from the snapshot `version` names."""

    def read(query: str, *arguments: Any) -> Any:
        return _read(query, version, arguments, _settings=settings)

    missing = read("missing_marts")
    if missing:
        st.error(
            f"The published snapshot {version[0]} lacks the marts {', '.join(missing)}: "
            "run `make run` to publish them."
        )
        return
    brands, months = read("brands"), read("months")
    if brands.empty or not months:
        st.info("The published snapshot has no brands or months yet: run `make run` first.")
        return

    names = dict(zip(brands["brand"], brands["display_name"], strict=True))
    sectors = dict(zip(brands["brand"], brands["sector"], strict=True))
    # Open on a brand-month with mentions (queries.opening_view), else the first of each list.
    opening = read("opening_view", settings.reporting_timezone)
    first_brand, first_month = opening or (None, None)
    with st.sidebar:
        st.header("Filters")
        brand = st.selectbox(
            "Brand",
            list(names),
            index=list(names).index(first_brand) if first_brand in names else 0,
            format_func=lambda key: f"{names[key]} ({sectors[key]})",
            key="brand",
        )
        month = st.selectbox(
            "Month",
            months,
            index=months.index(first_month) if first_month in months else 0,
            format_func=lambda value: value.strftime("%Y-%m"),
            key="month",
        )
        published_at = read("published_at")
        published = f", published {published_at:%Y-%m-%d %H:%M} UTC" if published_at else ""
        st.caption(f"Read from the published snapshot {version[0]}{published}.")

    st.caption(f"{names[brand]}, {month:%B %Y}, against the median of the {sectors[brand]} sector.")
    _tiles(read("kpi_tiles", brand, month))
    _trends(read("kpi_trends", brand), names[brand], month)
    left, right = st.columns(2)
    with left:
        _response_times(
            read("response_time_distribution", brand, month),
            read("response_summary", brand, month),
        )
    with right:
        _alerts(read("alerts", month), brand, month)
    _drill_down(read, brand, names[brand], month)


def _nothing_published(settings: Settings) -> None:
    """Say that there is nothing to show yet, and how to publish it."""
    st.info(
        f"Nothing is published yet: {snapshot_path(settings.published_dir)} does not exist. "
        "Run `make run` first (it builds the marts and publishes the snapshot this page reads)."
    )


def _tiles(tiles: list[queries.Tile]) -> None:
    """Two rows of KPI tiles: the value, its distance to the sector median (the delta),
    and beneath it the median and the brand's rank in its sector."""
    columns = st.columns(4)
    for index, (kpi, tile) in enumerate(zip(KPIS, tiles, strict=True)):
        with columns[index % 4], st.container(border=True, key=f"tile-{kpi.column}"):
            delta = (
                kpi.format_difference(tile.value - tile.sector_median)
                if tile.value is not None and tile.sector_median is not None
                else None
            )
            # An unsigned delta is level with the median: grey, no arrow.
            level = delta is not None and not delta.startswith(("+", "-"))
            st.metric(
                kpi.label,
                kpi.format(tile.value),
                delta=delta,
                delta_color="off" if level else "normal" if kpi.higher_is_better else "inverse",
                delta_arrow="off" if level else "auto",
                help=kpi.definition,
            )
            st.caption(_sector_caption(kpi, tile))


def _sector_caption(kpi: Kpi, tile: queries.Tile) -> str:
    """``Sector median 57.9%, rank 2 of 3``: where the brand stands in its sector."""
    if tile.sector_median is None:
        return "No sector median this month."
    caption = f"Sector median {kpi.format(tile.sector_median)}"
    if tile.sector_rank is not None and tile.sector_brands is not None:
        best = "highest" if kpi.higher_is_better else "lowest"
        caption += f", rank {tile.sector_rank} of {tile.sector_brands} ({best} first)"
    return caption + "."


def _trends(trends: pd.DataFrame, brand_name: str, month: date) -> None:
    """One line chart per KPI: the brand against its sector median over the months."""
    st.subheader("Trends")
    st.caption(f"Solid: {brand_name}; dashed: the sector median; dotted rule: the chosen month.")
    columns = st.columns(4)
    chosen = alt.Chart(pd.DataFrame({"month": [pd.Timestamp(month)]})).mark_rule(
        color="gray", strokeDash=[1, 2]
    )
    for index, kpi in enumerate(KPIS):
        frame = pd.concat(
            pd.DataFrame(
                {"month": trends["reporting_month"], "series": name, "value": trends[column]}
            )
            for name, column in (
                (brand_name, kpi.column),
                (SECTOR_MEDIAN, f"sector_median_{kpi.column}"),
            )
        )
        series = alt.Scale(domain=[brand_name, SECTOR_MEDIAN])
        lines = (
            alt.Chart(frame)
            .mark_line(point=True)
            .encode(
                x=alt.X("month:T", title=None),
                y=alt.Y("value:Q", title=None, axis=alt.Axis(format=_AXIS_FORMATS[kpi.unit])),
                color=alt.Color("series:N", scale=series, legend=None),
                strokeDash=alt.StrokeDash(
                    "series:N",
                    scale=alt.Scale(domain=series.domain, range=[[1, 0], [4, 3]]),
                    legend=None,
                ),
                tooltip=[
                    alt.Tooltip("month:T", title="Month", format="%Y-%m"),
                    alt.Tooltip("series:N", title="Series"),
                    alt.Tooltip("value:Q", title=kpi.label, format=_AXIS_FORMATS[kpi.unit]),
                ],
            )
        )
        with columns[index % 4]:
            st.markdown(f"**{kpi.label}**")
            st.altair_chart(lines + chosen.encode(x="month:T"), height=200)


def _response_times(distribution: pd.DataFrame, summary: dict[str, float | None]) -> None:
    """A bar per response-time bucket of the month's answered inbound messages."""
    st.subheader("Response-time distribution")
    if not summary["inbound_messages"]:
        st.info("No inbound messages to the brand's webcare accounts this month.")
        return
    median = summary["median_first_response_minutes"]
    p90 = summary["p90_first_response_minutes"]
    st.caption(
        f"First responses to {summary['answered_messages']:,.0f} of "
        f"{summary['inbound_messages']:,.0f} inbound messages"
        + (
            f"; median {median:,.1f} min, 90th percentile {p90:,.1f} min."
            if median is not None
            else "."
        )
    )
    order = [label for label, _, _ in queries.RESPONSE_TIME_BUCKETS]
    chart = (
        alt.Chart(distribution)
        .mark_bar()
        .encode(
            x=alt.X(
                "bucket:N", sort=order, title="First response after", axis=alt.Axis(labelAngle=-45)
            ),
            y=alt.Y("messages:Q", title="Answered messages"),
            tooltip=["bucket:N", "messages:Q"],
        )
    )
    st.altair_chart(chart, height=280)


def _alerts(alerts: pd.DataFrame, brand: str, month: date) -> None:
    """The month's negative-spike alerts of every brand, the chosen brand's first."""
    st.subheader("Negative-spike alerts")
    if alerts.empty:
        st.info(f"No negative-spike alerts in {month:%Y-%m}.")
        return
    alerts = alerts.assign(is_chosen=alerts["brand"] == brand).sort_values(
        ["is_chosen", "alert_date"], ascending=[False, True]
    )
    sigmas = " or ".join(f"{sigma:g}" for sigma in sorted(alerts["sigma"].unique()))
    st.caption(
        f"{len(alerts)} in {month:%Y-%m}, {int(alerts['is_chosen'].sum())} of them for the "
        "chosen brand: days whose negative mentions rose above the threshold, the trailing "
        f"baseline's mean + {sigmas} standard deviations."
    )
    st.dataframe(
        alerts[
            ["display_name", "alert_date", "negative_mentions", "alert_threshold", "baseline_mean"]
        ],
        hide_index=True,
        column_config={
            "display_name": "Brand",
            "alert_date": st.column_config.DateColumn("Day", format="YYYY-MM-DD"),
            "negative_mentions": st.column_config.NumberColumn("Negative mentions", format="%d"),
            "alert_threshold": st.column_config.NumberColumn("Threshold", format="%.1f"),
            "baseline_mean": st.column_config.NumberColumn("Baseline mean", format="%.1f"),
        },
    )


def _drill_down(read: Callable[..., Any], brand: str, brand_name: str, month: date) -> None:
    """The inbound messages behind a KPI, chosen by the reader."""
    st.subheader("Messages behind a KPI")
    choices = {choice.key: choice.label for choice in queries.DRILL_DOWNS}
    key = st.selectbox(
        "Show the inbound messages behind", list(choices), format_func=choices.get, key="drill_down"
    )
    messages = read("messages", brand, month, key)
    with st.container(key="drill-down-count"):
        st.markdown(
            f"**{len(messages):,}** inbound messages of {brand_name} in {month:%Y-%m}: "
            f"{choices[key]}"
        )
    if "text" not in messages.columns:
        st.caption(
            "The published fct_inbound_messages carries no message text; the author is a pseudonym."
        )
    with st.container(key="drill-down-table"):
        st.dataframe(
            messages,
            hide_index=True,
            column_config={
                "posted_at": st.column_config.DatetimeColumn(
                    "Posted (UTC)", format="YYYY-MM-DD HH:mm"
                ),
                "author": "Author (pseudonym)",
                "text": st.column_config.TextColumn("Text", width="large"),
                "account": "Account",
                "sentiment": "Sentiment",
                "addressed_via": "Addressed via",
                "first_response_at": st.column_config.DatetimeColumn(
                    "First response (UTC)", format="YYYY-MM-DD HH:mm"
                ),
                "first_response_minutes": st.column_config.NumberColumn("Minutes", format="%.1f"),
                "first_response_business_minutes": st.column_config.NumberColumn(
                    "Business minutes", format="%.1f"
                ),
                "promised_response_minutes": st.column_config.NumberColumn(
                    "Promise (min)", format="%d"
                ),
                "within_promise": st.column_config.CheckboxColumn("Within promise"),
            },
        )


if __name__ == "__main__":
    main()
