"""What each part of the page says: the sections' charts and captions, and the glance table.

A section function picks the month's rows from `ReportData`, draws its chart
(`charts`) and writes its caption, or says why there is nothing to show. The
results are plain data; the template turns them into HTML.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assets.serving.report import charts
from assets.serving.report.formatting import (
    assumption,
    correlation_interval,
    correlation_without_r,
    count,
    minutes,
    missing,
    pct,
    signed,
)
from assets.serving.report.queries import ReportData

if TYPE_CHECKING:
    import pandas as pd

MAX_BRANDS = 30
MIN_CROSS_SECTION_BRANDS = 5


@dataclass(frozen=True)
class Section:
    """One report section: a chart (inline SVG) with its caption, or the reason there is none.

    `assumptions` are (name, values) rows printed in a table under the caption.
    """

    id: str
    title: str
    caption: str
    svg: str | None = None
    empty: str | None = None
    assumptions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class GlanceCell:
    """One KPI of one brand: its text, and its rank in the sector (e.g. ``1/3``) if ranked."""

    text: str
    rank: str | None = None
    standing: str = ""  # "best", "worst" or ""


@dataclass(frozen=True)
class GlanceRow:
    """One brand's line of the glance table."""

    brand: str
    sector: str
    cells: tuple[GlanceCell, ...]


@dataclass(frozen=True)
class Glance:
    """The table of the headline KPIs of every brand with data this month; `left_out`
    counts the brands without (no mentions, complaints or NPS answers)."""

    headers: tuple[str, ...]
    rows: tuple[GlanceRow, ...]
    left_out: int = 0


def _with_brands(data: ReportData, frame: "pd.DataFrame") -> "pd.DataFrame":
    """`frame` with display name and sector, ordered by sector then brand."""
    own = [c for c in ("display_name", "sector") if c in frame.columns]
    merged = frame.drop(columns=own).merge(data.brands, on="brand", how="left")
    merged["display_name"] = merged["display_name"].fillna(merged["brand"])
    merged["sector"] = merged["sector"].fillna("unassigned")
    return merged.sort_values(["sector", "display_name"], kind="stable").reset_index(drop=True)


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


def _colours(data: ReportData) -> dict[str, str]:
    return charts.brand_colours(list(data.brands["brand"]))


def section_sentiment_trend(data: ReportData) -> Section:
    """Net sentiment and share of voice over twelve months, one row of panels per sector."""
    import pandas as pd

    title = "Net sentiment and share of voice against competitors"
    frame = _with_brands(data, data.frame("sentiment"))
    frame["month"] = pd.to_datetime(frame["month"])
    current = frame[frame["month"] == pd.Timestamp(data.month)]
    if current.empty:
        return Section("sentiment-trend", title, "", empty=f"No inbound mentions in {data.label}.")
    sectors = sorted(current["sector"].unique())
    leaders = []
    for sector in sectors:
        scored = current[(current["sector"] == sector) & current["net_sentiment"].notna()]
        if scored.empty:
            continue
        # A brand with a handful of mentions is +1 or -1 by chance: no leader among those.
        reliable = scored[~scored["is_low_volume"].fillna(True).astype(bool)]
        if reliable.empty:
            leaders.append(f"{sector}: no brand with enough mentions")
            continue
        best = reliable.loc[reliable["net_sentiment"].idxmax()]
        leaders.append(f"{sector}: {best.display_name} ({signed(best.net_sentiment)})")
    svg = charts.sentiment_trend_chart(frame, sectors, _colours(data), data.month)
    caption = (
        f"Twelve months to {data.label}, one row per sector (its competitor panel). "
        "Net sentiment = (positive − negative) / (positive + negative) inbound mentions, "
        "−1 to +1; share of voice = the brand's share of all mentions in its sector. "
        "Hollow points: too few mentions for a reliable KPI. "
        f"Best net sentiment this month — {'; '.join(leaders) or 'none scored'}."
    )
    return Section("sentiment-trend", title, caption, svg=svg)


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
    caption = (
        f"Inbound mentions of {data.label} by scored sentiment; n = mentions in the month.{note}"
    )
    return Section("sentiment-share", title, caption, svg=charts.sentiment_share_chart(frame))


