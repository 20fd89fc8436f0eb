"""What the demo must contain for the later KPIs: accounts, threads, crisis, relations, sizes."""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest

from demo import generate
from demo.catalogue import parse_opening_hours
from demo.clock import BusinessClock, iso_strings, local_to_utc

SIGNATURE = re.compile(r"( \^[A-Z]{2}| /[A-Z][a-z]+| -[A-Z]{2}| (Groet|Regards), [A-Z][a-z]+)$")
REAL_NAMES = (
    "ing",
    "rabobank",
    "abn",
    "kpn",
    "vodafone",
    "t-mobile",
    "achmea",
    "aegon",
    "nationale-nederlanden",
)


@pytest.fixture(scope="module")
def mentions(loaded_mentions) -> pl.DataFrame:
    """Every mention row of the small demo that the contract accepts."""
    return loaded_mentions


def test_small_size_is_quick_and_about_four_thousand_mentions(small_demo):
    assert small_demo.seconds < 30
    rows = sum(m["rows_in_files"] for m in small_demo.truth["expected_counts"]["mentions"].values())
    assert 3000 <= rows <= 5000


def test_brands_are_fictional_three_sectors_of_three(small_demo):
    brands = pl.read_csv(small_demo.landing / "brands" / "demo" / "brands.csv", infer_schema=False)
    assert brands["sector"].value_counts().sort("sector").rows() == [
        ("bank", 3),
        ("insurer", 3),
        ("telecom", 3),
    ]
    for key in brands["brand"]:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", key)
        assert not any(real == key or key.startswith(real + "_") for real in REAL_NAMES)
    listed = brands.filter(pl.col("ticker").is_not_null())
    assert listed["sector"].value_counts()["count"].min() >= 2
    assert brands.filter(pl.col("ticker").is_null()).height >= 1
    assert listed["shares_outstanding"].is_not_null().all()


def test_required_webcare_accounts_exist(accounts):
    brands = {a["brand"] for a in accounts}
    assert all(
        any(a["brand"] == b and a["platform"] == "twitter" for a in accounts) for b in brands
    )
    assert any(a["platform"] == "facebook" for a in accounts)
    always_open = [
        a
        for a in accounts
        if not a.get("opening_hours") and a.get("promised_response_minutes") == 60
    ]
    assert always_open and not always_open[0]["is_bot"]
    short_hours = [a for a in accounts if a.get("opening_hours") == "mon-fri 09:00-12:00"]
    assert short_hours and short_hours[0].get("promised_response_minutes")
    silent = [
        a
        for a in accounts
        if not a["is_bot"] and "promised_response_minutes" not in a and not a.get("opening_hours")
    ]
    assert silent
    assert sum(a["is_bot"] for a in accounts) == 1
    assert all("@" not in a["handle"] for a in accounts)


def test_bot_answers_everything_of_its_brand_instantly(small_demo, accounts, mentions):
    bot = next(a for a in accounts if a["is_bot"])
    human = next(
        a
        for a in accounts
        if a["brand"] == bot["brand"] and a["platform"] == "twitter" and not a["is_bot"]
    )
    bot_rows = mentions.filter(pl.col("author_id") == bot["handle"])
    assert (bot_rows["is_automated"] == "true").all()
    assert (mentions.filter(pl.col("author_id") != bot["handle"])["is_automated"] != "true").all()
    addressed = mentions.filter(
        pl.col("text").str.contains(rf"@{human['handle']}\b")
        & (pl.col("author_id") != human["handle"])
        & (pl.col("author_id") != bot["handle"])
    )
    # Everything addressed to the brand is acknowledged, except a message in the very last
    # seconds of the period whose acknowledgement would fall after it.
    period_end = datetime(2012, 1, 1, tzinfo=ZoneInfo("Europe/Amsterdam")).astimezone(UTC)
    before_end = addressed.filter(pl.col("_at") < period_end - timedelta(minutes=1))
    assert (
        set(before_end["mention_id"])
        <= set(bot_rows["in_reply_to_id"])
        <= set(addressed["mention_id"])
    )
    assert bot_rows.height == bot_rows["in_reply_to_id"].n_unique() >= before_end.height > 0
    assert small_demo.truth["accounts"][bot["handle"]]["realised"]["median_reply_seconds"] < 60


