"""The report's charts: matplotlib figures saved as inline SVG, one function per section.

Each chart function takes the rows its section chose and returns the ``<svg>``
element as text, ready to be placed in the page as it is: it scales to the page
width, its ids are prefixed with the section id so they stay unique in the page,
and its text stays text (searchable, crisp at any zoom). Labels come from the
data, so mathtext is off: a "$" in a brand name is a dollar sign.
"""

import io
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from assets.serving.report.formatting import count, minutes, missing, pct, points, signed
from assets.serving.report.queries import TRADITIONAL_CHANNELS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MAX_LINES_PER_SECTOR = 8

# Sentiment colours read as such in every chart; brands get stable colours.
NEGATIVE, NEUTRAL, POSITIVE = "#c0392b", "#b8bec6", "#2e8b57"
# Points and error bars need a darker neutral than the stacked bars; raw shares are outlined.
ADJUSTED_CLASSES = (("negative", NEGATIVE), ("neutral", "#6b7682"), ("positive", POSITIVE))
RAW = "#27313b"
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


def render_svg(section_id: str, size: tuple[float, float], draw: Callable[["Figure"], None]) -> str:
    """Draw a chart with `draw`; return it as an inline ``<svg>`` that scales to the page width.

    The ``<svg>`` is labelled by the element ``<section_id>-title`` (the section's heading).
    """
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


def brand_colours(brands: Sequence[str]) -> dict[str, str]:
    """A stable colour per brand, in the order of `brands` (all brands, so colours never shift)."""
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
) -> None:
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


def _brand_label(row: Any) -> str:
    return f"{row.display_name} · {row.sector}"


def _percent_formatter():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1, decimals=0)


def sentiment_trend_chart(
    frame: "pd.DataFrame", sectors: Sequence[str], colours: dict[str, str], month: date
) -> str:
    """Net sentiment and share of voice per month, one row of two panels per sector.

    `frame` holds twelve months of sentiment rows (``month`` as timestamps); each
    panel shows the sector's `MAX_LINES_PER_SECTOR` brands with the most mentions in `month`.
    """
    import matplotlib.dates as mdates
    import pandas as pd
    from matplotlib.lines import Line2D

    current = frame[frame["month"] == pd.Timestamp(month)]
    label_x = pd.Timestamp(month) + pd.Timedelta(days=9)
    # Every other month, counted back from the report month so that it is labelled.
    ticks = [pd.Timestamp(month) - pd.DateOffset(months=k) for k in range(10, -1, -2)]

    def draw(figure: "Figure") -> None:
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
                    last = series[series["month"] == pd.Timestamp(month)]
                    if not last.empty and not missing(last[metric].iloc[0]):
                        value = float(last[metric].iloc[0])
                        text = signed(value) if metric == "net_sentiment" else pct(value)
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
                ax.axvline(pd.Timestamp(month), color=ACCENT, lw=0.8, ls=":")
                ax.set_title(f"{sector} · {name}", loc="left")
                ax.set_xticks(ticks)
                ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %y"))
                ax.margins(x=0.02)
                ax.set_xlim(right=pd.Timestamp(month) + pd.Timedelta(days=55))
            handles = [
                Line2D([], [], color=colours.get(b, ACCENT), lw=2, label=n)
                for b, n in zip(in_sector["brand"], in_sector["display_name"], strict=True)
            ]
            axes[row][1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))

    return render_svg("sentiment-trend", (11, 2.6 * len(sectors) + 0.4), draw)


def sentiment_share_chart(frame: "pd.DataFrame") -> str:
    """Stacked negative, neutral and positive shares, one bar per row of `frame`."""

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
                        pct(value),
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if name != "neutral" else "#27313b",
                    )
            left = [a + b for a, b in zip(left, values, strict=True)]
        _bar_labels(ax, list(y), [1.0] * len(frame), [f"n = {count(m)}" for m in frame["mentions"]])
        ax.set_yticks(list(y), [_brand_label(r) for r in frame.itertuples()])
        ax.set_xlim(0, 1.16)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        ax.xaxis.set_major_formatter(_percent_formatter())
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower center", bbox_to_anchor=(0.45, 1.0), ncols=3)

    return render_svg("sentiment-share", (11, 0.36 * len(frame) + 1.1), draw)


