"""Session fixtures for the dbt project: a tiny hand-written warehouse and one `dbt build`.

The dataset below is small enough to compute every mart value by hand (see
test_marts_exact.py, which states the arithmetic). Times are UTC; the comments
give the Europe/Amsterdam wall-clock time (CET = UTC+1 until 2011-03-27 02:00,
CEST = UTC+2 after).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import pytest

from warehouse.contract import ensure_tables

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

# Two thresholds are lowered so the tiny fixture has brand-months on both sides
# of them; every other assumption keeps its documented default.
FIXTURE_VARS = {"min_mentions_for_kpi": 3, "min_nps_responses": 2}

LOADED_AT = datetime(2011, 5, 1, 6, 0)
SCORED_AT = datetime(2011, 5, 1, 7, 0)
MODEL_VERSION = "fixture-model"

# Probabilities per label: (p_negative, p_neutral, p_positive); score = p_pos - p_neg.
LABEL_PROBABILITIES = {
    "positive": (0.05, 0.15, 0.80),
    "neutral": (0.10, 0.80, 0.10),
    "negative": (0.85, 0.10, 0.05),
}


def pearson(xs: list[float], ys: list[float]) -> float:
    """Pearson's r by the textbook formula: the hand computation the marts are checked against."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    return sxy / math.sqrt(sxx * syy)


def ts(text: str) -> datetime:
    """A naive UTC timestamp from 'YYYY-MM-DD HH:MM[:SS]'."""
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class Mention:
    """One raw.mentions row; `label` is the score written to scores.mention_sentiment."""

    mention_id: str
    created_at: str
    author_id: str
    is_brand_account: bool
    text: str
    brand: str | None = None
    in_reply_to_id: str | None = None
    label: str | None = None
    is_automated: bool = False
    deleted_at: str | None = None


