"""The KPI tiles of the dashboard: which column each shows, and how its numbers read.

One `Kpi` per tile, in the order the page shows them. The values come from the
marts (`dashboard.queries`); this module only says what they are called and
how to write them, so the page and its tests format a number the same way.
"""

from dataclasses import dataclass
from typing import Literal

Unit = Literal["count", "share", "minutes", "net", "score", "ratio"]

# What a tile shows where the mart has no value (no inbound messages, no NPS answers).
NO_VALUE = "no data"


@dataclass(frozen=True)
class Kpi:
    """One KPI tile: the mart column it shows and how its value and differences read."""

    column: str
    label: str
    unit: Unit
    higher_is_better: bool
    definition: str

    def format(self, value: float | None) -> str:
        """`value` as the tile writes it, e.g. ``45.7%``, ``78.1 min``, ``1,234``."""
        if value is None:
            return NO_VALUE
        match self.unit:
            case "count":
                return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
            case "share":
                return f"{value:.1%}"
            case "minutes":
                return f"{value:,.1f} min"
            case "net" | "ratio":
                return f"{value:.2f}"
            case "score":
                return f"{value:.1f}"

    def format_difference(self, difference: float) -> str:
        """A signed difference in the KPI's unit, e.g. ``+2.1 pp``, ``-5.0 min``, ``+12``;
        unsigned when it rounds to zero (``0.0 pp``)."""
        match self.unit:
            case "count":
                text = (
                    f"{difference:+,.0f}"
                    if float(difference).is_integer()
                    else f"{difference:+,.1f}"
                )
            case "share":
                text = f"{difference * 100:+.1f} pp"
            case "minutes":
                text = f"{difference:+,.1f} min"
            case "net" | "ratio":
                text = f"{difference:+.2f}"
            case "score":
                text = f"{difference:+.1f}"
        if not any(character in "123456789" for character in text):
            return text.lstrip("+-")
        return text


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "mentions",
        "Mentions",
        "count",
        True,
        "Inbound messages about the brand in the month (fct_sentiment_monthly).",
    ),
    Kpi(
        "net_sentiment",
        "Net sentiment",
        "net",
        True,
        "(positive - negative) / (positive + negative) of the month's inbound mentions.",
    ),
    Kpi(
        "share_of_voice",
        "Share of voice",
        "share",
        True,
        "The brand's mentions / the mentions of every brand in its sector.",
    ),
    Kpi(
        "nps",
        "NPS",
        "score",
        True,
        "100 x (promoters - detractors) / survey responses, -100 to 100.",
    ),
    Kpi(
        "response_rate",
        "Response rate",
        "share",
        True,
        "Inbound messages to the brand's accounts answered within the response window "
        "(72 h by default) / inbound messages.",
    ),
    Kpi(
        "median_first_response_minutes",
        "Median first response",
        "minutes",
        False,
        "Median calendar minutes from an answered inbound message to its first brand reply.",
    ),
    Kpi(
        "sla_attainment",
        "SLA attainment",
        "share",
        True,
        "Inbound messages answered within the account's promised response time / inbound "
        "messages (unanswered ones count as missed).",
    ),
    Kpi(
        "complaint_to_online_ratio",
        "Complaint-to-online ratio",
        "ratio",
        False,
        "Online complaints (inbound messages scored negative) per traditional complaint.",
    ),
)