def test_reply_delays_follow_the_accounts(small_demo):
    accounts = small_demo.truth["accounts"]
    fast = accounts["Polderfoon"]["realised"]
    assert fast["median_first_response_minutes"] < 60
    # Few opening hours: the business clock is short, the calendar clock long (overnight).
    short = accounts["VlinderHelpt"]["realised"]
    assert (
        short["median_first_response_minutes"] > 5 * short["median_first_response_business_minutes"]
    )
    rates = [
        a["realised"]["answered"] / a["realised"]["inbound_messages"]
        for a in accounts.values()
        if not a["is_bot"]
    ]
    assert min(rates) < 0.4 and max(rates) > 0.7


def test_signatures_only_for_personalising_brands(small_demo, accounts, mentions):
    brand_of = {a["handle"]: a["brand"] for a in accounts if not a["is_bot"]}
    replies = mentions.filter(pl.col("author_id").is_in(list(brand_of)))
    signed = Counter()
    total = Counter()
    for author, text in zip(replies["author_id"], replies["text"], strict=True):
        total[brand_of[author]] += 1
        signed[brand_of[author]] += bool(SIGNATURE.search(text))
    for brand, entry in small_demo.truth["brands"].items():
        if entry["personalised_replies"]:
            assert signed[brand] > 0.8 * total[brand], brand
        else:
            assert signed[brand] == 0, brand
    truth_signed = sum(
        m["signed_replies"] for b in small_demo.truth["webcare"].values() for m in b.values()
    )
    assert truth_signed == sum(signed.values())


def test_threads_repeaters_deletions_and_recovery(small_demo, mentions):
    truth = small_demo.truth
    assert (
        truth["authors"]["authors_in_two_or_more_months"]
        > 0.3 * truth["authors"]["distinct_customer_authors"]
    )
    webcare = [m for b in truth["webcare"].values() for m in b.values()]
    assert sum(m["follow_ups"] for m in webcare) > 0
    deleted = sum(m["deleted_inbound"] for m in webcare)
    assert deleted == mentions["deleted_at"].is_not_null().sum() > 0
    repeaters = sum(
        m["repeat_complainers"] for b in truth["repeat_complainers"].values() for m in b.values()
    )
    assert repeaters >= 5
    roi = [m for b in truth["roi"].values() for m in b.values()]
    contacted = sum(m["contacted"] for m in roi)
    uncontacted = sum(m["negative_posters"] - m["contacted"] for m in roi)
    rate_c = sum(m["recovered_contacted"] for m in roi) / contacted
    rate_u = sum(m["recovered_uncontacted"] for m in roi) / uncontacted
    assert rate_c > rate_u + 0.1
    escalated = sum(
        m["escalated_customers"] for b in truth["complaints"].values() for m in b.values()
    )
    assert escalated > 0
    english = sum(m["english"] for b in truth["sentiment"].values() for m in b.values())
    inbound = sum(m["mentions"] for b in truth["sentiment"].values() for m in b.values())
    assert 0.1 < english / inbound < 0.3


def test_crisis_month_fires_the_spike_rule(small_demo):
    crisis = small_demo.truth["crisis"]
    fired = [a for a in crisis["spike_alerts"] if a["is_crisis_day"]]
    assert fired and fired[0]["date"] == crisis["days"][0]
    assert all(
        a["brand"] == crisis["brand"] and a["date"].startswith(crisis["month"]) for a in fired
    )
    negatives = small_demo.truth["sentiment"][crisis["brand"]][crisis["month"]]["negative"]
    assert fired[0]["negatives"] >= 10 and negatives >= sum(
        crisis["planted_negatives_by_day"].values()
    )


