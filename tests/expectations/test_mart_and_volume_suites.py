"""The published-mart suites (naming convention, grain, spine) and the volume anomaly suite."""

import functools
import random
import tempfile
from datetime import date, datetime

import pandas as pd
import pytest

from assets.dbt import dbt_project, mart_primary_keys
from expectations.suites import marts, volume
from expectations.window import MonthWindow
from warehouse.settings import Settings

MONTHS = [pd.Timestamp("2010-01-01"), pd.Timestamp("2010-02-01")]
BRANDS = ["bank_a", "bank_b"]


def spine() -> pd.DataFrame:
    return pd.DataFrame(
        [(b, m) for b in BRANDS for m in MONTHS], columns=["brand", "reporting_month"]
    )


def sentiment_monthly() -> pd.DataFrame:
    """A small fct_sentiment_monthly-like mart covering the spine."""
    frame = spine()
    frame["sector"] = "banks"
    frame["mentions"] = pd.array([40, 0, 10, 25], dtype="int64")
    frame["share_positive"] = [0.5, None, 0.2, 0.4]
    frame["share_of_voice"] = [0.8, None, 0.2, 1.0]
    frame["net_sentiment"] = [0.25, None, -1.0, 0.1]
    frame["net_sentiment_formula"] = "polar"
    frame["median_first_response_minutes"] = [12.5, None, 0.0, 30.0]
    frame["complaint_to_online_ratio"] = [2.0, None, 0.0, 0.5]
    frame["nps"] = [-100.0, None, 35.0, 100.0]
    frame["nps_margin_of_error_95"] = [10.0, None, 4.5, 0.0]
    frame["sla_attainment"] = [1.0, 0.0, 0.5, None]
    frame["recovery_rate_contacted"] = [0.3, None, None, 0.0]
    frame["assumption_response_window_hours"] = 72
    frame["is_low_volume"] = [False, True, True, True]
    return frame


@functools.cache
def mart_grains() -> dict[str, tuple[str, ...]]:
    """The marts' key columns as production's checks get them: from the dbt manifest."""
    return mart_primary_keys(dbt_project(Settings.from_env(tempfile.mkdtemp())))


def run(gx_session, mart: str, frame: pd.DataFrame, with_spine: bool = True):
    if with_spine:
        frame = marts.spine_flags(frame, spine())
    suite = marts.build_suite(mart, dict(frame.dtypes), spine=with_spine)
    return gx_session.validate(frame, suite, index_columns=mart_grains()[mart])


def set_cell(frame, row, column, value):
    frame = frame.copy()
    frame.loc[row, column] = value
    return frame


def test_valid_brand_month_mart_passes(gx_session):
    outcome = run(gx_session, "fct_sentiment_monthly", sentiment_monthly())
    assert outcome.failed_rules() == []
    rules = {
        e.description
        for e in marts.build_suite(
            "fct_sentiment_monthly",
            dict(marts.spine_flags(sentiment_monthly(), spine()).dtypes),
            spine=True,
        ).expectations
    }
    # The convention picks each column's domain; text, booleans and assumptions get none.
    assert {
        "share_positive is a share in [0, 1]",
        "share_of_voice is a share in [0, 1]",
        "sla_attainment is a share in [0, 1]",
        "recovery_rate_contacted is a share in [0, 1]",
        "net_sentiment is a sentiment in [-1, 1]",
        "nps is an NPS in [-100, 100]",
        "nps_margin_of_error_95 is never negative",
        "median_first_response_minutes is never negative",
        "complaint_to_online_ratio is never negative",
        "mentions is a count, never negative",
    } <= rules
    # The primary key is dbt's (STYLE.md rule 4): no uniqueness rule here.
    assert not any("unique" in r for r in rules)
    assert not any(
        r.startswith(("assumption_", "is_low_volume", "sector", "net_sentiment_formula"))
        for r in rules
    )


