"""How the dashboard's tiles write their numbers (dashboard/kpis.py)."""

import pytest

from dashboard.kpis import KPIS, NO_VALUE, Kpi


def kpi(column: str) -> Kpi:
    return next(kpi for kpi in KPIS if kpi.column == column)


@pytest.mark.parametrize(
    ("column", "value", "text"),
    [
        ("mentions", 1234.0, "1,234"),
        ("mentions", 122.5, "122.5"),
        ("net_sentiment", -0.30177, "-0.30"),
        ("share_of_voice", 0.44223, "44.2%"),
        ("nps", -7.84313, "-7.8"),
        ("response_rate", 1.0, "100.0%"),
        ("median_first_response_minutes", 1078.15, "1,078.2 min"),
        ("complaint_to_online_ratio", 0.36667, "0.37"),
        ("sla_attainment", None, NO_VALUE),
    ],
)
def test_values_read_in_the_kpis_unit(column: str, value: float | None, text: str) -> None:
    assert kpi(column).format(value) == text


@pytest.mark.parametrize(
    ("column", "difference", "text"),
    [
        ("mentions", -80.0, "-80"),
        ("mentions", 0.5, "+0.5"),
        ("share_of_voice", 0.08367, "+8.4 pp"),
        ("median_first_response_minutes", 133.8, "+133.8 min"),
        ("net_sentiment", -0.16, "-0.16"),
        ("nps", 4.26, "+4.3"),
        # Level with the median once rounded: no sign, so the tile shows no arrow.
        ("complaint_to_online_ratio", 0.0004, "0.00"),
        ("response_rate", -0.0001, "0.0 pp"),
        ("mentions", 0.0, "0"),
    ],
)
def test_differences_are_signed_unless_they_round_to_zero(
    column: str, difference: float, text: str
) -> None:
    assert kpi(column).format_difference(difference) == text


def test_every_tile_is_a_distinct_column_and_label() -> None:
    assert len({kpi.column for kpi in KPIS}) == len({kpi.label for kpi in KPIS}) == len(KPIS)
    lower_is_better = {kpi.column for kpi in KPIS if not kpi.higher_is_better}
    assert lower_is_better == {"median_first_response_minutes", "complaint_to_online_ratio"}