def test_nps_and_returns_follow_sentiment(small_demo):
    truth = small_demo.truth
    net, nps, net_listed, returns = [], [], [], []
    for brand, months in truth["sentiment"].items():
        for month, s in months.items():
            if s["net_sentiment"] is None:
                continue
            net.append(s["net_sentiment"])
            nps.append(truth["nps"][brand][month]["nps"])
            if (
                brand in truth["stock"]
                and truth["stock"][brand]["months"][month]["monthly_return"] is not None
            ):
                net_listed.append(s["net_sentiment"])
                returns.append(truth["stock"][brand]["months"][month]["monthly_return"])
    r_nps = np.corrcoef(net, nps)[0, 1]
    slope = np.polyfit(net, nps, 1)[0]
    assert r_nps > 0.7
    assert slope == pytest.approx(truth["nps_model"]["beta"], rel=0.35)
    r_returns = np.corrcoef(net_listed, returns)[0, 1]
    assert r_returns > 0.2
    lag0 = truth["correlations"]["sentiment_nps"]["lag0"]["all_brand_months"]
    assert (lag0["n_brand_months"], lag0["pearson_r"]) == (len(net), pytest.approx(r_nps, abs=1e-6))
    lag0 = truth["correlations"]["sentiment_return"]["lag0"]["all_brand_months"]
    assert lag0["pearson_r"] == pytest.approx(r_returns, abs=1e-6)
    seasonal = Counter()
    for months in truth["sentiment"].values():
        for month, s in months.items():
            seasonal[month[5:]] += s["mentions"]
    assert seasonal["01"] > seasonal["04"] and seasonal["07"] > seasonal["04"]


def test_business_clock_skips_weekend_and_dst():
    tz = "Europe/Amsterdam"
    clock = BusinessClock.build(
        parse_opening_hours("mon-fri 09:00-12:00"),
        tz,
        local_to_utc(2010, 3, 20, tz),
        local_to_utc(2010, 4, 5, tz),
    )
    friday = local_to_utc(2010, 3, 26, tz) + 11 * 3600 + 30 * 60  # 11:30 CET
    answer = clock.add(np.array([friday]), np.array([3600]))[0]
    monday_0930_cest = local_to_utc(2010, 3, 29, tz) + 9 * 3600 + 30 * 60
    assert answer == monday_0930_cest
    assert (
        clock.open_seconds_before(np.array([answer]))[0]
        - clock.open_seconds_before(np.array([friday]))[0]
        == 3600
    )
    night = local_to_utc(2010, 3, 30, tz) + 2 * 3600  # closed: counting starts at 09:00
    assert (
        clock.add(np.array([night]), np.array([60]))[0]
        == local_to_utc(2010, 3, 30, tz) + 9 * 3600 + 60
    )


def test_ambiguous_october_hour_is_never_written_without_offset():
    tz = "Europe/Amsterdam"
    first = local_to_utc(2010, 10, 31, tz) + 2 * 3600 + 15 * 60  # 02:15 CEST
    times = np.array([first, first + 3600, first + 2 * 3600])
    text, used = iso_strings(times, np.array([2, 2, 2]), tz)
    assert list(text) == [
        "2010-10-31T02:15:00+02:00",
        "2010-10-31T02:15:00+01:00",
        "2010-10-31T03:15:00",
    ]
    assert list(used) == [0, 0, 2]


@pytest.mark.slow
def test_default_size_generates_well_under_a_minute(tmp_path):
    started = time.perf_counter()
    truth = generate(tmp_path / "landing", tmp_path / "truth.json", seed=42, size="default")
    assert time.perf_counter() - started < 45
    rows = sum(m["rows_in_files"] for m in truth["expected_counts"]["mentions"].values())
    assert 45_000 <= rows <= 55_000
    crisis = truth["crisis"]
    assert any(a["is_crisis_day"] for a in crisis["spike_alerts"])
