"""Fixtures for the serving tests: a small warehouse whose marts the real dbt project builds.

Raw and scores tables are created as production creates them
(`warehouse.contract.ensure_tables`). Two sectors of three fictional brands,
fourteen months, enough inbound mentions per brand-month to clear the
low-volume threshold, brand replies with per-account delays, NPS answers driven
by the month's sentiment, complaints on every traditional channel, daily prices
for the two listed brands, one planted negative spike and one repeat complainer
in the report month. The sentiment scores come from model ``fixture``, which has
an identity calibration (adjusted shares = raw shares), except in the first month,
scored by ``fixture-uncalibrated`` without one (no adjusted shares).
"""

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from warehouse.contract import ensure_tables
from warehouse.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"

FIRST_MONTH = date(2010, 1, 1)
MONTHS = 14
REPORT_MONTH = "2011-02"
SPIKE_BRAND, SPIKE_DAY = "tel_two", date(2011, 2, 14)
REPEAT_BRAND = "bank_south"
MODEL_VERSION, UNCALIBRATED_MODEL_VERSION = "fixture", "fixture-uncalibrated"
CALIBRATION_ID = "fixture_sample.csv@0123456789ab for fixture"
SENTIMENT_LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Brand:
    brand: str
    display_name: str
    sector: str
    ticker: str | None
    handle: str
    promise: int | None
    office_hours: bool
    base_sentiment: float
    answer_rate: float
    median_delay_minutes: float


BRANDS = (
    Brand("bank_north", "Noorderbank", "banks", "NRTH", "NoorderHelp", 60, False, 0.25, 0.9, 25),
    Brand("bank_south", "Zuiderbank", "banks", None, "ZuiderCare", None, False, -0.15, 0.6, 180),
    Brand("bank_east", "Oosterbank", "banks", None, "OosterWebcare", 120, True, 0.05, 0.75, 60),
    Brand("tel_one", "Belnet", "telecoms", "BELN", "BelnetZorg", 30, False, 0.1, 0.85, 15),
    Brand("tel_two", "Zendmast", "telecoms", None, "ZendmastHelpt", 240, False, -0.25, 0.5, 300),
    Brand("tel_three", "Lijnvast", "telecoms", None, "LijnvastCare", 60, False, 0.0, 0.7, 45),
)
CHANNELS = ("phone", "email", "letter", "webform", "store", "other")


def month_starts() -> list[date]:
    """The fixture's months, first days."""
    return [(pd.Timestamp(FIRST_MONTH) + pd.DateOffset(months=i)).date() for i in range(MONTHS)]


def _pseudonym(seed: str) -> str:
    return "p_" + hashlib.sha256(seed.encode()).hexdigest()[:16]


def _probabilities(label: str, rng: np.random.Generator) -> tuple[float, float, float]:
    main = rng.uniform(0.6, 0.9)
    rest = (1 - main) / 2
    order = {"negative": (main, rest, rest), "neutral": (rest, main, rest)}
    return order.get(label, (rest, rest, main))


