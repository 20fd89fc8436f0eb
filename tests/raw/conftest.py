"""Fixtures for the raw-layer tests: a temporary data home, landing helpers, materialisation."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.raw import build_raw_assets
from warehouse.partitions import monthly_partitions
from warehouse.resource import WarehouseResource
from warehouse.settings import KEY_FILE_NAME, Settings

TEST_KEY = "test-pseudonymisation-key"
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

REFERENCE_KEYS = (
    dg.AssetKey(["raw", "brands"]),
    dg.AssetKey(["raw", "webcare_accounts"]),
    dg.AssetKey(["raw", "webcare_account_opening_hours"]),
)

BRANDS_CSV = (
    "brand,display_name,sector,country,ticker,currency,shares_outstanding,keywords\n"
    "bankx,Bank X,bank,NL,BNKX,EUR,1000000,bank x;bankx\n"
    "telco,Telco,telecom,NL,,EUR,,telco\n"
)
ACCOUNTS_YAML = """\
- brand: bankx
  handle: "@BankX_Care"
  platform: twitter
  is_bot: false
  promised_response_minutes: 60
  opening_hours: mon-fri 08:00-20:00; sat 10:00-16:00
  timezone: Europe/Amsterdam
- brand: telco
  handle: TelcoHelp
  platform: twitter
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for a fresh data home under tmp_path, with a fixed key in its key file."""
    home = tmp_path / "home"
    home.mkdir()
    (home / KEY_FILE_NAME).write_text(TEST_KEY + "\n")
    return Settings.from_env(home=home)


@pytest.fixture
def land(settings: Settings) -> Callable[..., Path]:
    """Write a landing file: land("mentions/demo/2010-03/a.csv", text) (gzip when the name says)."""

    def write(relative: str, content: str | bytes) -> Path:
        path = settings.landing_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        if relative.endswith(".gz"):
            data = gzip.compress(data, mtime=0)
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def reference_files(land: Callable[..., Path]) -> None:
    """Two brands and their webcare accounts."""
    land("brands/demo/brands.csv", BRANDS_CSV)
    land("webcare_accounts/demo/webcare_accounts.yaml", ACCOUNTS_YAML)


@pytest.fixture
def materialise(settings: Settings) -> Callable[..., dg.ExecuteInProcessResult]:
    """Materialise raw assets for a partition (or a range via tags) into the home's DuckDB.

    Pass `instance` to read the run's log lines afterwards (`instance.all_logs(run_id)`).
    """

    def run(
        keys: list[dg.AssetKey] | tuple[dg.AssetKey, ...],
        partition_key: str | None = None,
        tags: dict[str, str] | None = None,
        raise_on_error: bool = True,
        run_settings: Settings | None = None,
        instance: dg.DagsterInstance | None = None,
    ) -> dg.ExecuteInProcessResult:
        chosen = run_settings or settings
        assets = build_raw_assets(monthly_partitions(chosen))
        return dg.materialize(
            assets,
            instance=instance,
            partition_key=partition_key,
            tags=tags,
            selection=dg.AssetSelection.assets(*keys),
            resources={
                "warehouse": WarehouseResource(database=chosen.duckdb_path),
                "settings": chosen,
            },
            raise_on_error=raise_on_error,
        )

    return run


@pytest.fixture
def query(settings: Settings) -> Callable[..., list[tuple]]:
    """Run a read-only query on the home's warehouse and return all rows."""

    def run(sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
            return conn.execute(sql, params or []).fetchall()

    return run


@pytest.fixture
def shared_data() -> Path:
    """`../shared/data`; fails in CI when missing, skips elsewhere."""
    if not SHARED_DATA.is_dir():
        message = f"the shared third-party data is missing: expected {SHARED_DATA}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DATA
