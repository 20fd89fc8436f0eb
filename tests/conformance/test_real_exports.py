"""The marts of real exports equal an independent computation over the source files.

Everything expected here is computed from the original files in
``../shared/data`` with the csv module and the definitions of
``../shared/KPI_DEFINITIONS.md`` and ``../shared/DATA_CONTRACTS.md``, not with the
project's SQL or adapters. Both variants of `real_home` (the exports as they
are, and pandas copies with an index column and one broken line) must give the
same marts.
"""

from __future__ import annotations

import csv
import functools
import re
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from assets.checks._running import VOLUME_CHECK_NAME
from orchestration.instance import open_instance
from orchestration.summary import print_kpi_summary
from warehouse.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]

REPORTING = ZoneInfo("Europe/Amsterdam")
DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
CENT = Decimal("0.01")
TWITTER_TIME = "%a %b %d %H:%M:%S %z %Y"
# A Twitter handle: letters, digits and underscores, not preceded by one (so an
# e-mail address names no account).
HANDLE = re.compile(r"(?<![A-Za-z0-9_])@([A-Za-z0-9_]+)")
# Submitted via -> channel (DATA_CONTRACTS.md complaints channels).
CFPB_CHANNELS = {
    "Web": "webform",
    "Phone": "phone",
    "Postal mail": "letter",
    "Email": "email",
    "Fax": "other",
    "Referral": "other",
    "Web Referral": "other",
    "Social media": "social",
}


# Banks with a twcs support account and the name the CFPB export gives them.
BANK_COMPANIES = {
    "BAC": "BANK OF AMERICA",
    "JPM": "JPMORGAN CHASE",
    "WFC": "WELLS FARGO",
    "C": "CITIBANK",
    "AXP": "AMERICAN EXPRESS",
}


def received(row: dict[str, str]) -> date:
    """A CFPB complaint's ``Date received`` (``2020/3/18``): a calendar day, no time."""
    return datetime.strptime(row["Date received"], "%Y/%m/%d").date()


def month_of(moment: datetime) -> date:
    """The reporting month (Europe/Amsterdam) of an aware timestamp."""
    local = moment.astimezone(REPORTING)
    return date(local.year, local.month, 1)


def utc(moment: datetime) -> datetime:
    """How the marts publish an instant: TIMESTAMP WITH TIME ZONE, read back in UTC."""
    return moment.astimezone(UTC)


class Twcs:
    """The twcs sample read with the csv module: tweets, brand accounts and who answered whom."""

    def __init__(self, path: Path) -> None:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        self.tweets = {
            row["tweet_id"]: {
                "id": row["tweet_id"],
                "author": row["author_id"],
                "inbound": row["inbound"] == "True",
                "at": datetime.strptime(row["created_at"], TWITTER_TIME),
                "text": row["text"],
                "parent": row["in_response_to_tweet_id"].removesuffix(".0") or None,
            }
            for row in rows
        }
        # Brand accounts: the authors with inbound = False; brand key = handle in lower case.
        self.accounts = {t["author"].lower() for t in self.tweets.values() if not t["inbound"]}
        self.answers: dict[str, list[dict]] = defaultdict(list)
        for tweet in self.tweets.values():
            if not tweet["inbound"] and tweet["parent"]:
                self.answers[tweet["parent"]].append(tweet)

    def inbound(self) -> list[dict]:
        """Customer tweets."""
        return [t for t in self.tweets.values() if t["inbound"]]

    def named_accounts(self, tweet: dict) -> list[str]:
        """Brand accounts whose handle the tweet names, in text order."""
        named = [h.lower() for h in HANDLE.findall(tweet["text"])]
        return list(dict.fromkeys(h for h in named if h in self.accounts))

    def replied_account(self, tweet: dict) -> str | None:
        """The brand account whose tweet this one replies to, when that tweet is in the file."""
        parent = self.tweets.get(tweet["parent"] or "")
        return parent["author"].lower() if parent and not parent["inbound"] else None

    def answering_accounts(self, tweet: dict) -> list[str]:
        """Brand accounts that replied to the tweet, earliest reply first."""
        answers = sorted(self.answers[tweet["id"]], key=lambda a: (a["at"], a["id"]))
        return list(dict.fromkeys(a["author"].lower() for a in answers))

    def brand(self, tweet: dict) -> str | None:
        """The brand a customer tweet is about: named, else replied to, else answering."""
        candidates = [
            *self.named_accounts(tweet),
            self.replied_account(tweet),
            *self.answering_accounts(tweet),
        ]
        return next((c for c in candidates if c), None)

    def inbound_per_brand(self, month: date) -> Counter:
        """Customer tweets of `month` (reporting time zone) per brand they are about."""
        return Counter(
            brand
            for tweet in self.inbound()
            if (brand := self.brand(tweet)) is not None and month_of(tweet["at"]) == month
        )

    def addressed(self) -> dict[tuple[str, str], tuple[str, datetime, datetime | None]]:
        """(tweet id, account) -> (addressed via, created at, first response at).

        An inbound tweet is addressed to every brand account it replies to, names,
        or that replied to it (KPI_DEFINITIONS.md section 2); the first response is
        the earliest reply by that brand not before the tweet.
        """
        found = {}
        for tweet in self.inbound():
            ways: dict[str, str] = {}
            if (account := self.replied_account(tweet)) is not None:
                ways.setdefault(account, "reply")
            for account in self.named_accounts(tweet):
                ways.setdefault(account, "handle")
            for account in self.answering_accounts(tweet):
                ways.setdefault(account, "response")
            for account, via in ways.items():
                times = [
                    a["at"]
                    for a in self.answers[tweet["id"]]
                    if a["author"].lower() == account and a["at"] >= tweet["at"]
                ]
                found[(tweet["id"], account)] = (via, tweet["at"], min(times, default=None))
        return found