def build_raw(database: Path) -> None:
    """Create the raw and scores schemas in `database` and fill them with the fixture data."""
    rng = np.random.default_rng(2011)
    loaded_at = datetime(2011, 3, 2, 6, 0)
    mentions: list[dict] = []
    scores: list[dict] = []
    nps: list[dict] = []
    complaints: list[dict] = []
    prices: list[dict] = []

    def add_inbound(brand: Brand, month: date, created: datetime, label: str, author: str) -> None:
        mention_id = f"{brand.brand}-{len(mentions):06d}"
        mentions.append(
            {
                "mention_id": mention_id,
                "platform": "twitter",
                "created_at": created,
                "author_id": author,
                "is_brand_account": False,
                "text": f"@{brand.handle} message {len(mentions)}",
                "brand": brand.brand,
                "in_reply_to_id": None,
                "language": "nl",
                "partition_month": month,
            }
        )
        p_negative, p_neutral, p_positive = _probabilities(label, rng)
        scores.append(
            {
                "platform": "twitter",
                "mention_id": mention_id,
                "partition_month": month,
                "text_hash": hashlib.sha256(mention_id.encode()).hexdigest(),
                "label": label,
                "p_negative": p_negative,
                "p_neutral": p_neutral,
                "p_positive": p_positive,
                "score": p_positive - p_negative,
                "model_version": (
                    UNCALIBRATED_MODEL_VERSION if month == FIRST_MONTH else MODEL_VERSION
                ),
                "scored_at": loaded_at,
            }
        )
        if rng.random() < brand.answer_rate:
            delay = float(rng.lognormal(np.log(brand.median_delay_minutes), 0.8))
            mentions.append(
                {
                    "mention_id": f"{brand.brand}-{len(mentions):06d}",
                    "platform": "twitter",
                    "created_at": created + timedelta(minutes=delay),
                    "author_id": brand.handle,
                    "is_brand_account": True,
                    "text": "Vervelend om te horen, we kijken mee. ^JV",
                    "brand": brand.brand,
                    "in_reply_to_id": mention_id,
                    "language": "nl",
                    "partition_month": month,
                }
            )

    for index, month in enumerate(month_starts()):
        days = pd.Timestamp(month).days_in_month
        for brand in BRANDS:
            drift = 0.15 * np.sin(index / 2 + len(brand.brand))
            net = float(np.clip(brand.base_sentiment + drift + rng.normal(0, 0.05), -0.8, 0.8))
            p_positive, p_negative = 0.35 * (1 + net), 0.35 * (1 - net)
            for _ in range(int(rng.integers(40, 60))):
                label = rng.choice(
                    ["positive", "neutral", "negative"],
                    p=[p_positive, 1 - p_positive - p_negative, p_negative],
                )
                created = datetime(month.year, month.month, int(rng.integers(2, days - 1)))
                created += timedelta(hours=int(rng.integers(7, 19)), minutes=int(rng.integers(60)))
                author = _pseudonym(f"{brand.brand}-{rng.integers(400)}")
                add_inbound(brand, month, created, str(label), author)
            promoter, detractor = 0.3 + 0.35 * net, 0.3 - 0.3 * net
            for n in range(40):
                kind = rng.choice(3, p=[promoter, 1 - promoter - detractor, detractor])
                score = int(rng.integers(*((9, 11), (7, 9), (0, 7))[kind]))
                nps.append(
                    {
                        "response_id": f"nps-{brand.brand}-{month:%Y%m}-{n}",
                        "brand": brand.brand,
                        "answered_at": datetime(month.year, month.month, 5 + n % 20, 10),
                        "score": score,
                        "respondent_id": _pseudonym(f"respondent-{brand.brand}-{n}"),
                        "partition_month": month,
                    }
                )
            for n in range(int(rng.integers(18, 30))):
                received = datetime(month.year, month.month, int(rng.integers(2, 26)), 11)
                complaints.append(
                    {
                        "complaint_id": f"c-{brand.brand}-{month:%Y%m}-{n}",
                        "brand": brand.brand,
                        "received_at": received,
                        "channel": CHANNELS[n % len(CHANNELS)],
                        "category": "billing",
                        "customer_id": _pseudonym(f"customer-{brand.brand}-{n}"),
                        "social_handle": _pseudonym(f"{brand.brand}-{n}") if n % 4 == 0 else None,
                        "resolved_at": received + timedelta(hours=int(rng.integers(2, 96))),
                        "is_timely_response": True,
                        "partition_month": month,
                    }
                )
        for brand in BRANDS:
            if brand.ticker is None:
                continue
            close = 20.0 + 5 * len(brand.brand) + index
            for day in pd.bdate_range(month, pd.Timestamp(month) + pd.offsets.MonthEnd(0)):
                close *= float(np.exp(rng.normal(0.0005, 0.01)))
                prices.append(
                    {
                        "ticker": brand.ticker,
                        "date": day.date(),
                        "close": round(close, 2),
                        "adj_close": round(close, 2),
                        "volume": int(rng.integers(1000, 5000)),
                        "currency": "EUR",
                        "partition_month": month,
                    }
                )

    report_month = date.fromisoformat(REPORT_MONTH + "-01")
    spike = next(b for b in BRANDS if b.brand == SPIKE_BRAND)
    for n in range(25):
        created = datetime.combine(SPIKE_DAY, datetime.min.time()) + timedelta(hours=9, minutes=n)
        add_inbound(spike, report_month, created, "negative", _pseudonym(f"spike-{n}"))
    repeat = next(b for b in BRANDS if b.brand == REPEAT_BRAND)
    for n in range(4):
        created = datetime(2011, 2, 3 + 5 * n, 12)
        add_inbound(repeat, report_month, created, "negative", _pseudonym("repeat-complainer"))

    brands = pd.DataFrame(
        {
            "brand": [b.brand for b in BRANDS],
            "display_name": [b.display_name for b in BRANDS],
            "sector": [b.sector for b in BRANDS],
            "country": "NL",
            "ticker": [b.ticker for b in BRANDS],
            "currency": "EUR",
            "shares_outstanding": pd.array(
                [10_000_000 if b.ticker else None for b in BRANDS], dtype="Int64"
            ),
        }
    )
    accounts = pd.DataFrame(
        {
            "brand": [b.brand for b in BRANDS],
            "handle": [b.handle for b in BRANDS],
            "platform": "twitter",
            "is_bot": False,
            "promised_response_minutes": pd.array([b.promise for b in BRANDS], dtype="Int64"),
            "opening_hours": ["Mo-Fr 09:00-17:00" if b.office_hours else None for b in BRANDS],
            "timezone": "Europe/Amsterdam",
        }
    )
    opening_hours = pd.DataFrame(
        [
            {
                "handle": b.handle,
                "platform": "twitter",
                "weekday": weekday,
                "opens_at": "09:00:00",
                "closes_at": "17:00:00",
            }
            for b in BRANDS
            if b.office_hours
            for weekday in range(1, 6)
        ]
    )
    # An identity calibration (the model never errs on its labelled sample), pooled over
    # languages: its inverse leaves the shares as they are (as `Calibration.rows()` writes).
    calibration = pd.DataFrame(
        [
            {
                "calibration_id": CALIBRATION_ID,
                "model_version": MODEL_VERSION,
                "language": "*",
                "true_label": true,
                "predicted_label": predicted,
                "labelled_count": 100 if true == predicted else 0,
                "confusion_rate": 1.0 if true == predicted else 0.0,
                "inverse_coefficient": 1.0 if true == predicted else 0.0,
                "loaded_at": loaded_at,
            }
            for true in SENTIMENT_LABELS
            for predicted in SENTIMENT_LABELS
        ]
    )
    tables = {
        "raw.mentions": pd.DataFrame(mentions),
        "raw.complaints": pd.DataFrame(complaints),
        "raw.nps_responses": pd.DataFrame(nps),
        "raw.stock_prices": pd.DataFrame(prices),
        "raw.brands": brands,
        "raw.webcare_accounts": accounts,
        "raw.webcare_account_opening_hours": opening_hours,
        "scores.mention_sentiment": pd.DataFrame(scores),
        "scores.sentiment_calibration": calibration,
    }
    with duckdb.connect(str(database)) as conn:
        ensure_tables(conn)
        for table, frame in tables.items():
            frame = frame.copy()
            if not table.startswith("scores."):
                frame["_source_file"] = f"fixture/{table}.csv"
                frame["_source_line"] = range(2, len(frame) + 2)
                frame["_loaded_at"] = loaded_at
            conn.register("fixture_frame", frame)
            cast = ""
            if table == "raw.webcare_account_opening_hours":
                cast = ", opens_at::time as opens_at, closes_at::time as closes_at"
            conn.execute(
                f"insert into {table} by name select * exclude (opens_at, closes_at){cast} "
                "from fixture_frame"
                if cast
                else f"insert into {table} by name select * from fixture_frame"
            )
            conn.unregister("fixture_frame")


