"""Homes loaded from the real third-party exports through `webcare ingest` and `webcare run`.

Two variants of every export, each in its own home:

- ``as_exported``: the files of ``../shared/data`` as they are;
- ``pandas_copy``: each file read with pandas and written back with
  ``DataFrame.to_csv`` (which adds an unnamed index column), with one broken
  line inserted in the middle (a value that does not parse).

The tests compare the published marts of both homes with the same independent
computation over the original files, so the broken line must be refused (and
recorded) without changing anything else.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from orchestration import commands

TWCS = "twcs/twcs_random5000.csv"
CFPB = "complaints/cfpb_complaints_sample.csv"
# Ticker -> twcs support handle, as ../shared/data/README.md lists them.
TICKER_HANDLES = {
    "AAL": "AmericanAir",
    "DAL": "Delta",
    "LUV": "SouthwestAir",
    "UAL": "united",
    "ALK": "AlaskaAir",
    "CMCSA": "comcastcares",
    "VZ": "VerizonSupport",
    "T": "ATT",
    "CHTR": "Ask_Spectrum",
    "AAPL": "AppleSupport",
    "AMZN": "AmazonHelp",
    "BAC": "BofA_Help",
    "JPM": "ChaseSupport",
    "WFC": "Ask_WellsFargo",
    "C": "AskCiti",
    "AXP": "AskAmex",
}
VARIANTS = ("as_exported", "pandas_copy")


@dataclass(frozen=True)
class BrokenLine:
    """The line a variant inserted into a file, and the column that cannot be read."""

    file: str
    line: int
    column: str


@dataclass
class RealHome:
    """A home loaded from the real exports, the originals, and the lines broken on purpose."""

    variant: str
    home: Path
    twcs: Path
    cfpb: Path
    prices: dict[str, Path]
    handles: dict[str, str] = field(default_factory=lambda: dict(TICKER_HANDLES))
    broken: list[BrokenLine] = field(default_factory=list)

    @property
    def snapshot(self) -> Path:
        """The published snapshot BI tools read."""
        return self.home / "published" / "warehouse.duckdb"

    @property
    def warehouse(self) -> Path:
        """The live warehouse."""
        return self.home / "warehouse.duckdb"


def _pandas_copy(
    source: Path, target: Path, broken_row: dict[str, str], bad_column: str
) -> BrokenLine:
    """Write `source` the way pandas users do (index column) with `broken_row` in the middle.

    Returns where the broken row landed: its physical line in the written file
    (quoted values may span lines) and `bad_column`, whose value cannot be read.
    """
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    middle = len(frame) // 2
    row = pd.DataFrame([{column: broken_row.get(column, "") for column in frame.columns}])
    frame = pd.concat([frame.iloc[:middle], row, frame.iloc[middle:]], ignore_index=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(target)
    with target.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        assert header[0] == "", "pandas should write an unnamed index column"
        previous_end = reader.line_num
        for record in reader:
            values = dict(zip(header, record, strict=True))
            if all(values[column] == value for column, value in broken_row.items()):
                return BrokenLine(target.name, previous_end + 1, bad_column)
            previous_end = reader.line_num
    raise AssertionError(f"the broken row is not in {target}")


@pytest.fixture(scope="package", params=VARIANTS)
def real_home(request, tmp_path_factory, shared_file) -> RealHome:
    """A fresh home with the twcs sample, the CFPB sample and the 16 price files loaded and run."""
    variant = request.param
    twcs = shared_file(TWCS)
    cfpb = shared_file(CFPB)
    prices = {ticker: shared_file(f"stocks/{ticker}_data.csv") for ticker in TICKER_HANDLES}
    root = tmp_path_factory.mktemp(f"real_{variant}")
    home = root / "home"
    loaded = RealHome(variant, home, twcs, cfpb, prices)
    files = {"twcs": [twcs], "cfpb": [cfpb], "prices": list(prices.values())}
    if variant == "pandas_copy":
        exports = root / "exports"
        copy = exports / "twcs_pandas.csv"
        loaded.broken.append(
            _pandas_copy(
                twcs,
                copy,
                {
                    "tweet_id": "9990001",
                    "created_at": "yesterday at noon",
                    "author_id": "424242",
                    "inbound": "True",
                    "text": "@AmericanAir this line is broken",
                },
                "created_at",
            )
        )
        files["twcs"] = [copy]
        copy = exports / "cfpb_pandas.csv"
        loaded.broken.append(
            _pandas_copy(
                cfpb,
                copy,
                {
                    "Complaint ID": "9990002",
                    "Date received": "2019/13/45",
                    "Company": "WELLS FARGO & COMPANY",
                    "Submitted via": "Phone",
                    "Product": "Mortgage",
                },
                "Date received",
            )
        )
        files["cfpb"] = [copy]
        files["prices"] = []
        for ticker, path in prices.items():
            copy = exports / f"{ticker}_pandas.csv"
            broken = {"Name": ticker, "date": "2014-02-30", "close": "1"}
            loaded.broken.append(_pandas_copy(path, copy, broken, "date"))
            files["prices"].append(copy)
    assert commands.ingest("mentions", "twcs", [str(p) for p in files["twcs"]], home=str(home)) == 0
    assert (
        commands.ingest("complaints", "cfpb", [str(p) for p in files["cfpb"]], home=str(home)) == 0
    )
    prices_files = [str(p) for p in files["prices"]]
    assert commands.ingest("stock_prices", "daily_prices", prices_files, home=str(home)) == 0
    assert commands.run(home=str(home)) == 0
    return loaded
