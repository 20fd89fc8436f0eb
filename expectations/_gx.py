"""The one place that imports Great Expectations, lazily and quietly."""

from __future__ import annotations

import logging
import os
from types import ModuleType


def import_gx() -> ModuleType:
    """Import and return `great_expectations`, with usage analytics off and its logging quiet.

    GX takes seconds to import, so it is imported on first use (inside a check
    run), never when the Dagster definitions are loaded.
    """
    # Must be set before the first import: GX reads it when a context is built.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    # GX logs every metric resolution at INFO; the check result already says what failed.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    return gx