@functools.cache
def read_twcs(path: Path) -> Twcs:
    """The twcs sample, read once per test session."""
    return Twcs(path)


def snapshot(real_home) -> duckdb.DuckDBPyConnection:
    """The published snapshot, as a BI tool opens it."""
    return duckdb.connect(str(real_home.snapshot), read_only=True)


def test_inbound_mentions_per_brand_and_month(real_home):
    twcs = read_twcs(real_home.twcs)
    expected = Counter()
    for tweet in twcs.inbound():
        brand = twcs.brand(tweet)
        if brand is not None:
            expected[(brand, month_of(tweet["at"]))] += 1
    with snapshot(real_home) as conn:
        found = conn.execute(
            "select brand, reporting_month, mentions, positive + neutral + negative "
            "from marts.fct_sentiment_monthly where mentions > 0"
        ).fetchall()
        positive, negative = conn.execute(
            "select sum(positive), sum(negative) from marts.fct_sentiment_monthly"
        ).fetchone()
    assert {(brand, month): n for brand, month, n, _ in found} == dict(expected)
    assert all(n == labelled for _, _, n, labelled in found)
    # Customer-support traffic is mostly complaints.
    assert negative > positive > 0
    # 2,066 of the 2,718 customer tweets name, reply to or are answered by a brand account.
    assert sum(expected.values()) == 2066


def test_every_addressed_inbound_tweet_and_its_first_response(real_home):
    expected = {
        (tweet_id, account): (via, utc(at), answer and utc(answer))
        for (tweet_id, account), (via, at, answer) in read_twcs(real_home.twcs).addressed().items()
    }
    # The live warehouse: the published snapshot carries message ids only as pseudonyms.
    with duckdb.connect(str(real_home.warehouse), read_only=True) as conn:
        found = conn.execute(
            "select mention_id, lower(account_handle), addressed_via, created_at, "
            "first_response_at from marts.fct_inbound_messages"
        ).fetchall()
    assert len(found) == len(expected)
    assert {(m, a): (via, at, first) for m, a, via, at, first in found} == expected
    # The sample breaks most threads: 20 tweets name two brands, 3 have their answer.
    assert Counter(via for via, _, _ in expected.values()) == {"handle": 2087, "reply": 1}
    per_tweet = Counter(tweet_id for tweet_id, _ in expected)
    assert sum(1 for accounts in per_tweet.values() if accounts > 1) == 20
    assert sum(1 for _, _, first in expected.values() if first is not None) == 3


def test_response_kpis_per_brand_and_month(real_home):
    addressed = read_twcs(real_home.twcs).addressed()
    inbound: Counter = Counter()
    delays: dict[tuple[str, date], list[float]] = defaultdict(list)
    for (_, account), (_, at, answer) in addressed.items():
        key = (account, month_of(at))
        inbound[key] += 1
        if answer is not None:
            delays[key].append((answer - at).total_seconds() / 60)
    with snapshot(real_home) as conn:
        found = conn.execute(
            "select brand, reporting_month, inbound_messages, answered_messages, "
            "median_first_response_minutes from marts.fct_webcare_response_monthly "
            "where inbound_messages > 0"
        ).fetchall()
    assert {(b, m): n for b, m, n, _, _ in found} == dict(inbound)
    assert {(b, m): answered for b, m, _, answered, _ in found if answered} == {
        key: len(values) for key, values in delays.items()
    }
    medians = {(b, m): median for b, m, _, _, median in found if median is not None}
    assert medians.keys() == delays.keys()
    for key, values in delays.items():
        assert medians[key] == pytest.approx(statistics.median(values), abs=1 / 60_000)


