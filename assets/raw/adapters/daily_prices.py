"""Daily share prices as finance sites export them -> stock_prices.

Two layouts:
- per ticker, ``Date,Open,High,Low,Close,Adj Close,Volume`` (Yahoo-style); the
  ticker is the file name up to a ``_data``/``_prices``/``_daily``/``_history``
  suffix: ``AAPL.csv`` and ``AAPL_data.csv`` are both AAPL;
- long, ``date,open,high,low,close,volume,Name`` with the ticker in ``Name``.

Yahoo writes the literal ``null`` for days without a quote; it counts as missing.
Dates are ``YYYY-MM-DD`` (or ``M/D/YYYY``). The currency is not in these
files and stays empty (the brand reference carries it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from assets.raw.adapters.base import Adapter, Canonical, Parser, assemble, normalise_header
from assets.raw.readers import RawFile
from assets.raw.timestamps import parse_date

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
_PRICE_COLUMNS = {
    "date": "date",
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "adj_close": "adj_close",
    "volume": "volume",
}
_TICKER_SUFFIX = re.compile(r"(?i)[_\-](data|prices?|daily|history|historical)$")


def ticker_from_file_name(path: Path) -> str:
    """Ticker from a file name: ``AAPL_data.csv`` -> ``AAPL``, ``brk-b.csv`` -> ``BRK-B``."""
    name = path.name
    for suffix in (".csv.gz", ".csv", ".parquet", ".jsonl", ".ndjson"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return _TICKER_SUFFIX.sub("", name).upper()


@dataclass(frozen=True)
class DailyPricesAdapter(Adapter):
    """Either daily price layout; see the module docstring."""

    def to_canonical(self, raw: RawFile, path: Path) -> Canonical:
        """Map prices; the ticker comes from ``Name`` or, per-ticker files, from the file name."""
        by_name = {normalise_header(column): column for column in raw.columns}
        frame = raw.frame.with_columns(
            pl.when(pl.col(column).str.strip_chars().str.to_lowercase() == "null")
            .then(None)
            .otherwise(pl.col(column))
            .alias(column)
            for column in raw.columns
        )
        values = {
            target: pl.col(by_name[name])
            for name, target in _PRICE_COLUMNS.items()
            if name in by_name
        }
        labels = {
            target: by_name[name] for name, target in _PRICE_COLUMNS.items() if name in by_name
        }
        mapped = set(labels.values())
        if "name" in by_name:
            values["ticker"] = pl.col(by_name["name"]).str.strip_chars().str.to_uppercase()
            labels["ticker"] = by_name["name"]
            mapped.add(by_name["name"])
        else:
            values["ticker"] = pl.lit(ticker_from_file_name(path))
            labels["ticker"] = "ticker (from the file name)"
        extra = [column for column in raw.columns if column not in mapped]
        canonical = assemble(frame, self.schema, values, extra)
        return Canonical(frame=canonical, labels=labels)

    def parsers(self, source_timezone: str, reporting_timezone: str) -> dict[str, Parser]:
        """ISO dates, or US month/day/year."""

        def date(value: pl.Expr, label: str):
            return parse_date(value, label, DATE_FORMATS, "YYYY-MM-DD or M/D/YYYY")

        return {"date": date}


DAILY_PRICES = DailyPricesAdapter(
    name="daily_prices",
    source="stock_prices",
    description="daily prices: per-ticker 'Date,Open,High,Low,Close,Adj Close,Volume' "
    "(ticker from the file name) or long 'date,open,high,low,close,volume,Name'",
    signature=frozenset({"date", "close"}),
    excludes=frozenset({"ticker"}),
)
