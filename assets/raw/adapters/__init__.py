"""Landing formats per source, format resolution, and reference files derived from exports.

Formats: every source has ``canonical`` (the contract's columns); mentions
also read ``twcs``, complaints ``cfpb`` (both header variants) and
stock_prices ``daily_prices`` (both layouts).

Which format a file is read as: its sidecar ``<file>.webcare.json``
(``{"format": "twcs"}``) if present, else ``settings.source_formats[source]``,
else the one format whose header signature the file matches. No match or
more than one match fails the file with the columns seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import polars as pl

from assets.raw.adapters.base import EXTRA, Adapter, Canonical, Parser, normalise_header
from assets.raw.adapters.canonical import canonical_adapter
from assets.raw.adapters.cfpb import CFPB
from assets.raw.adapters.daily_prices import DAILY_PRICES
from assets.raw.adapters.known_brands import (
    CFPB_SECTOR,
    KNOWN_BY_BRAND,
    UNKNOWN_SECTOR,
    cfpb_brand,
)
from assets.raw.adapters.twcs import IS_BRAND_ACCOUNT, TWCS
from assets.raw.errors import LandingFileError
from assets.raw.readers import read_landed_file
from assets.raw.schemas import SCHEMAS

__all__ = [
    "EXTRA",
    "FORMATS",
    "IS_BRAND_ACCOUNT",
    "Adapter",
    "Canonical",
    "Parser",
    "derive_reference_files",
    "derived_reference_paths",
    "formats_for",
    "resolve_adapter",
]

FORMATS: dict[str, dict[str, Adapter]] = {
    source: {"canonical": canonical_adapter(source)} for source in SCHEMAS
}
for _adapter in (TWCS, CFPB, DAILY_PRICES):
    FORMATS[_adapter.source][_adapter.name] = _adapter

ACCOUNT_COLUMNS = (
    "brand",
    "handle",
    "platform",
    "is_bot",
    "promised_response_minutes",
    "opening_hours",
    "timezone",
    "bio",
)
BRAND_COLUMNS = (
    "brand",
    "display_name",
    "sector",
    "country",
    "ticker",
    "currency",
    "shares_outstanding",
    "keywords",
)


def formats_for(source: str) -> list[str]:
    """Format names a source can be read in (for ``--format`` and settings)."""
    return sorted(FORMATS[source])


def resolve_adapter(source: str, columns: Sequence[str], forced: str | None, file: str) -> Adapter:
    """The adapter for a file of `source` with header `columns`.

    `forced` (from a sidecar or settings) wins; it must exist and the header
    must carry its signature columns. Otherwise exactly one format must match.
    """
    formats = FORMATS[source]
    seen = ", ".join(columns) if columns else "(none)"
    if forced is not None:
        adapter = formats.get(forced)
        if adapter is None:
            raise LandingFileError(
                file,
                f"format '{forced}' is not a format of {source} "
                f"(known: {', '.join(formats_for(source))})",
            )
        missing = adapter.missing(columns)
        if missing:
            fitting = sorted(
                name for name, other in formats.items() if name != forced and other.matches(columns)
            )
            hint = f"; the header fits format {' or '.join(fitting)}" if fitting else ""
            raise LandingFileError(
                file,
                f"is not in format '{forced}': missing column(s) {', '.join(missing)} "
                f"(format '{forced}' needs {', '.join(sorted(adapter.signature))}); "
                f"columns seen: {seen}{hint}",
            )
        return adapter
    matching = [adapter for adapter in formats.values() if adapter.matches(columns)]
    if len(matching) == 1:
        return matching[0]
    if not matching:
        expected = "; ".join(
            f"{name} needs {', '.join(sorted(adapter.signature))}"
            for name, adapter in sorted(formats.items())
        )
        raise LandingFileError(
            file,
            f"cannot tell which {source} format this is; columns seen: {seen}. "
            f"Expected one of: {expected}. Missing required column(s) for the contract: "
            f"{', '.join(formats['canonical'].missing(columns)) or '-'}"
            f"{_separator_hint(columns)}",
        )
    names = ", ".join(sorted(adapter.name for adapter in matching))
    raise LandingFileError(
        file,
        f"the header fits several {source} formats ({names}); columns seen: {seen}. "
        f"Choose one with a sidecar or settings.source_formats",
    )


def _separator_hint(columns: Sequence[str]) -> str:
    """A hint when the whole header reads as one column holding another separator."""
    if len(columns) != 1:
        return ""
    for separator, label, name in (
        (";", "';'", "';'"),
        ("\t", "a tab", "tab"),
        ("|", "'|'", "'|'"),
    ):
        if separator in columns[0]:
            return (
                f". The whole header is one column containing {label}, so the file looks "
                f"{name}-separated; export it with ',' as the separator"
            )
    return ""


def derived_reference_paths(
    source: str, format: str, paths: Iterable[Path], landing_dir: Path
) -> list[Path]:
    """Where `derive_reference_files` writes for these exports (without reading them).

    `webcare ingest` keeps what was there before, so a failed ingest can put it back.
    """
    landing = Path(landing_dir)
    found: list[Path] = []
    for path in paths:
        name = _stem(Path(path))
        if source == "mentions" and format == "twcs":
            found.append(landing / "webcare_accounts" / "imports" / f"{name}-accounts.csv")
            found.append(landing / "brands" / "imports" / f"{name}-brands.csv")
        elif source == "complaints" and format == "cfpb":
            found.append(landing / "brands" / "imports" / f"{name}-brands.csv")
    return found


def derive_reference_files(
    source: str, format: str, paths: Iterable[Path], landing_dir: Path
) -> list[Path]:
    """Write the reference rows an export implies and return the files written.

    twcs: every non-inbound author becomes a twitter webcare account of brand
    = handle in lower case (``landing/webcare_accounts/imports/<name>-accounts.csv``)
    and a brand (``landing/brands/imports/<name>-brands.csv``) whose sector and
    ticker come from `known_brands` (else sector ``unknown``). cfpb: one brand
    per company (known banks keep their twcs brand key; others are sector
    ``financial_services``). Other formats imply no reference rows. `<name>`
    is the export's file name without its suffix, so re-ingesting the same
    export rewrites the same files.

    Every export is read before anything is written, so one that cannot be
    read (`LandingFileError`) leaves no derived file behind.
    """
    pending: list[tuple[pl.DataFrame, Sequence[str], Path, str]] = []
    landing = Path(landing_dir)
    for path in paths:
        path = Path(path)
        name = _stem(path)
        if source == "mentions" and format == "twcs":
            handles = _twcs_brand_handles(path)
            accounts = pl.DataFrame(
                {
                    "brand": [handle.lower() for handle in handles],
                    "handle": handles,
                    "platform": ["twitter"] * len(handles),
                    "is_bot": ["false"] * len(handles),
                },
                schema={column: pl.String for column in ("brand", "handle", "platform", "is_bot")},
            )
            pending.append(
                (
                    accounts,
                    ACCOUNT_COLUMNS,
                    landing / "webcare_accounts" / "imports",
                    f"{name}-accounts.csv",
                )
            )
            brands = _brand_rows(
                {handle.lower(): handle for handle in handles}, UNKNOWN_SECTOR, None
            )
            pending.append(
                (brands, BRAND_COLUMNS, landing / "brands" / "imports", f"{name}-brands.csv")
            )
        elif source == "complaints" and format == "cfpb":
            companies = _cfpb_companies(path)
            names: dict[str, str] = {}
            for company in companies:
                names.setdefault(cfpb_brand(company), company)
            brands = _brand_rows(names, CFPB_SECTOR, "US")
            pending.append(
                (brands, BRAND_COLUMNS, landing / "brands" / "imports", f"{name}-brands.csv")
            )
    return [_write(*item) for item in pending]


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".csv.gz", ".csv", ".jsonl", ".ndjson", ".parquet"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _twcs_brand_handles(path: Path) -> list[str]:
    raw = read_landed_file(path, path.name)
    resolve_adapter("mentions", raw.columns, "twcs", path.name)
    authors = (
        raw.frame.filter(pl.col("inbound").str.strip_chars().str.to_lowercase() == "false")
        .select(pl.col("author_id").str.strip_chars().str.strip_prefix("@"))
        .to_series()
        .drop_nulls()
        .to_list()
    )
    first_spelling: dict[str, str] = {}
    for author in authors:
        if author:
            first_spelling.setdefault(author.lower(), author)
    return sorted(first_spelling.values(), key=str.lower)


def _cfpb_companies(path: Path) -> list[str]:
    raw = read_landed_file(path, path.name)
    resolve_adapter("complaints", raw.columns, "cfpb", path.name)
    company = next(column for column in raw.columns if normalise_header(column) == "company")
    values = raw.frame[company].drop_nulls().str.strip_chars().unique().to_list()
    return sorted(value for value in values if value)


def _brand_rows(
    display_names: dict[str, str], default_sector: str, country: str | None
) -> pl.DataFrame:
    rows = []
    for brand in sorted(display_names):
        known = KNOWN_BY_BRAND.get(brand)
        rows.append(
            {
                "brand": brand,
                "display_name": known.display_name if known else display_names[brand],
                "sector": known.sector if known else default_sector,
                "country": "US" if known else country,
                "ticker": known.ticker if known else None,
                "currency": "USD" if known or country == "US" else None,
            }
        )
    return pl.DataFrame(rows, schema={column: pl.String for column in BRAND_COLUMNS[:6]})


def _write(frame: pl.DataFrame, columns: Sequence[str], folder: Path, name: str) -> Path:
    """Write a reference CSV with every contract column (empty where unknown), atomically."""
    frame = frame.with_columns(
        pl.lit(None, dtype=pl.String).alias(column)
        for column in columns
        if column not in frame.columns
    ).select(columns)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    temporary = folder / f".{name}.tmp"
    frame.write_csv(temporary)
    temporary.replace(target)
    return target
