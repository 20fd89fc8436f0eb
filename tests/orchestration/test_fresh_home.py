"""Every source ingested on its own into an empty home, then `webcare run` on one of them.

A home without webcare accounts or brands must load (the reference tables are
empty, with a warning saying which KPIs stay empty), and the marts must build
on it: every raw table exists from the first write.
"""

import csv
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from assets.raw.writer import TABLES
from orchestration import commands
from warehouse.settings import Settings

pytestmark = pytest.mark.shared_data

NPS_CSV = (
    "response_id,brand,answered_at,score,comment\n"
    "r1,bankx,2017-09-04T10:00:00,9,Snel geholpen!\n"
    "r2,bankx,2017-09-12,3,Niemand nam op\n"
    "r3,telco,2017-10-02T08:30:00+02:00,7,\n"
    "r4,telco,2017-10-20T16:00:00Z,10,top service\n"
)
NO_ACCOUNTS = "no webcare accounts landed: raw.webcare_accounts is empty"


def _records(path: Path) -> list[dict[str, str]]:
    """The export's records as Python's csv module reads them (quoted newlines included)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _twcs_in_loaded_months(path: Path, settings: Settings) -> int:
    """Tweets from settings.first_month on (reporting time zone): earlier months are skipped."""
    zone = ZoneInfo(settings.reporting_timezone)
    months = [
        datetime.strptime(record["created_at"], "%a %b %d %H:%M:%S %z %Y")
        .astimezone(zone)
        .strftime("%Y-%m")
        for record in _records(path)
    ]
    return sum(month >= settings.first_month for month in months)


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_cache_dir: Path) -> Path:
    """An empty home (nothing landed, no warehouse) using the shared model cache."""
    monkeypatch.setenv("WEBCARE_MODEL_CACHE_DIR", str(model_cache_dir))
    return tmp_path / "home"


@pytest.mark.parametrize(
    ("source", "fmt", "export"),
    [
        # The real exports span five years or more: every month runs the raw checks.
        pytest.param(
            "complaints",
            "cfpb",
            "complaints/cfpb_complaints_sample.csv",
            marks=pytest.mark.slow,
        ),
        pytest.param("stock_prices", "daily_prices", "stocks/AAL_data.csv", marks=pytest.mark.slow),
        pytest.param("mentions", "twcs", "twcs/twcs_random5000.csv", marks=pytest.mark.slow),
        ("nps_responses", "canonical", None),
    ],
    ids=["complaints-cfpb", "stock_prices-daily_prices", "mentions-twcs", "nps-canonical"],
)
def test_each_source_loads_on_its_own_into_an_empty_home(
    fresh_home: Path,
    tmp_path: Path,
    shared_file: Callable[[str], Path],
    capfd: pytest.CaptureFixture[str],
    source: str,
    fmt: str,
    export: str | None,
) -> None:
    if export is None:
        path = tmp_path / "nps.csv"
        path.write_text(NPS_CSV)
    else:
        path = shared_file(export)
    settings = Settings.from_env(fresh_home)
    expected = _twcs_in_loaded_months(path, settings) if fmt == "twcs" else len(_records(path))

    assert commands.ingest(source, fmt, [str(path)], home=str(fresh_home)) == 0

    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        loaded = conn.execute(f"select count(*) from raw.{source}").fetchone()[0]
        rejected = conn.execute("select count(*) from raw.rejected_rows").fetchone()[0]
        tables = dict(
            conn.execute(
                "select table_name, list(column_name order by ordinal_position) "
                "from information_schema.columns where table_schema = 'raw' group by table_name"
            ).fetchall()
        )
        accounts = conn.execute("select count(*) from raw.webcare_accounts").fetchone()[0]
    assert (loaded, rejected) == (expected, 0)
    # Every raw table of the contract exists, with the one definition's columns.
    assert tables == {name: table.column_names for name, table in TABLES.items()}
    # Only a twcs export implies webcare accounts (its brand replies); the others
    # leave the table empty and the user is told what that means.
    output = capfd.readouterr()
    if fmt == "twcs":
        assert accounts > 0
        assert NO_ACCOUNTS not in output.err
    else:
        assert accounts == 0
        assert NO_ACCOUNTS in output.err
    assert "Traceback" not in output.err


@pytest.mark.slow
def test_run_completes_after_ingesting_one_source_into_an_empty_home(
    fresh_home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "nps.csv"
    path.write_text(NPS_CSV)
    assert commands.ingest("nps_responses", "canonical", [str(path)], home=str(fresh_home)) == 0
    assert commands.run(home=str(fresh_home)) == 0
    with duckdb.connect(str(fresh_home / "warehouse.duckdb"), read_only=True) as conn:
        scored = conn.execute(
            "select response_id from scores.nps_comment_sentiment order by 1"
        ).fetchall()
        mentions = conn.execute("select count(*) from raw.mentions").fetchone()[0]
    # The three comments are scored; no mention landed, and none is invented.
    assert scored == [("r1",), ("r2",), ("r4",)]
    assert mentions == 0
    with duckdb.connect(str(fresh_home / "published" / "warehouse.duckdb"), read_only=True) as conn:
        brands = conn.execute(
            "select brand, sector, is_in_brand_reference from marts.dim_brands order by 1"
        ).fetchall()
    # Without a brand reference the brands of the answers still reach the marts.
    assert brands == [("bankx", "unassigned", False), ("telco", "unassigned", False)]