# fmt: off
MENTIONS: list[Mention] = [
    # ---- bank_a, March 2011 (account BankA_Help: Mon-Fri 09:00-17:00, promise 60) ----
    # Fri 16:00 CET; bot answers at once, a person on Mon 10:00 CET. Deleted on Saturday:
    # after the bot's reply but before the human one, so not a deletion after contact.
    Mention("a1", "2011-03-04 15:00", "p_a1", False, "@BankA_Help my card is blocked", "bank_a",
            label="negative", deleted_at="2011-03-05 12:00"),
    Mention("b1", "2011-03-04 15:00:30", "BankA_Bot", True,
            "Thanks for your message, we will respond soon", "bank_a", "a1"),
    Mention("h1", "2011-03-07 09:00", "BankA_Help", True,
            "Sorry to hear that, please DM us your details ^JV", "bank_a", "a1"),
    # Tue 10:00 CET, answered 30 minutes later; the customer thanks the agent (brand derived
    # from the thread: the reply carries no brand and names no handle).
    Mention("a2", "2011-03-08 09:00", "p_a2", False, "@BankA_Help when will the app work again?",
            "bank_a", label="neutral"),
    Mention("h2", "2011-03-08 09:30", "BankA_Help", True, "The app is working again. /Suzanne",
            "bank_a", "a2"),
    Mention("a6", "2011-03-08 09:45", "p_a2", False, "thanks, works now", None, "h2",
            label="positive"),
    Mention("h4", "2011-03-08 10:45", "BankA_Help", True, "Glad to hear! -AB", "bank_a", "a6"),
    # Tue 22:00 CET, answered Wed 08:30 CET: before opening, so 0 business minutes.
    Mention("a3", "2011-03-08 21:00", "p_a3", False, "@BankA_Help great service today, thanks!",
            "bank_a", label="positive"),
    Mention("h3", "2011-03-09 07:30", "BankA_Help", True, "Thank you for the kind words",
            "bank_a", "a3"),
    # Thu, never answered.
    Mention("a4", "2011-03-10 10:00", "p_a1", False, "@BankA_Help still blocked!!", "bank_a",
            label="negative"),
    # Not addressed to any account.
    Mention("a5", "2011-03-15 11:00", "p_a4", False, "bank a raises its rates again", "bank_a",
            label="negative"),
    # Sun 14:00 CET; an automated reply (flag in extra) at once, a person Mon 09:20 CET.
    Mention("a7", "2011-03-20 13:00", "p_a5", False, "@BankA_Help is the office open tomorrow?",
            "bank_a", label="neutral"),
    Mention("h5", "2011-03-20 13:01", "BankA_Help", True, "Auto-reply: we answer Mon-Fri 9-17",
            "bank_a", "a7", is_automated=True),
    Mention("h6", "2011-03-21 08:20", "BankA_Help", True, "Yes, from 9 to 5. Groet, Diane",
            "bank_a", "a7"),
    # Tue 10:00 CET, answered after 40 minutes, deleted the next day; the poster turns
    # positive three days later.
    Mention("a12", "2011-03-22 09:00", "p_a10", False, "@BankA_Help fees are far too high",
            "bank_a", label="negative", deleted_at="2011-03-23 12:00"),
    Mention("h9", "2011-03-22 09:40", "BankA_Help", True, "We understand, DM us ^JV", "bank_a",
            "a12"),
    Mention("a13", "2011-03-25 10:00", "p_a10", False, "bank a refunded me, thanks", "bank_a",
            label="positive"),
    # ---- bank_a, April 2011 ----
    # 2011-04-01 00:30 CEST: an April message although its UTC date is in March.
    Mention("a11", "2011-03-31 22:30", "p_a8", False, "bank a is fine", "bank_a",
            label="positive"),
    # Mon 10:00 CEST, never answered.
    Mention("a8", "2011-04-04 08:00", "p_a1", False, "@BankA_Help my card works now, great help",
            "bank_a", label="positive"),
    # Tue 09:00 CEST, answered Fri 19:00 CEST: 82 calendar hours, 4 x 8 business hours.
    Mention("a9", "2011-04-12 07:00", "p_a6", False, "@BankA_Help terrible waiting times",
            "bank_a", label="negative"),
    Mention("h7", "2011-04-15 17:00", "BankA_Help", True, "We apologise for the delay ^MK",
            "bank_a", "a9"),
    Mention("a10", "2011-04-13 10:00", "p_a7", False, "@BankA_Help ok", "bank_a",
            label="neutral"),
    Mention("h8", "2011-04-13 10:10", "BankA_Help", True, "Can you DM us?", "bank_a", "a10"),
    # Tue 10:00 CEST, names both banks (the loader's brand is the first named, bank_b):
    # BankA_Help answers after 25 minutes, BankB after 70. One row for each account.
    Mention("a14", "2011-04-19 08:00", "p_a11", False,
            "@BankB @BankA_Help which of you has my transfer?", "bank_b", label="neutral"),
    Mention("h10", "2011-04-19 08:25", "BankA_Help", True, "We are checking with Bank B ^JV",
            "bank_a", "a14"),
    Mention("r5", "2011-04-19 09:10", "BankB", True, "We have it, please DM us", "bank_b", "a14"),
    # ---- bank_b, March 2011 (account BankB: 24/7, no promise -> default 120) ----
    Mention("b1x", "2011-03-02 12:00", "p_b1", False, "@BankB I love the new app", "bank_b",
            label="positive"),
    Mention("r1", "2011-03-02 12:20", "BankB", True, "Thanks! ^LS", "bank_b", "b1x"),
    Mention("b2", "2011-03-05 10:00", "p_b2", False, "@BankB why is my transfer late?",
            "bank_b", label="negative"),
    Mention("r2", "2011-03-05 13:00", "BankB", True, "Please DM us", "bank_b", "b2"),
    Mention("b3", "2011-03-12 10:00", "p_b3", False, "@BankB hello", "bank_b", label="neutral"),
    Mention("b4", "2011-03-20 08:00", "p_b2", False, "bank b ok", "bank_b", label="positive"),
    # ---- bank_b, April 2011: a baseline negative, then the outage spike ----
    Mention("b5", "2011-04-05 09:00", "p_b4", False, "bank b app crashes", "bank_b",
            label="negative"),
    Mention("b6", "2011-04-10 09:00", "p_b4", False, "bank b fixed it, nice", "bank_b",
            label="positive"),
    Mention("x2", "2011-04-19 09:00", "BankB", True, "Maintenance tonight", "bank_b"),
    *[
        Mention(f"s{i}", f"2011-04-20 {8 + i:02d}:00", author, False, "bank b outage!!!",
                "bank_b", label="negative")
        for i, author in enumerate(
            ["p_r1", "p_r1", "p_r1", "p_s1", "p_s2", "p_s3", "p_s4", "p_s5", "p_s6", "p_s7"]
        )
    ],
    # BankB's auto-reply (flagged automated) to the outage post s3: it shows s3 reached
    # BankB ('response'), but it neither answers s3 nor contacts its poster.
    Mention("r4", "2011-04-20 11:00:20", "BankB", True,
            "Auto-reply: we know about the outage and are working on it", "bank_b", "s3",
            is_automated=True),
    Mention("b7", "2011-04-21 10:00", "p_b5", False, "@BankB is the outage over?", "bank_b",
            label="neutral"),
    Mention("r3", "2011-04-21 10:50", "BankB", True, "Yes it is over. Excuses, -Tom", "bank_b",
            "b7"),
    # ---- tel_a (account TelA_Care: every day 08:00-20:00, promise 30) ----
    # Sat 19:00 CET, answered Sun 09:00 CEST, the night the clocks went forward.
    Mention("t1", "2011-03-26 18:00", "p_t1", False, "@TelA_Care no signal in Utrecht",
            "tel_a", label="negative"),
    Mention("q1", "2011-03-27 07:00", "TelA_Care", True, "We kijken ernaar. Groet, Diane",
            "tel_a", "t1"),
    Mention("t2", "2011-03-28 08:00", "p_t2", False, "@TelA_Care thanks for fixing", "tel_a",
            label="positive"),
    Mention("q2", "2011-03-28 08:15", "TelA_Care", True, "You're welcome", "tel_a", "t2"),
    Mention("t3", "2011-04-02 10:00", "p_t1", False, "telA works again, great", "tel_a",
            label="positive"),
    Mention("t4", "2011-04-09 10:00", "p_t3", False, "@TelA_Care my bill is wrong", "tel_a",
            label="negative"),
    # Not scored yet: counts as a mention, not in the label counts.
    Mention("t5", "2011-04-09 12:00", "p_t4", False, "telA", "tel_a"),
    # Sat 11:00 CEST, answers a tweet outside the data and names no handle: no brand from
    # the loader; TelA_Care's reply 90 minutes later gives it its brand and its address.
    Mention("t6", "2011-04-23 09:00", "p_t5", False, "still no answer about my contract", None,
            "gone", label="neutral"),
    Mention("q3", "2011-04-23 10:30", "TelA_Care", True,
            "We hebben je een DM gestuurd. Groet, Diane", "tel_a", "t6"),
    # ---- no brand: not an inbound message of any brand ----
    Mention("x1", "2011-03-15 12:00", "p_x", False, "random thoughts", label="neutral"),
]
# fmt: on