def sentiment_adjusted_chart(frame: "pd.DataFrame") -> str:
    """Per row of `frame` and class: the raw share and the adjusted share with its 95% interval.

    One panel per class (negative, neutral, positive) sharing the brands' rows; a hollow
    diamond is the raw share (the model's labels), a dot with error bar the adjusted
    share. A row without adjusted shares shows its raw share only, marked as such.
    """
    from matplotlib.lines import Line2D

    def column(name: str) -> list[float]:
        return [float("nan") if missing(v) else float(v) for v in frame[name]]

    def draw(figure: "Figure") -> None:
        axes = figure.subplots(1, 3, sharey=True, sharex=True)
        y = list(range(len(frame)))
        ends: list[float] = []
        for ax, (name, colour) in zip(axes, ADJUSTED_CLASSES, strict=True):
            raw = column(f"share_{name}")
            adjusted = column(f"share_{name}_adjusted")
            lower = column(f"share_{name}_adjusted_lower_95")
            upper = column(f"share_{name}_adjusted_upper_95")
            # Outlined on top of the adjusted dot, so both show where they coincide.
            ax.scatter(
                raw, y, marker="D", s=30, facecolor="none", edgecolor=RAW, linewidths=1.2, zorder=5
            )
            for i in y:
                if missing(adjusted[i]):
                    end, text = raw[i], "no calibration"
                else:
                    low = lower[i] if not missing(lower[i]) else adjusted[i]
                    high = upper[i] if not missing(upper[i]) else adjusted[i]
                    ax.errorbar(
                        adjusted[i],
                        i,
                        xerr=[[adjusted[i] - low], [high - adjusted[i]]],
                        fmt="o",
                        ms=6,
                        capsize=3,
                        color=colour,
                        lw=1.5,
                        zorder=4,
                    )
                    end = max(high, raw[i]) if not missing(raw[i]) else high
                    text = f"{pct(adjusted[i])} ({pct(low)}–{pct(high)}) · raw {pct(raw[i])}"
                ends.append(0.0 if missing(end) else end)
                ax.annotate(
                    text,
                    xy=(ends[-1], i),
                    xytext=(6, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=8,
                    color="#27313b",
                )
            ax.set_title(f"{name} share", loc="left", color=colour)
            ax.grid(axis="y", visible=False)
        # One scale for the three classes, with room for the labels right of the bars.
        largest = min(max([*ends, 0.05]), 1.0)
        axes[0].set_xlim(0, largest * 1.9 + 0.1)
        axes[0].set_xticks([t for t in axes[0].get_xticks() if 0 <= t <= 1])
        axes[0].xaxis.set_major_formatter(_percent_formatter())
        labels = []
        for row in frame.itertuples():
            label = _brand_label(row)
            if not missing(row.calibrated_messages):
                label += f" · n = {count(row.calibrated_messages)}"
            labels.append(label)
        axes[0].set_yticks(y, labels)
        axes[0].set_ylim(-0.6, len(frame) - 0.4)
        handles = [
            Line2D(
                [], [], marker="D", ls="", mfc="none", mec=RAW, mew=1.2, label="raw: model's labels"
            ),
            Line2D([], [], marker="o", color=RAW, lw=1.5, label="adjusted, with its 95% interval"),
        ]
        figure.legend(handles=handles, loc="outside upper center", ncols=2)

    return render_svg("sentiment-adjusted", (11, 0.4 * len(frame) + 1.3), draw)


def response_chart(response: "pd.DataFrame", messages: "pd.DataFrame") -> str:
    """Left, each brand's first-response times with its accounts' promises; right, SLA attainment.

    `response` has one row per brand shown, `messages` the month's inbound messages.
    """
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
            [f"median {minutes(m)}" for m in response["median_first_response_minutes"]],
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
                f"{pct(v)} · answered {pct(r)}"
                for v, r in zip(response["sla_attainment"], response["response_rate"], strict=True)
            ],
        )
        right.set_xlim(0, 1.45)
        right.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
        right.xaxis.set_major_formatter(_percent_formatter())
        right.set_title("answered within the promise", loc="left")
        right.grid(axis="y", visible=False)

    return render_svg("response", (11, 0.42 * len(response) + 1.3), draw)


