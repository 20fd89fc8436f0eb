"""Every KPI of the marts on the hand-written fixture (conftest.py), computed by hand here.

Message ids (a1, h1, b2, t1, ...) refer to the MENTIONS list in conftest.py. The fixture
build lowers min_mentions_for_kpi to 3 and min_nps_responses to 2; every other
assumption has its documented default (72 h window, promise 120, 14 escalation days,
30 recovery days, 250 per customer, 4.0 per reply, spikes: 28 days, 3 sigma, 10 min).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest

from .conftest import pearson

MARCH = date(2011, 3, 1)
APRIL = date(2011, 4, 1)
BRAND_MONTHS = {(b, m) for b in ("bank_a", "bank_b", "tel_a") for m in (MARCH, APRIL)}


def cents(amount: float) -> Decimal:
    """Money as the marts' contract publishes it: decimal(18, 2), half away from zero."""
    return Decimal(repr(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def utc(*parts: int) -> datetime:
    """An instant given in UTC: the marts' `_at` columns are timestamp with time zone."""
    return datetime(*parts, tzinfo=UTC)


def _rows(fixture_build, sql: str) -> list[dict]:
    with fixture_build.connect() as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _by_brand_month(fixture_build, mart: str) -> dict[tuple[str, date], dict]:
    rows = _rows(fixture_build, f"select * from marts.{mart}")
    keyed = {(r["brand"], r["reporting_month"]): r for r in rows}
    assert len(keyed) == len(rows)
    assert set(keyed) == BRAND_MONTHS, f"{mart} must hold every brand-month of the spine"
    return keyed


def _check(row: dict, expected: dict) -> None:
    for column, value in expected.items():
        actual = row[column]
        if isinstance(value, float) and actual is not None:
            assert actual == pytest.approx(value, rel=1e-9, abs=1e-12), column
        elif isinstance(value, Decimal):
            # A float would compare equal to its Decimal: the type is part of the contract.
            assert isinstance(actual, Decimal), (column, actual)
            assert actual == value and actual.as_tuple().exponent == -2, (column, actual)
        else:
            assert actual == value, column


def _average_ranks(values: list[float]) -> list[float]:
    ordered = sorted(values)
    return [ordered.index(v) + 1 + (ordered.count(v) - 1) / 2 for v in values]


def test_sentiment_shares_net_sentiment_and_share_of_voice(fixture_build):
    marts = _by_brand_month(fixture_build, "fct_sentiment_monthly")
    # bank_a March: a3, a6 (thread-derived brand), a13 positive; a2, a7 neutral;
    # a1, a4, a5, a12 negative. a11 (2011-03-31 22:30 UTC) is April in Amsterdam.
    # Scores: positive 0.80 - 0.05 = 0.75, neutral 0, negative 0.05 - 0.85 = -0.80.
    _check(
        marts[("bank_a", MARCH)],
        {
            "mentions": 9,
            "scored_mentions": 9,
            "positive": 3,
            "neutral": 2,
            "negative": 4,
            "share_positive": 3 / 9,
            "share_neutral": 2 / 9,
            "share_negative": 4 / 9,
            "net_sentiment": (3 - 4) / (3 + 4),
            "net_sentiment_formula": "polar",
            "mean_sentiment_score": (3 * 0.75 - 4 * 0.80) / 9,
            "sector_mentions": 9 + 4,
            "share_of_voice": 9 / 13,
            "negative_share_of_voice": 4 / (4 + 1),
            "is_low_volume": False,
        },
    )
    # bank_a April: a11, a8 positive; a10 neutral; a9 negative. a14 names both banks but is
    # bank_b's (its single brand): sentiment counts a message once, for its own brand.
    _check(
        marts[("bank_a", APRIL)],
        {
            "mentions": 4,
            "net_sentiment": (2 - 1) / 3,
            "mean_sentiment_score": (2 * 0.75 - 0.80) / 4,
            "share_of_voice": 4 / (4 + 14),
            "negative_share_of_voice": 1 / (1 + 11),
        },
    )
    # bank_b March: b1x, b4 positive; b3 neutral; b2 negative.
    _check(
        marts[("bank_b", MARCH)],
        {
            "mentions": 4,
            "net_sentiment": 1 / 3,
            "share_of_voice": 4 / 13,
            "negative_share_of_voice": 0.2,
        },
    )
    # bank_b April: b6 positive, b7 and a14 neutral, b5 + 10 outage messages negative.
    _check(
        marts[("bank_b", APRIL)],
        {
            "mentions": 14,
            "positive": 1,
            "neutral": 2,
            "negative": 11,
            "net_sentiment": (1 - 11) / 12,
            "mean_sentiment_score": (0.75 - 11 * 0.80) / 14,
            "share_of_voice": 14 / 18,
            "negative_share_of_voice": 11 / 12,
        },
    )
    # tel_a is alone in its sector; March has 2 mentions (low volume at min 3);
    # April's t5 is not scored: it counts as a mention, not as a label. t6 (neutral) is
    # tel_a's through TelA_Care's reply.
    _check(
        marts[("tel_a", MARCH)],
        {"mentions": 2, "net_sentiment": 0.0, "share_of_voice": 1.0, "is_low_volume": True},
    )
    _check(
        marts[("tel_a", APRIL)],
        {
            "mentions": 4,
            "scored_mentions": 3,
            "share_positive": 1 / 4,
            "share_negative": 1 / 4,
            "net_sentiment": 0.0,
            "mean_sentiment_score": (0.75 - 0.80) / 3,
            "is_low_volume": False,
        },
    )


def test_inbound_messages_first_response_clocks(fixture_build):
    """One row per inbound message and addressed account (mention_id, account_handle)."""
    mart = _rows(fixture_build, "select * from marts.fct_inbound_messages")
    pairs = {(r["mention_id"], r["account_handle"]): r for r in mart}
    assert len(pairs) == len(mart)
    # Not addressed to an account: a5, a11, a13, b4, b5, b6, the outage posts but s3, t3,
    # t5, x1. a14 names two accounts; s3 (BankB's auto-reply) and t6 (TelA_Care's reply)
    # are addressed only through a reply to them.
    assert set(pairs) == {
        *[(m, "BankA_Help") for m in ("a1", "a2", "a3", "a4", "a6", "a7", "a12")],
        *[(m, "BankA_Help") for m in ("a8", "a9", "a10", "a14")],
        *[(m, "BankB") for m in ("b1x", "b2", "b3", "b7", "a14", "s3")],
        *[(m, "TelA_Care") for m in ("t1", "t2", "t4", "t6")],
    }
    rows = {mention: row for (mention, _), row in pairs.items() if mention != "a14"}
    # a1: Fri 16:00 CET -> h1 Mon 10:00 CET (the bot's b1 does not count):
    # 66 h calendar; business 16:00-17:00 Fri + 09:00-10:00 Mon.
    _check(
        rows["a1"],
        {
            "first_response_key": "twitter:h1",
            "first_response_at": utc(2011, 3, 7, 9, 0),
            "first_response_minutes": 66 * 60.0,
            "first_response_business_minutes": 120.0,
            "promised_response_minutes": 60,
            "is_within_promise": False,
            "is_answered_within_window": True,
            "is_answered_within_24h": False,
            "is_first_response_personalised": True,
        },
    )
    # a3: 22:00 CET answered 08:30 CET, before opening: 0 business minutes.
    _check(rows["a3"], {"first_response_minutes": 630.0, "first_response_business_minutes": 0.0})
    # a6 answers the agent's h2 (which answers a2): addressed by reply, thread root a2.
    _check(
        rows["a6"],
        {
            "brand": "bank_a",
            "addressed_via": "reply",
            "account_handle": "BankA_Help",
            "thread_key": "twitter:a2",
            "thread_depth": 2,
            "first_response_minutes": 60.0,
        },
    )
    # a7: Sunday 14:00 CET; h5 is flagged automated, h6 Mon 09:20 CET: 20 business minutes.
    _check(
        rows["a7"],
        {"first_response_key": "twitter:h6", "first_response_minutes": 1160.0},
    )
    assert rows["a7"]["first_response_business_minutes"] == pytest.approx(20.0)
    # a9: Tue 09:00 CEST -> Fri 19:00 CEST = 82 h, four full 8-hour business days.
    _check(
        rows["a9"],
        {
            "first_response_minutes": 82 * 60.0,
            "first_response_business_minutes": 4 * 480.0,
            "is_answered_within_window": False,
        },
    )
    # t1: Sat 19:00 CET -> Sun 09:00 CEST, across the DST change: 13 h calendar,
    # 19:00-20:00 Saturday + 08:00-09:00 Sunday.
    _check(
        rows["t1"],
        {
            "first_response_minutes": 780.0,
            "first_response_business_minutes": 120.0,
            "promised_response_minutes": 30,
            "is_within_promise": False,
        },
    )
    # b2: 24/7 account without a promise: default 120 calendar minutes, answered after 180.
    _check(
        rows["b2"],
        {
            "first_response_business_minutes": 180.0,
            "promised_response_minutes": 120,
            "is_promise_default": True,
            "is_promise_in_business_minutes": False,
            "is_within_promise": False,
        },
    )
    for unanswered in ("a4", "a8", "b3", "t4"):
        _check(
            rows[unanswered],
            {"is_answered": False, "first_response_minutes": None, "is_within_promise": False},
        )
    # a14 (bank_b's message, Tue 10:00 CEST) names BankB and BankA_Help: a row per account,
    # each with its own brand and that brand's first reply. BankA_Help's h10 after 25
    # minutes, inside its opening hours (promise 60 business minutes); BankB's r5 after 70
    # (24/7, default promise 120 calendar minutes).
    common = {"mention_brand": "bank_b", "addressed_via": "handle", "is_answered": True}
    _check(
        pairs[("a14", "BankA_Help")],
        {
            **common,
            "brand": "bank_a",
            "account_key": "twitter:banka_help",
            "first_response_key": "twitter:h10",
            "first_response_minutes": 25.0,
            "first_response_business_minutes": 25.0,
            "is_within_promise": True,
            "is_answered_within_1h": True,
            "is_first_response_personalised": True,
        },
    )
    _check(
        pairs[("a14", "BankB")],
        {
            **common,
            "brand": "bank_b",
            "account_key": "twitter:bankb",
            "first_response_key": "twitter:r5",
            "first_response_minutes": 70.0,
            "first_response_business_minutes": 70.0,
            "is_within_promise": True,
            "is_answered_within_1h": False,
            "is_first_response_personalised": False,
        },
    )
    # s3: BankB's flagged auto-reply addresses it, but is no response.
    _check(
        rows["s3"],
        {
            "brand": "bank_b",
            "addressed_via": "response",
            "first_response_key": None,
            "is_answered": False,
            "is_within_promise": False,
        },
    )
    # t6 answers a tweet outside the data and names no handle: TelA_Care's q3 addresses and
    # answers it after 90 minutes, all inside 08:00-20:00; promise 30 missed.
    _check(
        rows["t6"],
        {
            "brand": "tel_a",
            "mention_brand": "tel_a",
            "addressed_via": "response",
            "thread_key": "twitter:t6",
            "thread_depth": 0,
            "first_response_key": "twitter:q3",
            "first_response_minutes": 90.0,
            "first_response_business_minutes": 90.0,
            "promised_response_minutes": 30,
            "is_within_promise": False,
            "is_answered_within_1h": False,
            "is_answered_within_24h": True,
        },
    )


def test_webcare_response_monthly(fixture_build):
    marts = _by_brand_month(fixture_build, "fct_webcare_response_monthly")
    # bank_a March: a1 3960, a2 30, a3 630, a6 60, a7 1160, a12 40 minutes; a4 unanswered.
    # Sorted 30, 40, 60, 630, 1160, 3960: median (60 + 630) / 2; p90 at rank 1 + 0.9 x 5
    # = 5.5: 1160 + 0.5 x (3960 - 1160). Business 120, 30, 0, 60, 20, 40: median (30 + 40) / 2.
    # Promise 60 business minutes kept by a2, a3, a6, a7, a12.
    # Replies in March: b1 (bot), h1, h2, h3, h4, h5 (automated), h6, h9; signed: h1 ^JV,
    # h2 /Suzanne, h4 -AB, h6 "Groet, Diane", h9 ^JV: 5 of the 6 human replies.
    _check(
        marts[("bank_a", MARCH)],
        {
            "inbound_messages": 7,
            "answered_messages": 6,
            "answered_within_window": 6,
            "response_rate": 6 / 7,
            "median_first_response_minutes": (60 + 630) / 2,
            "p90_first_response_minutes": 1160 + 0.5 * (3960 - 1160),
            "median_first_response_business_minutes": (30 + 40) / 2,
            "sla_attainment": 5 / 7,
            "share_answered_within_1h": 3 / 7,
            "share_answered_within_24h": 5 / 7,
            "brand_replies": 8,
            "automated_replies": 2,
            "human_replies": 6,
            "personalised_replies": 5,
            "personalisation_rate": 5 / 6,
            "has_expectations_management": True,
        },
    )
    # bank_a April: a8 unanswered, a9 4920 (outside 72 h), a10 10 minutes, and bank_b's
    # a14, which names BankA_Help too: 25 minutes. Sorted 10, 25, 4920: median 25, p90 at
    # rank 1 + 0.9 x 2 = 2.8. Promise (60 business minutes) kept by a10 and a14.
    # Replies h7 ^MK, h8 unsigned, h10 ^JV.
    _check(
        marts[("bank_a", APRIL)],
        {
            "inbound_messages": 4,
            "answered_messages": 3,
            "response_rate": 2 / 4,
            "median_first_response_minutes": 25.0,
            "p90_first_response_minutes": 25 + 0.8 * (4920 - 25),
            "sla_attainment": 2 / 4,
            "share_answered_within_1h": 2 / 4,
            "brand_replies": 3,
            "personalisation_rate": 2 / 3,
        },
    )
    # bank_b March (24/7, promise 120): b1x 20, b2 180, b3 unanswered.
    _check(
        marts[("bank_b", MARCH)],
        {
            "inbound_messages": 3,
            "response_rate": 2 / 3,
            "median_first_response_minutes": 100.0,
            "p90_first_response_minutes": 20 + 0.9 * 160,
            "sla_attainment": 1 / 3,
            "share_answered_within_1h": 1 / 3,
            "has_expectations_management": False,
        },
    )
    # bank_b April: b7 50 minutes, a14 70 (its BankB row), s3 addressed by BankB's
    # auto-reply only: unanswered. Replies r3 -Tom, r4 automated, r5 unsigned.
    _check(
        marts[("bank_b", APRIL)],
        {
            "inbound_messages": 3,
            "answered_messages": 2,
            "response_rate": 2 / 3,
            "median_first_response_minutes": (50 + 70) / 2,
            "sla_attainment": 2 / 3,
            "share_answered_within_1h": 1 / 3,
            "share_answered_within_24h": 2 / 3,
            "brand_replies": 3,
            "automated_replies": 1,
            "human_replies": 2,
            "personalisation_rate": 1 / 2,
        },
    )
    # tel_a March (promise 30): t1 780 / 120 business, t2 15 / 15.
    _check(
        marts[("tel_a", MARCH)],
        {
            "median_first_response_minutes": (15 + 780) / 2,
            "median_first_response_business_minutes": (15 + 120) / 2,
            "sla_attainment": 0.5,
            "share_answered_within_24h": 1.0,
        },
    )
    # tel_a April: t4 unanswered; t6, addressed only by TelA_Care's reply q3 ("Groet,
    # Diane"), answered after 90 minutes, beyond the promise of 30.
    _check(
        marts[("tel_a", APRIL)],
        {
            "inbound_messages": 2,
            "response_rate": 1 / 2,
            "median_first_response_minutes": 90.0,
            "median_first_response_business_minutes": 90.0,
            "sla_attainment": 0.0,
            "brand_replies": 1,
            "personalisation_rate": 1.0,
        },
    )


def test_complaint_channels(fixture_build):
    marts = _by_brand_month(fixture_build, "fct_complaint_channels_monthly")
    # bank_a March: c1 phone, c2 email, c3 letter (c4 came through the social desk);
    # online = 4 negative posts. c1's p_a1 posted a1 (negative) a day later: escalated;
    # c2's p_a9 never posts. Resolution 24 h and 6 h.
    _check(
        marts[("bank_a", MARCH)],
        {
            "traditional_complaints": 3,
            "phone_complaints": 1,
            "email_complaints": 1,
            "letter_complaints": 1,
            "social_desk_complaints": 1,
            "online_complaints": 4,
            "complaint_to_online_ratio": 4 / 3,
            "online_share_of_complaints": 4 / 7,
            "complainants_with_social_identity": 2,
            "escalated_complainants": 1,
            "channel_escalation_rate": 0.5,
            "median_resolution_hours": 15.0,
        },
    )
    # bank_a April: c5 webform (p_a6 posts a9 eleven days later), c6 store received
    # 2011-03-31 23:30 UTC = April in Amsterdam (p_a1 posts nothing negative after it).
    _check(
        marts[("bank_a", APRIL)],
        {
            "traditional_complaints": 2,
            "webform_complaints": 1,
            "store_complaints": 1,
            "complaint_to_online_ratio": 1 / 2,
            "online_share_of_complaints": 1 / 3,
            "channel_escalation_rate": 0.5,
            "median_resolution_hours": 48.0,
        },
    )
    _check(
        marts[("bank_b", MARCH)],
        {
            "traditional_complaints": 2,
            "other_complaints": 1,
            "complaint_to_online_ratio": 0.5,
            "channel_escalation_rate": 1.0,
            "median_resolution_hours": 2.0,
        },
    )
    # bank_b April: no traditional complaint: ratio and escalation undefined.
    _check(
        marts[("bank_b", APRIL)],
        {
            "traditional_complaints": 0,
            "online_complaints": 11,
            "complaint_to_online_ratio": None,
            "online_share_of_complaints": 1.0,
            "channel_escalation_rate": None,
            "median_resolution_hours": None,
        },
    )
    # tel_a March: c10's p_t3 posts t4 twenty days later, outside the 14-day window.
    _check(
        marts[("tel_a", MARCH)],
        {"complaint_to_online_ratio": 1.0, "channel_escalation_rate": 0.0},
    )


def _nps_margin(promoters: int, detractors: int, responses: int) -> float:
    p, d = promoters / responses, detractors / responses
    return 1.96 * 100 * math.sqrt((p + d - (p - d) ** 2) / responses)


def test_nps_and_margin(fixture_build):
    marts = _by_brand_month(fixture_build, "fct_nps_monthly")
    # bank_a March scores 10, 9, 8, 3; April 9, 9, 7; bank_b March 6, 5, 10;
    # April 0, 2, 4, 6; tel_a March 8 (below the minimum of 2); April none.
    expected = {
        ("bank_a", MARCH): (4, 2, 1),
        ("bank_a", APRIL): (3, 2, 0),
        ("bank_b", MARCH): (3, 1, 2),
        ("bank_b", APRIL): (4, 0, 4),
        ("tel_a", MARCH): (1, 0, 0),
    }
    for key, (n, promoters, detractors) in expected.items():
        _check(
            marts[key],
            {
                "responses": n,
                "promoters": promoters,
                "detractors": detractors,
                "nps": 100 * (promoters - detractors) / n,
                "nps_margin_of_error_95": _nps_margin(promoters, detractors, n),
                "is_low_sample": n < 2,
            },
        )
    _check(
        marts[("tel_a", APRIL)],
        {"responses": 0, "nps": None, "nps_margin_of_error_95": None, "is_low_sample": True},
    )
    _check(marts[("bank_a", MARCH)], {"scored_comments": 1, "mean_comment_sentiment_score": 0.75})


def test_sentiment_nps_correlation(fixture_build):
    rows = {
        (r["scope"], r["lag_months"]): r
        for r in _rows(fixture_build, "select * from marts.fct_sentiment_nps_correlation")
    }
    assert set(rows) == {(s, lag) for s in ("all", "banks", "telecoms") for lag in (0, 1)}
    # Same month, excluding tel_a March (2 mentions < 3) and tel_a April (no NPS):
    net = [-1 / 7, 1 / 3, 1 / 3, -10 / 12]
    nps = [25.0, 200 / 3, -100 / 3, -100.0]
    r = pearson(net, nps)
    rho = pearson(_average_ranks(net), _average_ranks(nps))
    z, half = math.atanh(r), 1.96 / math.sqrt(len(net) - 3)
    for scope in ("all", "banks"):
        _check(
            rows[(scope, 0)],
            {
                "n_brand_months": 4,
                "pearson_r": r,
                "spearman_rho": rho,
                "pearson_r_ci_lower_95": math.tanh(z - half),
                "pearson_r_ci_upper_95": math.tanh(z + half),
            },
        )
    assert r == pytest.approx(0.730952, abs=1e-6)
    # Lag 1: March sentiment against April NPS, two brands: r = -1, no interval.
    _check(
        rows[("all", 1)],
        {
            "n_brand_months": 2,
            "pearson_r": -1.0,
            "spearman_rho": -1.0,
            "pearson_r_ci_lower_95": None,
        },
    )
    _check(rows[("telecoms", 0)], {"n_brand_months": 0, "pearson_r": None})


def test_sentiment_and_share_price(fixture_build):
    marts = _by_brand_month(fixture_build, "fct_sentiment_stock_monthly")
    # BNKA: February ends at 11 (no adjusted close), March's last day closes at 12.5
    # adjusted 12.0, April's at 13.2. 1000 shares.
    _check(
        marts[("bank_a", MARCH)],
        {
            "month_end_date": date(2011, 3, 31),
            "month_end_close": cents(12.0),
            "previous_month_end_close": cents(11.0),
            "monthly_return": 12.0 / 11.0 - 1,
            "month_end_unadjusted_close": cents(12.5),
            "market_cap": cents(12.0 * 1000),
        },
    )
    _check(
        marts[("bank_a", APRIL)],
        {
            "monthly_return": 13.2 / 12.0 - 1,
            "market_cap": cents(13.2 * 1000),
            "net_sentiment_change": 1 / 3 - (-1 / 7),
        },
    )
    # BNKB has no February: no March return.
    _check(marts[("bank_b", MARCH)], {"monthly_return": None, "market_cap": cents(20.0 * 2000)})
    _check(marts[("bank_b", APRIL)], {"monthly_return": 18.0 / 20.0 - 1})
    _check(marts[("tel_a", APRIL)], {"is_listed": False, "month_end_close": None})

    rows = {
        r["correlation_id"]: r
        for r in _rows(fixture_build, "select * from marts.fct_sentiment_stock_correlation")
    }
    series = rows["time_series|net_sentiment|monthly_return|all|all|0|all months"]
    xs = [-1 / 7, 1 / 3, -10 / 12]
    ys = [12.0 / 11.0 - 1, 13.2 / 12.0 - 1, 18.0 / 20.0 - 1]
    _check(series, {"n_brand_months": 3, "pearson_r": pearson(xs, ys), "spearman_rho": 1.0})
    april = rows["cross_section|net_sentiment|market_cap|all|all|0|2011-04-01"]
    _check(april, {"n_brand_months": 2, "pearson_r": -1.0})


def test_roi_proxies(fixture_build):
    marts = _by_brand_month(fixture_build, "fct_webcare_roi_monthly")
    # bank_a March negative posters: p_a1 (a1, a4; the bot's b1 is no contact, the journey
    # starts at h1 on Monday; next message a4 is negative: not recovered), p_a4 (a5, never
    # answered, no later message), p_a10 (a12 answered by h9, next message a13 positive:
    # recovered). a1 was deleted before h1 (after the bot's reply only): no deletion after
    # contact; a12 was deleted after h9. Cost: the 6 human replies x 4.0; b1 and h5 are
    # automated.
    uplift = 1 / 2 - 0 / 1
    value = uplift * 2 * 250
    cost = 6 * 4.0
    _check(
        marts[("bank_a", MARCH)],
        {
            "negative_posters": 3,
            "contacted_negative_posters": 2,
            "contacted_rate": 2 / 3,
            "recovery_rate_contacted": 0.5,
            "recovery_rate_uncontacted": 0.0,
            "recovery_uplift": uplift,
            "contacted_negative_posts": 2,
            "deleted_contacted_negative_posts": 1,
            "deletion_rate": 0.5,
            "estimated_value_protected": cents(value),
            "brand_replies": 8,
            "automated_replies": 2,
            "human_replies": 6,
            "webcare_cost": cents(cost),
            "roi_proxy": (value - cost) / cost,
            "assumption_recovery_window_days": 30,
            "assumption_customer_annual_value": cents(250.0),
            "assumption_cost_per_reply": cents(4.0),
            "currency": "EUR",
        },
    )
    # bank_b March: p_b2 answered (r2), next message b4 positive: recovered; nobody
    # uncontacted, so no uplift, value or ROI.
    _check(
        marts[("bank_b", MARCH)],
        {
            "recovery_rate_contacted": 1.0,
            "recovery_rate_uncontacted": None,
            "recovery_uplift": None,
            "roi_proxy": None,
            "webcare_cost": cents(8.0),
        },
    )
    # bank_b April: p_b4 (b5, then b6 positive five days later) and the 8 outage posters,
    # none contacted: BankB's auto-reply r4 to p_s1's s3 is no contact. Cost: r3 and r5
    # (a14, a neutral message); r4 costs nothing.
    _check(
        marts[("bank_b", APRIL)],
        {
            "negative_posters": 9,
            "contacted_negative_posters": 0,
            "contacted_rate": 0.0,
            "recovery_rate_contacted": None,
            "recovery_rate_uncontacted": 1 / 9,
            "deletion_rate": None,
            "brand_replies": 3,
            "automated_replies": 1,
            "human_replies": 2,
            "webcare_cost": cents(8.0),
        },
    )
    # tel_a March: p_t1 answered by q1, next message t3 positive a week later.
    _check(marts[("tel_a", MARCH)], {"recovery_rate_contacted": 1.0, "deletion_rate": 0.0})
    # tel_a April: p_t3's t4 unanswered; q3 (to the neutral t6) costs 4.0; no value estimate.
    _check(
        marts[("tel_a", APRIL)],
        {
            "negative_posters": 1,
            "contacted_rate": 0.0,
            "webcare_cost": cents(4.0),
            "roi_proxy": None,
        },
    )


def test_negative_spike_alert(fixture_build):
    alerts = _rows(
        fixture_build,
        "select * from marts.fct_negative_spike_alerts where is_alert "
        "order by brand, reporting_date",
    )
    # Only the outage day: 10 negatives; the previous 28 days hold one negative (b5),
    # so the baseline mean is 1/28 and the sample sd sqrt(((27/28)^2 + 27 (1/28)^2) / 27).
    assert [(a["brand"], a["reporting_date"]) for a in alerts] == [("bank_b", date(2011, 4, 20))]
    mean = 1 / 28
    sd = math.sqrt(((1 - mean) ** 2 + 27 * mean**2) / 27)
    _check(
        alerts[0],
        {
            "negative_mentions": 10,
            "baseline_days": 28,
            "baseline_mean": mean,
            "baseline_stddev": sd,
            "alert_threshold": mean + 3 * sd,
        },
    )
    days = _rows(
        fixture_build,
        "select count(*) as n, min(reporting_date) as first_day, max(reporting_date) as last_day "
        "from marts.fct_negative_spike_alerts",
    )[0]
    assert days == {"n": 3 * 61, "first_day": date(2011, 3, 1), "last_day": date(2011, 4, 30)}


def test_repeat_complainers(fixture_build):
    marts = _by_brand_month(fixture_build, "fct_repeat_complainers_monthly")
    # p_r1 wrote 3 of bank_b's 11 April negatives; p_a1's two March negatives are too few.
    _check(
        marts[("bank_b", APRIL)],
        {
            "negative_mentions": 11,
            "repeat_complainers": 1,
            "repeat_complainer_negative_mentions": 3,
            "share_of_negative_volume": 3 / 11,
        },
    )
    _check(marts[("bank_a", MARCH)], {"repeat_complainers": 0, "share_of_negative_volume": 0.0})


def test_brand_benchmark(fixture_build):
    marts = _by_brand_month(fixture_build, "fct_brand_benchmark_monthly")
    # Banks in March: net sentiment -1/7 (bank_a) and 1/3 (bank_b); median response
    # 345 and 100 minutes (lower is better).
    _check(
        marts[("bank_a", MARCH)],
        {
            "sector_brands": 2,
            "sector_median_net_sentiment": (-1 / 7 + 1 / 3) / 2,
            "sector_rank_net_sentiment": 2,
            "sector_rank_median_first_response_minutes": 2,
            "sector_rank_nps": 1,
        },
    )
    _check(marts[("bank_b", MARCH)], {"sector_rank_median_first_response_minutes": 1})
    # bank_b April has no complaint ratio: no rank, and the median is bank_a's. Response
    # KPIs follow the per-account grain: bank_a's April median is 25 minutes (a14 counts
    # for it too) against bank_b's 60; response rates 2/4 and 2/3.
    _check(
        marts[("bank_b", APRIL)],
        {
            "sector_rank_complaint_to_online_ratio": None,
            "sector_median_complaint_to_online_ratio": 0.5,
            "sector_median_median_first_response_minutes": (25 + 60) / 2,
            "sector_rank_median_first_response_minutes": 2,
            "sector_median_response_rate": (2 / 4 + 2 / 3) / 2,
            "sector_rank_response_rate": 1,
        },
    )
    _check(
        marts[("bank_a", APRIL)],
        {"sector_rank_median_first_response_minutes": 1, "sector_rank_response_rate": 2},
    )


def test_dimensions(fixture_build):
    months = _rows(fixture_build, "select * from marts.dim_months order by reporting_month")
    assert [(m["month_key"], m["month_start_at"], m["month_end_at"]) for m in months] == [
        ("2011-03", utc(2011, 2, 28, 23, 0), utc(2011, 3, 31, 22, 0)),
        ("2011-04", utc(2011, 3, 31, 22, 0), utc(2011, 4, 30, 22, 0)),
    ]
    accounts = {
        r["handle"]: r for r in _rows(fixture_build, "select * from marts.dim_webcare_accounts")
    }
    assert accounts["BankA_Help"]["opening_windows_per_week"] == 5
    assert accounts["BankA_Bot"]["is_bot"] is True
    assert accounts["BankB"]["effective_promise_minutes"] == 120
    brands = {r["brand"]: r for r in _rows(fixture_build, "select * from marts.dim_brands")}
    assert brands["bank_a"]["is_listed"] and not brands["tel_a"]["is_listed"]
    assert brands["bank_a"]["webcare_accounts"] == 2