BRANDS = [
    # brand, display_name, sector, country, ticker, currency, shares_outstanding
    ("bank_a", "Bank A", "banks", "NL", "BNKA", "EUR", 1000),
    ("bank_b", "Bank B", "banks", "NL", "BNKB", "EUR", 2000),
    ("tel_a", "Tel A", "telecoms", "NL", None, "EUR", None),
]

WEBCARE_ACCOUNTS = [
    # brand, handle, platform, is_bot, promised_response_minutes, opening_hours, timezone
    ("bank_a", "BankA_Help", "twitter", False, 60, "mon-fri 09:00-17:00", "Europe/Amsterdam"),
    ("bank_a", "BankA_Bot", "twitter", True, None, None, "Europe/Amsterdam"),
    ("bank_b", "BankB", "twitter", False, None, None, "Europe/Amsterdam"),
    ("tel_a", "TelA_Care", "twitter", False, 30, "mon-sun 08:00-20:00", "Europe/Amsterdam"),
]

OPENING_HOURS = [
    *[("BankA_Help", "twitter", day, time(9), time(17)) for day in range(1, 6)],
    *[("TelA_Care", "twitter", day, time(8), time(20)) for day in range(1, 8)],
]

COMPLAINTS = [
    # id, brand, received_at, channel, customer_id, social_handle, resolved_at
    ("c1", "bank_a", "2011-03-03 09:00", "phone", "k1", "p_a1", "2011-03-04 09:00"),
    ("c2", "bank_a", "2011-03-10 12:00", "email", "k2", "p_a9", "2011-03-10 18:00"),
    ("c3", "bank_a", "2011-03-20 10:00", "letter", "k3", None, None),
    ("c4", "bank_a", "2011-03-25 10:00", "social", "k4", "p_a3", None),
    ("c5", "bank_a", "2011-04-01 10:00", "webform", "k5", "p_a6", "2011-04-03 10:00"),
    # 2011-04-01 01:30 CEST: an April complaint.
    ("c6", "bank_a", "2011-03-31 23:30", "store", "k1", "p_a1", None),
    ("c7", "bank_b", "2011-03-01 10:00", "phone", "k7", "p_b2", "2011-03-01 12:00"),
    ("c8", "bank_b", "2011-03-15 10:00", "other", "k8", None, None),
    # p_t3 posts a negative message 20 days later: outside the 14-day window.
    ("c10", "tel_a", "2011-03-20 10:00", "email", "k10", "p_t3", None),
    ("c9", "tel_a", "2011-04-20 10:00", "phone", "k9", "p_t1", None),
]