BREAKS = [
    (lambda f: set_cell(f, 0, "share_positive", 1.2), ["share_positive is a share in [0, 1]"]),
    (lambda f: set_cell(f, 2, "nps", 120.0), ["nps is an NPS in [-100, 100]"]),
    (
        lambda f: set_cell(f, 0, "median_first_response_minutes", -3.0),
        ["median_first_response_minutes is never negative"],
    ),
    (lambda f: set_cell(f, 0, "mentions", -1), ["mentions is a count, never negative"]),
    (lambda f: set_cell(f, 0, "net_sentiment", 1.5), ["net_sentiment is a sentiment in [-1, 1]"]),
    (
        lambda f: set_cell(f, 3, "reporting_month", pd.Timestamp("2010-01-01")),
        ["every brand-month of dim_months x dim_brands has a row in fct_sentiment_monthly"],
    ),
    (
        lambda f: f.drop(index=1),
        ["every brand-month of dim_months x dim_brands has a row in fct_sentiment_monthly"],
    ),
    (
        lambda f: set_cell(f, 0, "brand", "bank_z"),
        [
            "every brand-month of dim_months x dim_brands has a row in fct_sentiment_monthly",
            "every row of fct_sentiment_monthly is a brand-month of dim_months x dim_brands",
        ],
    ),
]


@pytest.mark.parametrize(("breaks", "failed"), BREAKS)
def test_mart_rule_breaks(gx_session, breaks, failed):
    outcome = run(gx_session, "fct_sentiment_monthly", breaks(sentiment_monthly()))
    assert sorted(outcome.failed_rules()) == sorted(failed)
    assert outcome.severity == "error"


def test_a_missing_brand_month_is_named(gx_session):
    outcome = run(gx_session, "fct_sentiment_monthly", sentiment_monthly().drop(index=1))
    [failure] = outcome.failures
    assert failure.examples == (
        {"in_mart": False, "brand": "bank_a", "reporting_month": "2010-02-01T00:00:00"},
    )


def test_correlation_mart_has_no_spine_and_bounded_coefficients(gx_session):
    frame = pd.DataFrame(
        {
            "scope_type": ["all", "sector"],
            "scope": ["all", "banks"],
            "lag_months": pd.array([0, 1], dtype="int32"),
            "sentiment_measure": ["net_sentiment"] * 2,
            "outcome_measure": ["nps"] * 2,
            "n_brand_months": pd.array([40, 12], dtype="int64"),
            "pearson_r": [0.6, -0.2],
            "spearman_rho": [0.5, -1.0],
            "pearson_r_ci_lower_95": [0.3, -0.7],
            "pearson_r_ci_upper_95": [0.8, 0.4],
        }
    )
    mart = "fct_sentiment_nps_correlation"
    assert not marts.needs_spine(mart, frame.columns)
    assert run(gx_session, mart, frame, with_spine=False).passed
    broken = set_cell(set_cell(frame, 0, "pearson_r_ci_upper_95", 1.01), 1, "n_brand_months", -2)
    outcome = run(gx_session, mart, broken, with_spine=False)
    assert sorted(outcome.failed_rules()) == [
        "n_brand_months is a count, never negative",
        "pearson_r_ci_upper_95 is a correlation in [-1, 1]",
    ]
    failure = next(f for f in outcome.failures if f.columns == ("n_brand_months",))
    assert failure.examples == (
        {"n_brand_months": -2, "scope_type": "sector", "scope": "banks", "lag_months": 1},
    )


def test_benchmark_ranks_are_not_mistaken_for_rates(gx_session):
    frame = spine().assign(
        response_rate=[0.5, 0.4, 0.9, 1.0],
        sector_median_response_rate=[0.45, 0.45, 0.95, 0.95],
        sector_rank_response_rate=pd.array([1, 2, 2, 1], dtype="int64"),
        net_sentiment=[0.1, -0.2, 0.3, 0.0],
        sector_rank_net_sentiment=pd.array([2, 1, 1, 2], dtype="int64"),
    )
    assert run(gx_session, "fct_brand_benchmark_monthly", frame).passed
    broken = set_cell(frame, 0, "sector_rank_net_sentiment", 0)
    assert run(gx_session, "fct_brand_benchmark_monthly", broken).failed_rules() == [
        "sector_rank_net_sentiment is a rank, at least 1"
    ]


def test_mart_grain_by_name_and_columns():
    columns = ["brand", "reporting_month", "monthly_return"]
    assert marts.needs_spine("fct_sentiment_stock_monthly", columns)
    assert not marts.needs_spine("fct_negative_spike_alerts", [*columns, "reporting_date"])


