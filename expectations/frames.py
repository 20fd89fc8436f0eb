"""Turning whatever a check read from DuckDB into the pandas frame GX validates."""

from __future__ import annotations

from typing import Any

import pandas as pd


def as_pandas(frame: Any) -> pd.DataFrame:
    """A pandas frame from pandas, a pyarrow Table or RecordBatchReader, or a polars frame.

    Arrow dates become ``datetime64`` (as DuckDB's ``.df()`` gives them), so
    suites see the same types whichever way the frame was read.
    """
    if isinstance(frame, pd.DataFrame):
        return frame
    if hasattr(frame, "read_all"):
        frame = frame.read_all()
    if type(frame).__module__.startswith("pyarrow"):
        return frame.to_pandas(date_as_object=False)
    if hasattr(frame, "to_pandas"):
        return frame.to_pandas()
    raise TypeError(f"cannot validate a {type(frame).__name__}: give a pandas or Arrow frame")