def section_sentiment_adjusted(data: ReportData) -> Section:
    """Raw and adjusted (corrected for the model's known errors) class shares per brand, with
    the adjusted shares' 95% intervals; without a calibration, how to get one."""
    import pandas as pd

    section_id = "sentiment-adjusted"
    title = "Sentiment shares corrected for the model's errors"
    frame = _with_brands(data, data.frame("sentiment"))
    frame = frame[pd.to_datetime(frame["month"]) == pd.Timestamp(data.month)]
    frame = frame[frame["mentions"] > 0]
    if frame.empty:
        return Section(section_id, title, "", empty=f"No inbound mentions in {data.label}.")
    if frame["share_negative_adjusted"].isna().all():
        return Section(
            section_id,
            title,
            "",
            empty=(
                f"No calibration of the sentiment model applies to the scores of {data.label}, "
                "so the shares above are its labels, uncorrected: label a few hundred messages "
                "by hand and run `webcare calibrate-sentiment FILE` before the next run."
            ),
        )
    frame, note = _bar_rows(frame, "mentions")
    calibrations = sorted(str(c) for c in frame["sentiment_calibration"].dropna().unique())
    uncalibrated = sorted(frame.loc[frame["share_negative_adjusted"].isna(), "display_name"])
    without = (
        f" No calibration applies to {', '.join(uncalibrated)}: raw share only."
        if uncalibrated
        else ""
    )
    caption = (
        f"Inbound mentions of {data.label}. The sentiment model makes known mistakes: it calls "
        "some negative messages neutral, some neutral ones negative, and so on. How often it "
        "does so was measured on a sample of messages labelled by hand (the calibration). "
        "Raw (hollow diamond) = the share of the model's labels, as in the chart above; "
        "adjusted (dot) = the estimated true share once those known confusion rates are "
        "corrected for, with its 95% interval (bar), which covers the sampling of this month's "
        "messages only, not the error of the labelled sample. n = messages the adjusted shares "
        "rest on. "
        f"Calibration used: {'; '.join(calibrations)}.{without}{note}"
    )
    return Section(section_id, title, caption, svg=charts.sentiment_adjusted_chart(frame))


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
    svg = charts.response_chart(response, data.frame("first_responses"))
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
    caption = (
        f"{data.label}. Upper bar: complaints through the traditional channels, by channel; "
        "lower bar: online complaints (inbound mentions scored negative). "
        "Complaint-to-online ratio = online / traditional complaints; 'escalate online' = "
        "complainants with a known social identity who posted a negative message within the "
        "escalation window after their complaint."
        f"{note}"
    )
    return Section("complaints", title, caption, svg=charts.complaints_chart(table))


