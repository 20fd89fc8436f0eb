"""The marts recover what the demo generator planted (truth.json of the small demo).

The warehouse is the session fixture `demo_home` (tests/conftest.py): the small demo
(seed 7, 24 months, about 4,000 mentions) through `webcare run`, with the real
sentiment model. Two kinds of checks:

- Whatever does not depend on the sentiment model (volumes, NPS, response clocks,
  replies, complaints, prices) must match the truth exactly, up to the rounding
  truth.json applies (medians to 3 decimals, rates to 4, resolution hours to 2).
- Whatever rests on the model's labels is compared within tolerances argued next
  to each assertion.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from decimal import Decimal

import duckdb
import pytest

from .conftest import pearson
from .test_marts_exact import cents

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def truth(demo_home) -> dict:
    """truth.json of the demo home."""
    return json.loads((demo_home / "truth.json").read_text())


@pytest.fixture(scope="module")
def warehouse(demo_home):
    """A read-only connection to the demo warehouse built by `webcare run`."""
    con = duckdb.connect(str(demo_home / "warehouse.duckdb"), read_only=True)
    yield con
    con.close()


def _query(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _month(value) -> str:
    return value.strftime("%Y-%m")


def test_mentions_and_nps_per_brand_month_are_exact(warehouse, truth):
    """Inbound volume and NPS do not depend on the sentiment model: exact."""
    sentiment = _query(warehouse, "select * from marts.fct_sentiment_monthly")
    assert len(sentiment) == len(truth["brands"]) * len(truth["months"])
    for row in sentiment:
        planted = truth["sentiment"][row["brand"]][_month(row["reporting_month"])]
        assert row["mentions"] == planted["mentions"], row
    for row in _query(warehouse, "select * from marts.fct_nps_monthly"):
        planted = truth["nps"][row["brand"]].get(_month(row["reporting_month"]))
        if planted is None:
            assert row["responses"] == 0
            continue
        counts = (row["responses"], row["promoters"], row["passives"], row["detractors"])
        assert counts == (
            planted["responses"],
            planted["promoters"],
            planted["passives"],
            planted["detractors"],
        )
        assert row["nps"] == pytest.approx(planted["nps"], abs=1e-6)


def test_response_clocks_per_account_and_month_are_exact(warehouse, truth):
    """Reply delays were planted per account on its own clock (calendar or business
    hours, with DST); the marts measure them from the message timestamps alone."""
    measured = _query(
        warehouse,
        """
        select
            account_handle,
            reporting_month,
            count(*) as inbound_messages,
            count(first_response_at) as answered,
            count(case when is_answered_within_window then 1 end) as answered_within_72h,
            count(case when is_within_promise then 1 end) as within_promise,
            median(first_response_minutes) as median_minutes,
            median(first_response_business_minutes) as median_business_minutes,
            avg(case when is_answered_within_1h then 1.0 else 0.0 end) as share_1h
        from marts.fct_inbound_messages
        group by account_handle, reporting_month
        """,
    )
    planted_cells = {
        (handle, month): cell
        for handle, account in truth["accounts"].items()
        for month, cell in account.get("realised_by_month", {}).items()
        if cell["inbound_messages"] > 0
    }
    assert {(r["account_handle"], _month(r["reporting_month"])) for r in measured} == set(
        planted_cells
    )
    for row in measured:
        planted = planted_cells[(row["account_handle"], _month(row["reporting_month"]))]
        assert (
            row["inbound_messages"],
            row["answered"],
            row["answered_within_72h"],
            row["within_promise"],
        ) == (
            planted["inbound_messages"],
            planted["answered"],
            planted["answered_within_72h"],
            planted["within_promise"],
        ), row
        if planted["answered"]:
            assert row["median_minutes"] == pytest.approx(
                planted["median_first_response_minutes"], abs=1e-3
            )
            assert row["median_business_minutes"] == pytest.approx(
                planted["median_first_response_business_minutes"], abs=1e-3
            )
        assert row["share_1h"] == pytest.approx(planted["share_answered_within_1h"], abs=5e-5)


def test_replies_bots_and_signatures_per_brand_month_are_exact(warehouse, truth):
    """Human replies, bot replies and signed replies (personalisation) as planted, each
    counted in the month of the reply (truth groups brand rows by their own month)."""
    for row in _query(warehouse, "select * from marts.fct_webcare_response_monthly"):
        planted = truth["webcare"][row["brand"]][_month(row["reporting_month"])]
        assert row["human_replies"] == planted["brand_replies"]
        assert row["automated_replies"] == planted["bot_replies"]
        assert row["brand_replies"] == planted["brand_replies"] + planted["bot_replies"]
        assert row["personalised_replies"] == planted["signed_replies"]
        if planted["brand_replies"]:
            assert row["personalisation_rate"] == pytest.approx(
                planted["signed_replies"] / planted["brand_replies"], abs=1e-12
            )
        signing = truth["brands"][row["brand"]]["personalised_replies"]
        if not signing:
            assert row["personalised_replies"] == 0


def test_complaints_per_channel_are_exact(warehouse, truth):
    channels = ("phone", "email", "letter", "webform", "store", "other")
    for row in _query(warehouse, "select * from marts.fct_complaint_channels_monthly"):
        planted = truth["complaints"][row["brand"]][_month(row["reporting_month"])]
        assert row["traditional_complaints"] == planted["total"]
        assert {c: row[f"{c}_complaints"] for c in channels} == planted["channels"]
        assert row["complainants_with_social_identity"] == planted["social_customers"]
        assert row["resolved_traditional_complaints"] == planted["resolved"]
        if planted["resolved"]:
            assert row["median_resolution_hours"] == pytest.approx(
                planted["median_resolution_hours"], abs=0.006
            )


def test_month_end_prices_returns_and_market_caps_are_exact(warehouse, truth):
    """Prices and market caps are money: DECIMAL(18,2), the planted amounts rounded to
    cents. The return is computed from the unrounded adjusted closes."""
    rows = _query(warehouse, "select * from marts.fct_sentiment_stock_monthly where is_listed")
    assert rows
    for row in rows:
        planted = truth["stock"][row["brand"]]["months"][_month(row["reporting_month"])]
        shares = truth["brands"][row["brand"]]["shares_outstanding"]
        assert str(row["month_end_date"]) == planted["month_end_date"]
        money = ("month_end_close", "month_end_unadjusted_close", "market_cap")
        assert all(isinstance(row[column], Decimal) for column in money), row
        assert row["month_end_close"] == cents(planted["month_end_adj_close"])
        assert row["month_end_unadjusted_close"] == cents(planted["month_end_close"])
        assert row["market_cap"] == cents(planted["month_end_adj_close"] * shares)
        if planted["monthly_return"] is None:
            assert row["monthly_return"] is None
        else:
            assert row["monthly_return"] == pytest.approx(planted["monthly_return"], abs=1e-7)


def test_measured_sentiment_follows_the_planted_sentiment(warehouse, truth):
    """Measured labels come from the model, so shares match the truth only as well as
    the model classifies. models/sentiment/MODEL_CARD.md reports held-out macro-recall
    0.80 (English) and macro-F1 0.74 (Dutch); errors move messages between classes in
    both directions, so a brand's share of a class over its 24 months (about 470
    messages) moves far less than the error rate: each must lie within 0.10 of the
    truth. Across brand-months, measured net sentiment must follow the true net
    sentiment at r >= 0.8: the planted differences between brands (-0.5 to +0.1),
    months and the crisis are large against the label noise."""
    rows = _query(warehouse, "select * from marts.fct_sentiment_monthly")
    measured: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    planted: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    pairs = []
    for row in rows:
        cell = truth["sentiment"][row["brand"]][_month(row["reporting_month"])]
        for label in ("positive", "neutral", "negative", "mentions"):
            measured[row["brand"]][label] += row[label]
            planted[row["brand"]][label] += cell[label]
        if row["net_sentiment"] is not None and cell["net_sentiment"] is not None:
            pairs.append((row["net_sentiment"], cell["net_sentiment"]))
    for brand, counts in measured.items():
        for label in ("positive", "neutral", "negative"):
            share = counts[label] / counts["mentions"]
            true_share = planted[brand][label] / planted[brand]["mentions"]
            assert abs(share - true_share) <= 0.10, (brand, label, share, true_share)
    assert pearson([m for m, _ in pairs], [t for _, t in pairs]) >= 0.8


def test_the_crisis_and_only_the_crisis_raises_spike_alerts(warehouse, truth):
    """The planted crisis (a burst of negatives on a few days) must alert. Outside
    the crisis days no brand ever gets as many inbound messages in a day as the
    minimum count (checked below), so a false alert elsewhere is impossible whatever
    the model labels; on the crisis days the burst is 1.5 to 2 times the minimum, so
    misclassifying a third of it still alerts on the first day."""
    crisis = truth["crisis"]
    crisis_days = set(crisis["days"])
    busiest_other_day = warehouse.execute(
        "select max(n) from (select brand, reporting_date, count(*) as n "
        "from intermediate.int_inbound_mentions group by brand, reporting_date) "
        f"where not (brand = '{crisis['brand']}' and strftime(reporting_date, '%Y-%m-%d') in "
        f"({', '.join(repr(d) for d in crisis_days)}))"
    ).fetchone()[0]
    assert busiest_other_day < crisis["spike_rule"]["min_count"]
    alerts = _query(warehouse, "select * from marts.fct_negative_spike_alerts where is_alert")
    alert_days = {(a["brand"], str(a["reporting_date"])) for a in alerts}
    assert alert_days, "the crisis raised no alert"
    assert alert_days <= {(crisis["brand"], day) for day in crisis_days}
    first_day = min(crisis_days)
    assert (crisis["brand"], first_day) in alert_days
    assert {_month(a["reporting_month"]) for a in alerts} == {crisis["month"]}


def test_recovery_rates_follow_the_planted_roi_model(warehouse, truth):
    """Contacted negative posters recover far more often than uncontacted ones
    (planted 0.33 against 0.07). Who counts as a negative poster depends on the model,
    so the pooled measured rates may differ from the pooled true rates; with about
    300 posters per group the sampling error is about 0.025, and 0.10 allows label
    noise on top of four such errors."""
    measured = _query(
        warehouse,
        """
        select
            sum(recovered_contacted_posters) * 1.0 / sum(contacted_negative_posters) as contacted,
            sum(recovered_uncontacted_posters) * 1.0 / sum(uncontacted_negative_posters)
                as uncontacted
        from marts.fct_webcare_roi_monthly
        """,
    )[0]
    cells = [cell for brand in truth["roi"].values() for cell in brand.values()]
    contacted = sum(c["contacted"] for c in cells)
    uncontacted = sum(c["negative_posters"] - c["contacted"] for c in cells)
    true_contacted = sum(c["recovered_contacted"] for c in cells) / contacted
    true_uncontacted = sum(c["recovered_uncontacted"] for c in cells) / uncontacted
    assert measured["contacted"] == pytest.approx(true_contacted, abs=0.10)
    assert measured["uncontacted"] == pytest.approx(true_uncontacted, abs=0.10)
    assert measured["contacted"] - measured["uncontacted"] > 0.1


def test_webcare_cost_counts_the_planted_human_replies_exactly(warehouse, truth):
    """The ROI cost is the human replies of the month x cost_per_reply (4.0): replies do
    not depend on the model, so cost and reply counts match the truth exactly, and the
    auto-responder's replies are counted beside them at no cost."""
    for row in _query(warehouse, "select * from marts.fct_webcare_roi_monthly"):
        planted = truth["webcare"][row["brand"]][_month(row["reporting_month"])]
        assert (row["human_replies"], row["automated_replies"]) == (
            planted["brand_replies"],
            planted["bot_replies"],
        ), row
        assert isinstance(row["webcare_cost"], Decimal), row
        assert row["webcare_cost"] == cents(planted["brand_replies"] * 4.0)
        assert row["assumption_cost_per_reply"] == cents(4.0)