def test_complaints_per_month_and_channel(real_home):
    expected: Counter = Counter()
    for row in read_cfpb(real_home.cfpb):
        expected[(received(row).replace(day=1), CFPB_CHANNELS[row["Submitted via"]])] += 1
    channels = ("phone", "email", "letter", "webform", "store", "other")
    with snapshot(real_home) as conn:
        found = conn.execute(
            "select reporting_month, "
            + ", ".join(f"sum({channel}_complaints)" for channel in channels)
            + ", sum(social_desk_complaints), sum(traditional_complaints) "
            "from marts.fct_complaint_channels_monthly group by reporting_month"
        ).fetchall()
    counted = {
        (month, channel): count
        for month, *counts, _ in found
        for channel, count in zip((*channels, "social"), counts, strict=True)
        if count
    }
    assert counted == dict(expected)
    traditional = Counter()
    for (month, channel), count in expected.items():
        if channel != "social":
            traditional[month] += count
    assert {month: total for month, *_, total in found if total} == dict(traditional)
    assert sum(expected.values()) == 6623


def read_cfpb(path: Path) -> list[dict[str, str]]:
    """The CFPB sample's rows, read with the csv module."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_month_end_closes_of_every_listed_brand(real_home):
    twcs = read_twcs(real_home.twcs)
    companies = " | ".join(row["Company"].upper() for row in read_cfpb(real_home.cfpb))
    # A ticker's brand exists when its support account tweets in the sample, or
    # when the bank behind it has complaints in the CFPB sample.
    listed = {
        ticker
        for ticker, handle in real_home.handles.items()
        if handle.lower() in twcs.accounts
        or (ticker in BANK_COMPANIES and BANK_COMPANIES[ticker] in companies)
    }
    # The marts' months run from the first to the last month with customer voice.
    voice = [month_of(t["at"]) for t in twcs.tweets.values()] + [
        received(row).replace(day=1) for row in read_cfpb(real_home.cfpb)
    ]
    expected = {}
    for ticker in listed:
        closes: dict[date, tuple[date, Decimal]] = {}
        with real_home.prices[ticker].open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                day = date.fromisoformat(row["date"])
                month = day.replace(day=1)
                if month not in closes or day > closes[month][0]:
                    # money is published in cents, the written price rounded half away
                    closes[month] = (day, Decimal(row["close"]).quantize(CENT, ROUND_HALF_UP))
        brand = real_home.handles[ticker].lower()
        for month, (_, close) in closes.items():
            if min(voice) <= month <= max(voice):
                expected[(brand, ticker, month)] = close
    with snapshot(real_home) as conn:
        found = conn.execute(
            "select brand, ticker, reporting_month, month_end_close "
            "from marts.fct_sentiment_stock_monthly where month_end_close is not null"
        ).fetchall()
    assert {(b, t, m): close for b, t, m, close in found} == expected
    assert len(listed) == 15


def test_broken_lines_are_refused_with_file_line_and_column(real_home):
    with duckdb.connect(str(real_home.warehouse), read_only=True) as conn:
        refused = conn.execute(
            'select file, line, "column" from raw.rejected_rows order by file, line'
        ).fetchall()
    found = sorted((Path(file).name, line, column) for file, line, column in refused)
    assert found == sorted((b.file, b.line, b.column) for b in real_home.broken)


def test_the_summary_and_the_glance_list_the_brands_with_data_that_month(real_home, capsys):
    """The CFPB export names hundreds of companies, most without a complaint in November
    2017: the console summary and the report's glance table list the brands with
    mentions or complaints that month (the summary the 30 most mentioned) and count the
    rest, instead of a line of dashes for each of them."""
    month = date(2017, 11, 1)
    mentions = read_twcs(real_home.twcs).inbound_per_brand(month)
    companies = {
        row["Company"]
        for row in read_cfpb(real_home.cfpb)
        if received(row).replace(day=1) == month and CFPB_CHANNELS[row["Submitted via"]] != "social"
    }
    # none of them a bank with a twcs account, so each is a brand of its own
    assert sorted(companies) == [
        "Law Offices of Hayt, Hayt & Landau, LLC",
        "Moxley & Associates, LLC",
        "Nelnet, Inc.",
    ]
    with_data = len(mentions) + len(companies)
    with snapshot(real_home) as conn:
        (brands,) = conn.execute("select count(*) from marts.dim_brands").fetchone()
    without = brands - with_data
    assert (len(mentions), with_data, without) == (81, 84, 721)

    print_kpi_summary(Settings.from_env(real_home.home), "2017-11")
    printed = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(printed) if line.startswith("sector"))
    listed = [line.split()[1] for line in printed[header + 1 : header + 31]]
    most_mentioned = sorted(mentions, key=lambda brand: (-mentions[brand], brand))[:30]
    assert sorted(listed) == sorted(most_mentioned)
    assert printed[header + 31 : header + 33] == [
        "(30 of the 84 brands with data in 2017-11, those with the most mentions; "
        "all in marts.fct_brand_benchmark_monthly and the report)",
        "(721 brands without mentions, complaints or NPS answers in 2017-11 not listed)",
    ]

    page = (real_home.home / "published" / "report" / "2017-11.html").read_text()
    glance = page.split('<div class="card" id="glance">', 1)[1].split("</div>", 1)[0]
    assert glance.split("<tbody>", 1)[1].count("<tr>") == with_data
    assert "721 brands without mentions, complaints or NPS answers this month are not listed." in (
        glance
    )


def test_the_reports_best_net_sentiment_rests_on_enough_mentions(real_home):
    """A brand with a handful of November mentions can score +1 by chance: the leader
    of each sector's net sentiment is taken among brands with at least 30 mentions
    (counted here from the file), and a sector without one says so."""
    month = date(2017, 11, 1)
    mentions = read_twcs(real_home.twcs).inbound_per_brand(month)
    with snapshot(real_home) as conn:
        rows = conn.execute(
            "select coalesce(b.sector, 'unassigned'), b.brand, "
            "coalesce(b.display_name, b.brand), s.net_sentiment "
            "from marts.fct_sentiment_monthly s join marts.dim_brands b using (brand) "
            "where s.reporting_month = ? and s.net_sentiment is not null",
            [month],
        ).fetchall()
    leaders = {}
    for sector, brand, name, net in sorted(rows):
        leaders.setdefault(sector, None)
        if mentions[brand] >= 30 and (leaders[sector] is None or net > leaders[sector][1]):
            leaders[sector] = (name, net)
    expected = "; ".join(
        f"{sector}: {leader[0]} ({leader[1]:+.2f})"
        if leader
        else f"{sector}: no brand with enough mentions"
        for sector, leader in sorted(leaders.items())
    )
    # some sectors have a leader, and the one-mention brands at +1.00 do not lead theirs
    assert any(leaders.values()) and not all(leaders.values())
    assert any(net == 1 and mentions[brand] < 30 for _, brand, _, net in rows)
    page = (real_home.home / "published" / "report" / "2017-11.html").read_text()
    assert f"Best net sentiment this month — {expected}." in page


def test_the_report_is_about_the_last_month_the_exports_cover_to_its_end(real_home):
    """The twcs sample ends on 3 December 2017: `webcare run` reports on November."""
    twcs = read_twcs(real_home.twcs)
    newest = max(t["at"] for t in twcs.tweets.values()).astimezone(REPORTING)
    assert newest.date() == date(2017, 12, 3)
    reports = sorted(p.name for p in (real_home.home / "published" / "report").glob("*.html"))
    assert reports == ["2017-11.html"]


def test_the_dashboard_opens_on_the_most_mentioned_brand_of_the_report_month(
    real_home, monkeypatch
):
    """The newest month of the CFPB sample (March 2020) holds complaints only, and the
    first brand of the dashboard's list (Alaska Airlines) had no mention then: the page
    opens on the month the report is about and its most mentioned brand instead."""
    month = date(2017, 11, 1)  # the twcs sample stops on 3 December 2017 (test above)
    mentions = read_twcs(real_home.twcs).inbound_per_brand(month)
    brand = min(mentions, key=lambda key: (-mentions[key], key))
    monkeypatch.setenv("WEBCARE_HOME", str(real_home.home))
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        app = AppTest.from_file(str(DASHBOARD), default_timeout=60)
        app.run()
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
    assert not app.exception
    brands, months = app.selectbox(key="brand"), app.selectbox(key="month")
    assert (brands.value, months.value) == (brand, month)
    assert (brands.options[0], months.options[0]) == ("Alaska Airlines (airline)", "2020-03")
    tiles = {metric.label: metric.value for metric in app.metric}
    assert tiles["Mentions"] == f"{mentions[brand]:,}"


def test_the_samples_are_too_sparse_for_a_volume_warning(real_home):
    """The CFPB sample holds a few complaints per company and month, the twcs sample a
    few tweets per brand in its first and last months: a month with none is chance
    there, and the months after an export's end are none of the volume check's. Both
    volume checks pass (they warned about 557 mention and about 1,350 complaint
    brand-months before)."""
    instance = open_instance(Settings.from_env(real_home.home))
    for source in ("mentions", "complaints"):
        key = dg.AssetCheckKey(dg.AssetKey(["raw", source]), VOLUME_CHECK_NAME)
        (record,) = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
        evaluation = record.event.dagster_event.event_specific_data
        assert evaluation.passed, (source, evaluation.description)
        assert evaluation.metadata["anomalous_brand_months"].value == []
