"""What every check run shares: its months, its GX session, and how it reports."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import dagster as dg

from expectations.window import MonthWindow
from warehouse.settings import Settings

if TYPE_CHECKING:
    from expectations.runner import ValidationSession

# Name of the Great Expectations check on every boundary asset.
GX_CHECK_NAME = "gx_expectations"
VOLUME_CHECK_NAME = "volume_anomaly"


def asset_check(
    partitions_def: dg.PartitionsDefinition | None, **kwargs: Any
) -> Callable[[Callable[..., dg.AssetCheckResult]], dg.AssetChecksDefinition]:
    """`dg.asset_check`, partitioned like its asset when `partitions_def` is given.

    A partitioned check records its result per month, so the UI shows which
    months passed rather than only the latest run. Dagster 1.13 marks
    partitioned checks as a preview; the warning is silenced here, once, on purpose.
    """

    def decorate(fn: Callable[..., dg.AssetCheckResult]) -> dg.AssetChecksDefinition:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dg.PreviewWarning)
            return dg.asset_check(partitions_def=partitions_def, **kwargs)(fn)

    return decorate


def run_window(context: dg.AssetCheckExecutionContext, settings: Settings) -> MonthWindow:
    """The months of the run (its partition key, or every key of its partition range), with
    the future tolerance the loader applied (settings.max_future_days)."""
    if not (context.has_partition_key or context.has_partition_key_range):
        raise dg.Failure(
            "this check validates monthly partitions: run it with a partition key or range"
        )
    return MonthWindow.from_keys(
        context.partition_keys,
        settings.reporting_timezone,
        max_future_days=settings.max_future_days,
    )


def session(context: dg.AssetCheckExecutionContext, settings: Settings) -> ValidationSession:
    """A GX session for this check run, writing Data Docs under the state folder."""
    from expectations.runner import ValidationSession

    return ValidationSession(settings.state_dir, run_name=context.run.run_id[:8])


def report(
    context: dg.AssetCheckExecutionContext, result: dg.AssetCheckResult
) -> dg.AssetCheckResult:
    """Log a failed check's description (it names the failed expectations) and return it."""
    if not result.passed:
        log = (
            context.log.error
            if result.severity == dg.AssetCheckSeverity.ERROR
            else context.log.warning
        )
        log(result.description or "check failed")
    return result