def test_contacted_rate_per_brand_follows_the_planted_human_contact(warehouse, truth):
    """Contacted = a negative poster got a human brand reply (truth.roi_truth); the
    auto-responder's replies (DuinNet_Auto answers every message of its desk within a
    minute) are no contact. Who counts as a negative poster rests on the model's labels,
    so per brand-month (about four posters) the counts cannot match exactly; pooled over
    the 24 months per brand they can be compared. A label error drops a true negative
    poster (contacted as often as the others) or adds one whose messages are neutral or
    positive, which the same desks answer with 0.85 or 0.6 times a negative message's
    probability (accounts[*].delay.answer_probability_by_label). Every brand's measured
    poster count lies within a quarter of the planted one (checked below), so even if
    every differing poster were an added positive one the pooled rate would move by at
    most 0.25 x 0.4 x rate <= 0.07 at the highest planted rate (0.68). 0.07 covers that
    worst case; counting the auto-replies as contact raised the auto-responder brand's
    rate by 0.24 on this demo."""
    measured = _query(
        warehouse,
        """
        select brand, sum(negative_posters) as posters,
            sum(contacted_negative_posters) as contacted
        from marts.fct_webcare_roi_monthly
        group by brand
        """,
    )
    assert {row["brand"] for row in measured} == set(truth["roi"])
    bot_brands = {a["brand"] for a in truth["accounts"].values() if a["is_bot"]}
    assert bot_brands, "the demo plants an auto-responder"
    for row in measured:
        cells = truth["roi"][row["brand"]].values()
        planted_posters = sum(c["negative_posters"] for c in cells)
        planted_contacted = sum(c["contacted"] for c in cells)
        assert abs(row["posters"] - planted_posters) <= 0.25 * planted_posters, row
        assert row["contacted"] / row["posters"] == pytest.approx(
            planted_contacted / planted_posters, abs=0.07
        ), row