NPS_RESPONSES = [
    # brand, answered_at, scores (one response per score)
    ("bank_a", "2011-03-15 12:00", [10, 9, 8, 3]),
    ("bank_a", "2011-04-15 12:00", [9, 9, 7]),
    ("bank_b", "2011-03-15 12:00", [6, 5, 10]),
    ("bank_b", "2011-04-15 12:00", [0, 2, 4, 6]),
    ("tel_a", "2011-03-15 12:00", [8]),
]
# The first bank_a March response carries a comment scored positive.
NPS_COMMENT = ("bank_a-2011-03-15-1", "Great bank", "positive")

STOCK_PRICES = [
    # ticker, date, close, adj_close
    ("BNKA", date(2011, 2, 25), 10.0, None),
    ("BNKA", date(2011, 2, 28), 11.0, None),
    ("BNKA", date(2011, 3, 30), 12.2, None),
    ("BNKA", date(2011, 3, 31), 12.5, 12.0),
    ("BNKA", date(2011, 4, 28), 13.0, None),
    ("BNKA", date(2011, 4, 29), 13.2, None),
    ("BNKB", date(2011, 3, 31), 20.0, None),
    ("BNKB", date(2011, 4, 29), 18.0, None),
]


def _month(value: datetime | date) -> date:
    """Partition month as the loaders would write it (Amsterdam month; no fixture row
    sits on a month boundary in a way where this simplification matters for dbt)."""
    return date(value.year, value.month, 1)


