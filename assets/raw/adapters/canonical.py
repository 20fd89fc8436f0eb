"""The contract's own columns (DATA_CONTRACTS.md), as the demo generator writes them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from assets.raw.adapters.base import Adapter, Canonical, assemble, normalise_header
from assets.raw.readers import RawFile
from assets.raw.schemas import SCHEMAS


@dataclass(frozen=True)
class CanonicalAdapter(Adapter):
    """Columns named as in the contract (case and spacing of header names do not matter)."""

    def to_canonical(self, raw: RawFile, path: Path) -> Canonical:
        """Pick the contract's columns by name; every other column goes to `extra`."""
        wanted = set(self.schema.names)
        chosen: dict[str, str] = {}
        for column in raw.columns:
            name = normalise_header(column)
            if name in wanted and name not in chosen:
                chosen[name] = column
        values = {name: pl.col(column) for name, column in chosen.items()}
        extra = [column for column in raw.columns if column not in chosen.values()]
        frame = assemble(raw.frame, self.schema, values, extra)
        return Canonical(frame=frame, labels={name: name for name in self.schema.names})


def canonical_adapter(source: str) -> CanonicalAdapter:
    """The canonical format of `source`: recognised when every required column is present."""
    schema = SCHEMAS[source]
    return CanonicalAdapter(
        name="canonical",
        source=source,
        description=f"the contract's columns for {source} (DATA_CONTRACTS.md)",
        signature=frozenset(schema.required_names),
    )