def section_nps(data: ReportData) -> Section:
    """NPS per brand with its 95% margin of error."""
    title = "Net Promoter Score with margin of error"
    frame = _with_brands(data, data.frame("nps"))
    frame = frame[frame["responses"] > 0]
    if frame.empty:
        return Section("nps", title, "", empty=f"No NPS survey answers in {data.label}.")
    frame, note = _bar_rows(frame, "responses")
    caption = (
        f"Survey answers in {data.label}: NPS = % promoters (9–10) − % detractors (0–6). "
        "Error bars: 95% margin of error; brands whose bars overlap are not clearly different. "
        "Hollow grey: fewer answers than the minimum sample."
        f"{note}"
    )
    return Section("nps", title, caption, svg=charts.nps_chart(frame, _colours(data)))


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
    import pandas as pd

    frame = _with_brands(data, frame)
    if frame.empty:
        return Section(section_id, title, "", empty=empty)
    frame["month"] = pd.to_datetime(frame["month"])
    svg = charts.sentiment_scatter_chart(
        section_id,
        frame,
        data.month,
        data.label,
        _colours(data),
        y_column,
        y_label,
        y_format,
        y_axis_percent=y_axis_percent,
    )
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
        if missing(row.pearson_r):
            parts.append(f"{when}: {correlation_without_r(row.n_brand_months)}")
            continue
        interval = correlation_interval(
            row.n_brand_months, row.pearson_r, row.pearson_r_ci_lower_95, row.pearson_r_ci_upper_95
        )
        parts.append(f"{when}: r = {row.pearson_r:+.2f}, n = {row.n_brand_months}{interval}")
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
        and not missing(cross["pearson_r"].iloc[0])
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
    assumptions = tuple(
        (
            column.removeprefix("assumption_").replace("_", " "),
            ", ".join(assumption(v) for v in frame[column].drop_duplicates()),
        )
        for column in sorted(c for c in frame.columns if c.startswith("assumption_"))
    )
    caption = (
        f"{data.label}, after the RightNow/Harris retail study. Recovery uplift = share of "
        "contacted negative posters whose next message is positive minus the same share for "
        "those not contacted; value protected = uplift × contacted posters × customer annual "
        "value; cost = brand replies × cost per reply. Proxies, not measured revenue."
        f"{note}"
    )
    return Section("roi", title, caption, svg=charts.roi_chart(frame), assumptions=assumptions)


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
    brands = _with_brands(
        data, pd.DataFrame({"brand": sorted(set(alerts["brand"]) | set(repeat["brand"]))})
    )
    svg = charts.alerts_chart(alerts, repeat, brands, data.month, data.label)
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
    section_sentiment_adjusted,
    section_response,
    section_complaints,
    section_nps,
    section_sentiment_nps,
    section_sentiment_stock,
    section_roi,
    section_alerts,
)


def glance(data: ReportData) -> Glance | None:
    """The headline KPIs this month of each brand with data, with its rank in its sector;
    None when no brand has data. An export that names hundreds of companies (a CFPB
    file) leaves most of them without a row in most months: they are counted, not listed."""
    import pandas as pd

    sentiment = data.frame("sentiment")
    sentiment = sentiment[pd.to_datetime(sentiment["month"]) == pd.Timestamp(data.month)]
    with_data = sentiment["brand"].isin(data.frame("brands_with_data")["brand"])
    left_out = int((~with_data).sum())
    sentiment = sentiment[with_data]
    table = _with_brands(data, sentiment[["brand", "mentions", "net_sentiment", "share_of_voice"]])
    if table.empty:
        return None
    for frame, columns in (
        (data.frame("response"), ["median_first_response_minutes", "sla_attainment"]),
        (data.frame("nps"), ["nps"]),
        (data.frame("complaints"), ["complaint_to_online_ratio"]),
    ):
        table = table.merge(frame[["brand", *columns]], on="brand", how="left")
    benchmark = data.frame("benchmark")
    ranks = benchmark[
        ["brand", "sector_brands", *[c for c in benchmark.columns if c.startswith("sector_rank_")]]
    ]
    table = table.merge(ranks, on="brand", how="left")
    columns = (
        ("mentions", "mentions", count),
        ("net_sentiment", "net sentiment", signed),
        ("share_of_voice", "share of voice", pct),
        ("median_first_response_minutes", "median first response", minutes),
        ("sla_attainment", "SLA attainment", pct),
        ("nps", "NPS", lambda v: signed(v, 0)),
        (
            "complaint_to_online_ratio",
            "complaint-to-online",
            lambda v: signed(v, 2)[1:] if not missing(v) else "–",
        ),
    )
    rows = []
    for _, row in table.iterrows():
        cells = []
        for column, _, fmt in columns:
            rank = row.get(f"sector_rank_{column}")
            if missing(rank) or missing(row[column]):
                cells.append(GlanceCell(fmt(row[column])))
                continue
            size = int(row["sector_brands"])
            standing = "best" if rank == 1 else "worst" if rank == size and size > 1 else ""
            cells.append(GlanceCell(fmt(row[column]), f"{int(rank)}/{size}", standing))
        rows.append(GlanceRow(str(row["display_name"]), str(row["sector"]), tuple(cells)))
    return Glance(tuple(label for _, label, _ in columns), tuple(rows), left_out)