def run_dbt(database: Path, work_dir: Path) -> None:
    """Build every dbt model into `database` with the real project (tests are dbt's own job)."""
    env = {
        **os.environ,
        "WEBCARE_DUCKDB_PATH": str(database),
    }
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [
            str(dbt),
            "run",
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(DBT_PROJECT),
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"dbt run failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")


def mart_names(database: Path) -> list[str]:
    """The tables dbt built in the ``marts`` schema."""
    with duckdb.connect(str(database), read_only=True) as conn:
        return [
            row[0]
            for row in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "order by table_name"
            ).fetchall()
        ]


@dataclass(frozen=True)
class WarehouseFacts:
    """What the fixture planted, for assertions."""

    database: Path
    report_month: str
    first_month: str
    spike_brand: str
    spike_day: date
    repeat_brand: str
    calibration_id: str
    marts: tuple[str, ...]


@pytest.fixture(scope="session")
def dbt_warehouse(tmp_path_factory: pytest.TempPathFactory) -> WarehouseFacts:
    """The fixture's raw data with every dbt model built from it, once per session (read only)."""
    work = tmp_path_factory.mktemp("dbt_warehouse")
    database = work / "warehouse.duckdb"
    build_raw(database)
    run_dbt(database, work)
    return WarehouseFacts(
        database=database,
        report_month=REPORT_MONTH,
        first_month=f"{FIRST_MONTH:%Y-%m}",
        spike_brand=SPIKE_BRAND,
        spike_day=SPIKE_DAY,
        repeat_brand=REPEAT_BRAND,
        calibration_id=CALIBRATION_ID,
        marts=tuple(mart_names(database)),
    )


@pytest.fixture
def home_settings(tmp_path: Path, dbt_warehouse: WarehouseFacts) -> Settings:
    """Settings of a fresh data home holding a copy of the dbt-built warehouse."""
    home = tmp_path / "home"
    home.mkdir()
    settings = Settings.from_env(home)
    shutil.copyfile(dbt_warehouse.database, settings.duckdb_path)
    return settings
