"""One small demo generation shared by the demo tests, and a reference reader of its files.

The reader validates landing files the way DATA_CONTRACTS.md describes, written here
independently of the generator, so the tests compare the truth with the files and not
with the generator's own bookkeeping.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
import yaml

from demo import generate
from warehouse import contract


@dataclass
class Demo:
    """A generated small demo: where its files are, its truth and how long it took."""

    landing: Path
    truth_path: Path
    truth: dict
    seconds: float


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The small demo for seed 42 over the default 24 months."""
    home = tmp_path_factory.mktemp("demo_small")
    started = time.perf_counter()
    returned = generate(home / "landing", home / "truth.json", seed=42, size="small")
    seconds = time.perf_counter() - started
    truth = json.loads((home / "truth.json").read_text(encoding="utf-8"))
    assert truth == returned, "generate() must return what it writes to truth.json"
    return Demo(home / "landing", home / "truth.json", truth, seconds)


@pytest.fixture(scope="session")
def accounts(small_demo: Demo) -> list[dict]:
    """The webcare accounts reference file of the small demo, read once."""
    path = small_demo.landing / "webcare_accounts" / "demo" / "webcare_accounts.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


SOURCES = ("mentions", "complaints", "nps_responses", "stock_prices")
REQUIRED = {
    "mentions": ("mention_id", "platform", "created_at", "author_id", "text"),
    "complaints": ("complaint_id", "brand", "received_at", "channel"),
    "nps_responses": ("response_id", "brand", "answered_at", "score"),
    "stock_prices": ("ticker", "date", "close"),
}
PARTITIONED = ("mentions", "complaints", "nps_responses", "stock_prices")
# The warehouse contract's keys and month columns; the counting below is the test's own.
TIME = {source: contract.RAW_TABLES[source].partitioned_by for source in PARTITIONED}
KEY = {source: contract.RAW_TABLES[source].primary_key for source in PARTITIONED}
TZ = ZoneInfo("Europe/Amsterdam")


def read_landing_file(path: Path) -> pl.DataFrame:
    """Any landing file as all-string columns, with its record line numbers."""
    name = path.name
    if name.endswith(".parquet"):
        frame, first_line = pl.read_parquet(path), 1
    elif name.endswith(".jsonl"):
        frame, first_line = pl.read_ndjson(path, infer_schema_length=None), 1
    else:
        frame, first_line = pl.read_csv(path, infer_schema=False), 2
    frame = frame.with_columns(pl.all().cast(pl.Utf8))
    return frame.with_columns(pl.int_range(pl.len()).alias("_line") + first_line)


def parse_timestamp(value: str) -> datetime | None:
    """UTC datetime of an ISO 8601 string (no offset = Europe/Amsterdam), None if unparsable.

    A local time without offset that is ambiguous or does not exist raises, because
    the generator promises never to write one.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        early, late = parsed.replace(tzinfo=TZ, fold=0), parsed.replace(tzinfo=TZ, fold=1)
        if early.utcoffset() != late.utcoffset():
            raise AssertionError(f"ambiguous local time without offset: {value}")
        if early.astimezone(UTC).astimezone(TZ).replace(tzinfo=None) != parsed:
            raise AssertionError(f"non-existent local time without offset: {value}")
        parsed = early
    return parsed.astimezone(UTC)


def parse_date(value: str) -> date | None:
    """A trading date, None when it is not a real date."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def reference_load(source: str, files: list[Path], landing: Path) -> dict:
    """Validate one month of a source like the contract says; returns loaded rows and refusals."""
    seen: dict[tuple, dict] = {}
    loaded, rejected, identical = [], [], []
    for path in sorted(files):
        frame = read_landing_file(path)
        for row in frame.iter_rows(named=True):
            where = (path.relative_to(landing).as_posix(), row["_line"])
            record = {k: v for k, v in row.items() if k != "_line"}
            missing = [c for c in REQUIRED[source] if record.get(c) in (None, "")]
            if missing:
                rejected.append((*where, missing[0], "missing_required"))
                continue
            if source == "stock_prices":
                when = parse_date(record["date"])
            else:
                when = parse_timestamp(record[TIME[source]])
            if when is None:
                rejected.append((*where, TIME[source], "unparsable_timestamp"))
                continue
            if source == "nps_responses" and not 0 <= int(record["score"]) <= 10:
                rejected.append((*where, "score", "score_out_of_range"))
                continue
            if source == "stock_prices" and float(record["close"]) <= 0:
                rejected.append((*where, "close", "non_positive_close"))
                continue
            key = tuple(record[c] for c in KEY[source])
            if key in seen:
                if seen[key] == record:
                    identical.append(where)
                else:
                    rejected.append((*where, KEY[source][-1], "duplicate_id"))
                continue
            seen[key] = record
            loaded.append({**record, "_at": when, "_file": where[0], "_line": where[1]})
    return {"loaded": loaded, "rejected": rejected, "identical": identical}


@pytest.fixture(scope="session")
def loaded(small_demo: Demo) -> dict[str, dict[str, dict]]:
    """Reference load of every partitioned source and month of the small demo."""
    out: dict[str, dict[str, dict]] = {}
    for source in SOURCES:
        out[source] = {}
        for month_dir in sorted((small_demo.landing / source / "demo").iterdir()):
            out[source][month_dir.name] = reference_load(
                source, sorted(month_dir.iterdir()), small_demo.landing
            )
    return out


@pytest.fixture(scope="session")
def read_landing() -> Callable[[Path], pl.DataFrame]:
    """`read_landing_file` for tests that read single files."""
    return read_landing_file


@pytest.fixture(scope="session")
def loaded_mentions(loaded: dict[str, dict[str, dict]]) -> pl.DataFrame:
    """Every mention row the contract accepts, as strings, with its parsed UTC time ``_at``."""
    rows = [row for result in loaded["mentions"].values() for row in result["loaded"]]
    return pl.DataFrame(rows, infer_schema_length=None)