@pytest.fixture(scope="module")
def all_months_correlations(demo_home, dbt_invoke, tmp_path_factory):
    """The correlation marts rebuilt on a copy of the demo warehouse with every month
    counted: the small demo has about ten mentions per brand-month, below the default
    volume threshold of 30, so the published correlations hold only three months."""
    work_dir = tmp_path_factory.mktemp("planted_correlations")
    copy = work_dir / "warehouse.duckdb"
    shutil.copyfile(demo_home / "warehouse.duckdb", copy)
    result = dbt_invoke(
        ["run", "--select", "fct_sentiment_monthly+", "fct_nps_monthly+"],
        copy,
        work_dir,
        {"min_mentions_for_kpi": 1, "min_nps_responses": 1},
    )
    assert result.success, result.exception
    con = duckdb.connect(str(copy))
    yield con
    con.close()


def test_sentiment_nps_correlation_has_the_planted_sign_and_size(all_months_correlations, truth):
    """NPS was planted as alpha + beta x true net sentiment + noise (true r about 0.9
    over all brand-months). Label noise and the sampling noise of about ten mentions
    per brand-month attenuate the measured correlation: r must be at least 0.6 with
    an interval above 0, and the mart's r must equal a plain Pearson r over the
    monthly mart."""
    planted = truth["correlations"]["sentiment_nps"]["lag0"]["all_brand_months"]
    assert planted["pearson_r"] > 0.8
    row = _query(
        all_months_correlations,
        "select * from marts.fct_sentiment_nps_correlation where scope = 'all' and lag_months = 0",
    )[0]
    assert row["pearson_r"] >= 0.6
    assert row["pearson_r_ci_lower_95"] > 0
    pairs = all_months_correlations.execute(
        "select net_sentiment, nps from marts.fct_sentiment_nps_monthly "
        "where net_sentiment is not null and nps is not null"
    ).fetchall()
    assert row["n_brand_months"] == len(pairs)
    assert row["pearson_r"] == pytest.approx(
        pearson([x for x, _ in pairs], [y for _, y in pairs]), abs=1e-9
    )


def test_sentiment_return_correlation_has_the_planted_sign(all_months_correlations, truth):
    """Monthly returns were planted partly driven by sentiment (true r about 0.85 over
    listed brand-months); attenuated by the same noise as above, the measured
    same-month correlation must be at least 0.5 with an interval above 0."""
    planted = truth["correlations"]["sentiment_return"]["lag0"]["all_brand_months"]
    assert planted["pearson_r"] > 0.5
    row = _query(
        all_months_correlations,
        "select * from marts.fct_sentiment_stock_correlation where correlation_id = "
        "'time_series|net_sentiment|monthly_return|all|all|0|all months'",
    )[0]
    assert row["n_brand_months"] == planted["n_brand_months"]
    assert row["pearson_r"] >= 0.5
    assert row["pearson_r_ci_lower_95"] > 0