def create_fixture_warehouse(path: Path) -> None:
    """Create the raw/scores tables in `path` exactly as production does
    (`warehouse.contract.ensure_tables`) and fill them."""
    con = duckdb.connect(str(path))
    try:
        ensure_tables(con)
        for line, m in enumerate(MENTIONS, start=1):
            created = ts(m.created_at)
            con.execute(
                "insert into raw.mentions values (?, 'twitter', ?, ?, ?, ?, ?, ?, "
                "'en', 100, null, ?, ?, ?, 'mentions.jsonl', ?, ?)",
                [
                    m.mention_id,
                    created,
                    m.author_id,
                    m.is_brand_account,
                    m.text,
                    m.brand,
                    m.in_reply_to_id,
                    ts(m.deleted_at) if m.deleted_at else None,
                    json.dumps({"is_automated": True}) if m.is_automated else None,
                    _month(created),
                    line,
                    LOADED_AT,
                ],
            )
            if m.label is not None:
                p_neg, p_neu, p_pos = LABEL_PROBABILITIES[m.label]
                con.execute(
                    "insert into scores.mention_sentiment values "
                    "('twitter', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        m.mention_id,
                        _month(created),
                        f"hash-{m.mention_id}",
                        m.label,
                        p_neg,
                        p_neu,
                        p_pos,
                        p_pos - p_neg,
                        MODEL_VERSION,
                        SCORED_AT,
                    ],
                )
        for line, row in enumerate(BRANDS, start=2):
            con.execute(
                "insert into raw.brands values "
                "(?, ?, ?, ?, ?, ?, ?, null, null, 'brands.csv', ?, ?)",
                [*row, line, LOADED_AT],
            )
        for line, row in enumerate(WEBCARE_ACCOUNTS, start=2):
            con.execute(
                "insert into raw.webcare_accounts values "
                "(?, ?, ?, ?, ?, ?, ?, null, null, 'accounts.csv', ?, ?)",
                [*row, line, LOADED_AT],
            )
        for line, row in enumerate(OPENING_HOURS, start=2):
            con.execute(
                "insert into raw.webcare_account_opening_hours values "
                "(?, ?, ?, ?, ?, 'accounts.csv', ?, ?)",
                [*row, line, LOADED_AT],
            )
        for line, (cid, brand, received, channel, customer, handle, resolved) in enumerate(
            COMPLAINTS, start=2
        ):
            con.execute(
                "insert into raw.complaints values "
                "(?, ?, ?, ?, 'billing', ?, ?, ?, true, null, ?, 'complaints.csv', ?, ?)",
                [
                    cid,
                    brand,
                    ts(received),
                    channel,
                    customer,
                    handle,
                    ts(resolved) if resolved else None,
                    _month(ts(received)),
                    line,
                    LOADED_AT,
                ],
            )
        line = 1
        for brand, answered, scores in NPS_RESPONSES:
            answered_at = ts(answered)
            for index, score in enumerate(scores, start=1):
                line += 1
                response_id = f"{brand}-{answered_at.date()}-{index}"
                comment = NPS_COMMENT[1] if response_id == NPS_COMMENT[0] else None
                con.execute(
                    "insert into raw.nps_responses values "
                    "(?, ?, ?, ?, ?, ?, 'w1', null, ?, 'nps.csv', ?, ?)",
                    [
                        response_id,
                        brand,
                        answered_at,
                        score,
                        f"resp-{line}",
                        comment,
                        _month(answered_at),
                        line,
                        LOADED_AT,
                    ],
                )
        p_neg, p_neu, p_pos = LABEL_PROBABILITIES[NPS_COMMENT[2]]
        con.execute(
            "insert into scores.nps_comment_sentiment values (?, ?, 'hash-c', ?, ?, ?, ?, ?, ?, ?)",
            [
                NPS_COMMENT[0],
                date(2011, 3, 1),
                NPS_COMMENT[2],
                p_neg,
                p_neu,
                p_pos,
                p_pos - p_neg,
                MODEL_VERSION,
                SCORED_AT,
            ],
        )
        for line, (ticker, day, close, adj_close) in enumerate(STOCK_PRICES, start=2):
            con.execute(
                "insert into raw.stock_prices values "
                "(?, ?, ?, ?, ?, ?, ?, 1000, 'EUR', null, ?, 'prices.csv', ?, ?)",
                [ticker, day, close, close, close, close, adj_close, _month(day), line, LOADED_AT],
            )
    finally:
        con.close()


def run_dbt(args: list[str], duckdb_path: Path, work_dir: Path, dbt_vars: dict | None = None):
    """Invoke dbt in-process on the repository's project against `duckdb_path`.

    Target and log folders go to `work_dir`, so tests never touch dbt_project/target.
    Returns the `dbtRunnerResult`.
    """
    from dbt.cli.main import dbtRunner

    command = [
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
    ]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WEBCARE_DUCKDB_PATH", str(duckdb_path))
        return dbtRunner().invoke(command)


@dataclass
class DbtBuild:
    """The outcome of one `dbt build` on the fixture warehouse."""

    duckdb_path: Path
    result: object

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A connection to the built warehouse (tests only read through it).

        Not read-only: dbt-duckdb may still hold the file open in this process, and
        DuckDB refuses a second in-process connection with a different configuration.
        """
        return duckdb.connect(str(self.duckdb_path))


@pytest.fixture(scope="session")
def fixture_build(tmp_path_factory: pytest.TempPathFactory) -> DbtBuild:
    """The fixture warehouse after one `dbt build` of the whole project (run once per session)."""
    work_dir = tmp_path_factory.mktemp("dbt_fixture")
    duckdb_path = work_dir / "warehouse.duckdb"
    create_fixture_warehouse(duckdb_path)
    result = run_dbt(["build"], duckdb_path, work_dir, FIXTURE_VARS)
    return DbtBuild(duckdb_path=duckdb_path, result=result)


@pytest.fixture(scope="session")
def dbt_invoke():
    """`run_dbt(args, duckdb_path, work_dir, dbt_vars=None)`: dbt in-process on this project."""
    return run_dbt