def complaints_chart(table: "pd.DataFrame") -> str:
    """Per brand, traditional complaints stacked by channel above its online complaints."""

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
                f"{count(row.traditional_complaints)} traditional",
                f"{count(row.online_complaints)} online",
            ]
            if not missing(row.complaint_to_online_ratio):
                parts.append(f"ratio {row.complaint_to_online_ratio:.2f}")
            if not missing(row.channel_escalation_rate):
                parts.append(f"{pct(row.channel_escalation_rate)} escalate online")
            labels.append(" · ".join(parts))
        _bar_labels(ax, y, ends, labels)
        ax.set_xlim(0, max(ends) * 1.7 if max(ends) > 0 else 1)
        ax.set_yticks(y, [_brand_label(r) for r in table.itertuples()])
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("complaints in the month")
        ax.legend(
            loc="lower center", bbox_to_anchor=(0.45, 1.0), ncols=len(TRADITIONAL_CHANNELS) + 1
        )

    return render_svg("complaints", (11, 0.5 * len(table) + 1.3), draw)


def nps_chart(frame: "pd.DataFrame", colours: dict[str, str]) -> str:
    """NPS per brand with its 95% margin of error; low samples hollow and grey."""

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
                f"{row.nps:+.0f} ± {row.nps_margin_of_error_95:.0f} · n = {count(row.responses)}"
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

    return render_svg("nps", (11, 0.4 * len(frame) + 1.1), draw)


def sentiment_scatter_chart(
    section_id: str,
    frame: "pd.DataFrame",
    month: date,
    month_label: str,
    colours: dict[str, str],
    y_column: str,
    y_label: str,
    y_format: Callable[[float], str],
    y_axis_percent: bool = False,
) -> str:
    """Net sentiment against `y_column` per brand-month, `month` outlined and labelled.

    `frame` holds the brand-months (``month`` as timestamps); a least-squares line
    is drawn when there are at least three points with different sentiment.
    """
    import numpy as np
    import pandas as pd

    current = frame[frame["month"] == pd.Timestamp(month)]

    def draw(figure: "Figure") -> None:
        ax = figure.subplots()
        earlier = frame[frame["month"] != pd.Timestamp(month)]
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
            label=month_label,
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

    return render_svg(section_id, (11, 4.6), draw)


def roi_chart(frame: "pd.DataFrame") -> str:
    """ROI proxy per brand, labelled with its contacted rate and recovery uplift."""

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
            f"{pct(r)} · contacted {pct(c)} · uplift {points(u)}"
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

    return render_svg("roi", (11, 0.42 * len(frame) + 1.2), draw)


def alerts_chart(
    alerts: "pd.DataFrame",
    repeat: "pd.DataFrame",
    brands: "pd.DataFrame",
    month: date,
    month_label: str,
) -> str:
    """Left, the days of `month` with a negative spike; right, repeat complainers per brand.

    `brands` lists the rows to show, top to bottom, with display name and sector.
    """
    import pandas as pd
    from matplotlib.ticker import MaxNLocator

    brands = brands.iloc[::-1].reset_index(drop=True)
    days_of_alerts = pd.to_datetime(alerts["alert_date"]).dt.day
    position = {b: i for i, b in enumerate(brands["brand"])}
    days = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).day

    def draw(figure: "Figure") -> None:
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
                days_of_alerts,
                [position[b] for b in alerts["brand"]],
                s=(alerts["negative_mentions"].astype(float).clip(upper=400) * 1.5 + 30),
                color=NEGATIVE,
                alpha=0.8,
                zorder=3,
            )
            for day, brand, negatives in zip(
                days_of_alerts, alerts["brand"], alerts["negative_mentions"], strict=True
            ):
                left.annotate(
                    count(negatives),
                    xy=(day, position[brand]),
                    xytext=(0, 9),
                    textcoords="offset points",
                    ha="center",
                    fontsize=8,
                )
        left.set_xlim(0.5, days + 0.5)
        left.set_xticks([1, 8, 15, 22, days])
        left.set_xlabel(f"day of {month_label}")
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
                f"{count(c)} · {pct(s)} of negatives" if c else "none"
                for c, s in zip(counts, shares, strict=True)
            ],
        )
        right.set_xlim(0, max([*counts, 1]) * 1.7)
        right.xaxis.set_major_locator(MaxNLocator(integer=True))
        right.set_title("repeat complainers", loc="left")
        right.grid(axis="y", visible=False)

    return render_svg("alerts", (11, 0.45 * len(brands) + 1.4), draw)