def test_an_empty_mart_warns(gx_session):
    frame = sentiment_monthly().iloc[0:0]
    outcome = run(gx_session, "fct_sentiment_monthly", frame, with_spine=False)
    assert outcome.failed_rules() == ["fct_sentiment_monthly is not empty"]
    assert outcome.severity == "warn"


# Volume anomalies ------------------------------------------------------------

JUNE = MonthWindow(months=(date(2010, 6, 1),), now=datetime(2011, 1, 1))


def counts(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(b, pd.Timestamp(m), v) for b, m, v in rows], columns=["brand", "month", "volume"]
    )


def history(june: dict[str, int]) -> tuple[pd.DataFrame, list[date]]:
    """bank_a: 100..160 a month since January; bank_b: only two earlier months."""
    volumes = (100, 120, 160, 140, 110)
    rows = [("bank_a", f"2010-0{m}-01", v) for m, v in enumerate(volumes, start=1)]
    rows += [("bank_b", "2010-04-01", 50), ("bank_b", "2010-05-01", 60)]
    rows += [(brand, "2010-06-01", v) for brand, v in june.items()]
    months = [date(2010, m, 1) for m in range(1, 7)]
    return counts(rows), months


def volume_outcome(gx_session, june: dict[str, int], factor: float = 2.0):
    frame = volume.prepare(*history(june), JUNE, factor)
    outcome = gx_session.validate(
        frame,
        volume.build_suite("raw.mentions", factor),
        index_columns=("brand", "month", "trailing_min", "trailing_max"),
    )
    return frame, outcome


def test_trailing_range_of_each_brand():
    frame = volume.prepare(*history({"bank_a": 70, "bank_b": 55}), JUNE, 2.0)
    a = frame.set_index("brand").loc["bank_a"]
    assert (a.volume, a.trailing_months, a.trailing_min, a.trailing_max) == (70, 5, 100, 160)
    assert (a.lower_bound, a.upper_bound) == (50.0, 320.0)
    b = frame.set_index("brand").loc["bank_b"]
    # Two trailing months are too few to judge: no bounds.
    assert b.trailing_months == 2 and pd.isna(b.lower_bound) and pd.isna(b.upper_bound)


def test_a_month_within_the_stretched_range_passes(gx_session):
    _, outcome = volume_outcome(gx_session, {"bank_a": 50, "bank_b": 1})
    assert outcome.passed


def test_half_an_export_lost_warns_and_names_the_brand_month(gx_session):
    _, outcome = volume_outcome(gx_session, {"bank_a": 49, "bank_b": 55})
    assert outcome.severity == "warn"
    [failure] = outcome.failures
    assert (
        failure.rule == "a brand's monthly volume is at least its trailing 12 months' minimum / 2"
    )
    assert failure.examples == (
        {
            "volume": 49,
            "lower_bound": 50.0,
            "brand": "bank_a",
            "month": "2010-06-01T00:00:00",
            "trailing_min": 100,
            "trailing_max": 160,
        },
    )


def test_a_burst_above_the_range_warns(gx_session):
    _, outcome = volume_outcome(gx_session, {"bank_a": 321}, factor=2.0)
    assert outcome.failed_rules() == [
        "a brand's monthly volume is at most its trailing 12 months' maximum x 2"
    ]


def test_a_brand_missing_from_the_month_counts_as_zero(gx_session):
    frame, outcome = volume_outcome(gx_session, {"bank_b": 55})
    assert frame.set_index("brand").loc["bank_a", "volume"] == 0
    assert outcome.failures[0].examples[0]["brand"] == "bank_a"


def test_only_loaded_months_with_rows_count_as_history():
    rows, _ = history({"bank_a": 100})
    # January to March were never loaded: bank_a keeps only two trailing months.
    frame = volume.prepare(rows, [date(2010, 4, 1), date(2010, 5, 1), date(2010, 6, 1)], JUNE, 2.0)
    assert frame.set_index("brand").loc["bank_a", "trailing_months"] == 2
    assert volume.history_start(JUNE) == date(2009, 6, 1)


