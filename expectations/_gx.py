"""The one place that imports Great Expectations, lazily and quietly."""

from __future__ import annotations

import logging
import os
import warnings
from types import ModuleType


def import_gx() -> ModuleType:
    """Import and return `great_expectations`, with usage analytics off and its logging quiet.

    GX takes seconds to import, so it is imported on first use (inside a check
    run), never when the Dagster definitions are loaded.
    """
    # Must be set before the first import: GX reads it when a context is built.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    with warnings.catch_warnings():
        # GX probes for PySpark (installed for the Spark target) and imports it, and
        # PySpark then warns that its pandas integration does not yet support pandas
        # 3. Nothing here hands pandas data to Spark (GX validates pandas and Arrow
        # frames; the Spark target runs SQL over Parquet), so on every run that
        # warning only said something untrue about this pipeline.
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        import great_expectations as gx

    # GX logs every metric resolution at INFO; the check result already says what failed.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    return gx
