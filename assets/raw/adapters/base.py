"""What every landing format provides: how to recognise it and how to map it onto the contract.

An adapter turns a `RawFile` (strings as read) into the canonical string
columns of its source, plus `EXTRA` (a JSON object of every column the
contract does not name) and optional hint columns. It does not judge values:
validation does that, using the adapter's parsers where the format writes a
value differently from the contract (a Twitter timestamp, a US date).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from assets.raw.readers import LINE, RawFile
from assets.raw.schemas import SCHEMAS, Column, SourceSchema
from assets.raw.timestamps import Parsed

EXTRA = "__extra"

# A parser reads one string column: (value expression, label used in reasons) -> Parsed.
Parser = Callable[[pl.Expr, str], Parsed]


def normalise_header(name: str) -> str:
    """Header name for format matching (``Timely response?`` -> ``timely_response``)."""
    text = name.strip().lower().replace("?", "")
    return re.sub(r"[\s\-]+", "_", text).strip("_")


@dataclass
class Canonical:
    """A file mapped onto its source's contract, all values still strings.

    `labels` maps a canonical column to the file's own column name, so a
    reason says ``Date received: cannot parse ...`` for a CFPB export.
    """

    frame: pl.DataFrame
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Adapter:
    """A landing format of one source.

    `signature`: normalised header names that must all be present for the
    format to be recognised; `excludes`: names whose presence rules it out.
    """

    name: str
    source: str
    description: str
    signature: frozenset[str]
    excludes: frozenset[str] = frozenset()
    hints: tuple[Column, ...] = ()

    @property
    def schema(self) -> SourceSchema:
        """The contract this format is mapped onto."""
        return SCHEMAS[self.source]

    def matches(self, columns: Iterable[str]) -> bool:
        """Whether a header identifies this format."""
        names = {normalise_header(column) for column in columns}
        return self.signature <= names and not (self.excludes & names)

    def missing(self, columns: Iterable[str]) -> list[str]:
        """Signature columns absent from a header (for the message when a format is forced)."""
        names = {normalise_header(column) for column in columns}
        return sorted(self.signature - names)

    def to_canonical(self, raw: RawFile, path: Path) -> Canonical:
        """Map a file onto the contract (strings only)."""
        raise NotImplementedError

    def parsers(self, source_timezone: str, reporting_timezone: str) -> dict[str, Parser]:
        """Parsers that replace the contract's default for some columns.

        `source_timezone` reads date-times written without an offset;
        `reporting_timezone` starts the day of a date written without a time.
        """
        return {}


def extra_json(frame: pl.DataFrame, columns: Iterable[str]) -> pl.Expr:
    """A JSON object of the non-null values of `columns` (file names as keys); null when none."""
    names = [column for column in columns if column in frame.columns]
    if not names:
        return pl.lit(None, dtype=pl.String).alias(EXTRA)
    # Each present value becomes `"name":"value"` (json_encode of a one-field struct
    # without its braces), so keys and values are escaped exactly as JSON requires.
    members = [
        pl.when(pl.col(name).is_not_null()).then(
            pl.struct(pl.col(name)).struct.json_encode().str.slice(1).str.strip_suffix("}")
        )
        for name in names
    ]
    body = pl.concat_str(members, separator=",", ignore_nulls=True)
    return pl.when(body != "").then(pl.concat_str(pl.lit("{"), body, pl.lit("}"))).alias(EXTRA)


def assemble(
    frame: pl.DataFrame,
    schema: SourceSchema,
    values: dict[str, pl.Expr],
    extra_columns: Iterable[str],
    hints: dict[str, pl.Expr] | None = None,
) -> pl.DataFrame:
    """The canonical string frame: every contract column (null when absent), hints, line, extra."""
    exprs = [
        values.get(name, pl.lit(None, dtype=pl.String)).cast(pl.String).alias(name)
        for name in schema.names
    ]
    exprs += [expr.cast(pl.String).alias(name) for name, expr in (hints or {}).items()]
    exprs += [pl.col(LINE), extra_json(frame, extra_columns)]
    return frame.select(exprs)