def test_a_brand_too_quiet_to_tell_chance_from_loss_is_not_judged(gx_session):
    months = [date(2010, m, 1) for m in range(1, 7)]
    # bank_a: 2 to 4 rows a month, then none; bank_b: 10 to 30, then 4
    rows = [("bank_a", f"2010-0{m}-01", v) for m, v in enumerate((2, 4, 3, 2, 4), start=1)]
    rows += [("bank_b", f"2010-0{m}-01", v) for m, v in enumerate((10, 30, 20, 12, 25), start=1)]
    rows += [("bank_b", "2010-06-01", 4)]
    frame = volume.prepare(counts(rows), months, JUNE, 2.0).set_index("brand")
    assert frame.loc["bank_a", "volume"] == 0 and pd.isna(frame.loc["bank_a", "lower_bound"])
    # at the smallest judged minimum, 10, the range holds
    assert frame.loc["bank_b", "lower_bound"] == 5.0
    outcome = gx_session.validate(
        frame.reset_index(),
        volume.build_suite("raw.complaints", 2.0),
        index_columns=("brand", "month", "trailing_min", "trailing_max"),
    )
    assert [e["brand"] for f in outcome.failures for e in f.examples] == ["bank_b"]


def test_months_after_the_sources_newest_month_are_not_judged(gx_session):
    rows, months = history({"bank_a": 120, "bank_b": 55})
    july_august = MonthWindow(months=(date(2010, 6, 1), date(2010, 7, 1), date(2010, 8, 1)))
    # the source's rows end in June: July and August are not months it lost
    frame = volume.prepare(rows, months, july_august, 2.0)
    assert sorted(frame["month"].dt.date.unique()) == [date(2010, 6, 1)]
    # a month without rows between two with rows (a lost file) is judged
    later = counts([("bank_a", "2010-08-01", 130)])
    frame = volume.prepare(pd.concat([rows, later]), [*months, date(2010, 8, 1)], july_august, 2.0)
    july = frame[frame["month"].dt.date == date(2010, 7, 1)].set_index("brand")
    assert july.loc["bank_a", "volume"] == 0 and july.loc["bank_a", "lower_bound"] == 50.0
    # so is one of a window that ends before the source's newest month
    frame = volume.prepare(rows, months, july_august, 2.0, newest_month=date(2010, 9, 1))
    assert sorted(frame["month"].dt.date.unique()) == list(july_august.months)


def _trailing_by_hand(counts_rows, loaded, window, factor):
    """Each brand-month of `window` counted the plain way, one brand and month at a time."""
    volumes = {(brand, month): volume for brand, month, volume in counts_rows}
    rows = []
    newest = max(loaded, default=None)
    for brand in sorted({brand for brand, _, _ in counts_rows if brand is not None}):
        for month in window.months:
            if newest is None or month > newest:
                continue  # the source has no rows that late
            start = date(month.year - 1, month.month, 1)
            trailing = [
                volume
                for b, seen, volume in counts_rows
                if b == brand and seen in loaded and volume > 0 and start <= seen < month
            ]
            enough = len(trailing) >= 3 and min(trailing) >= 10
            low, high = (min(trailing), max(trailing)) if enough else (None, None)
            rows.append(
                (
                    brand,
                    month,
                    volumes.get((brand, month), 0),
                    len(trailing),
                    low,
                    high,
                    low / factor if enough else None,
                    high * factor if enough else None,
                )
            )
    return rows


def test_trailing_ranges_equal_a_month_by_month_count_on_random_histories():
    brands = ["bank_a", "bank_b", "telco_c", None]
    rng = random.Random(14)

    def month(index: int) -> date:
        return date(2010 + index // 12, index % 12 + 1, 1)

    for _ in range(40):
        first, length = rng.randint(0, 24), rng.randint(1, 18)
        window = MonthWindow(tuple(month(first + 12 + k) for k in range(length)))
        counts_rows = [
            (rng.choice(brands), month(i), rng.choice([0, 1, 7, 9, 10, 450]))
            for i in range(first, first + 12 + length)
            for _ in range(2)
        ]
        counts_rows = list({(b, m): (b, m, v) for b, m, v in counts_rows}.values())
        loaded = {month(i) for i in range(first, first + 12 + length) if rng.random() < 0.85}
        factor = rng.choice([1.5, 2.0, 3.0])
        frame = volume.prepare(
            counts([(b, m.isoformat(), v) for b, m, v in counts_rows]), loaded, window, factor
        )
        got = [
            tuple(None if pd.isna(value) else value for value in row)
            for row in frame.assign(month=frame["month"].dt.date).itertuples(index=False)
        ]
        assert got == _trailing_by_hand(counts_rows, loaded, window, factor)
