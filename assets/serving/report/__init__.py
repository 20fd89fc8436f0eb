"""The monthly research report: one self-contained HTML page per month for webcare managers.

``<published_dir>/report/<YYYY-MM>.html`` holds every chart as inline SVG and
its CSS inline, so it opens from a file share or an e-mail attachment with no
network. It reads the published snapshot read-only (never the live
warehouse), never writes the warehouse, and is replaced atomically like the
other published files.

Each section is a ``<section id=...>`` with a heading, one chart and a short
caption saying how to read it; a section whose mart has nothing for the month
says so instead of showing an empty chart.

The package: `queries` reads the snapshot, `sections` decides what each part of
the page says, `charts` draws, `page` fills ``templates/report.html.j2``; this
module writes the file and defines the asset (``webcare report`` calls `write_report`).
"""

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from assets.serving.publish import PUBLISH_KEY, REPORT_DIR
from assets.serving.report.page import render_report
from assets.serving.report.queries import ReportData, months_with_data, read_report_data
from assets.serving.snapshot import Snapshot, SnapshotMissingError, open_snapshot
from warehouse.partitions import is_month_key, month_start
from warehouse.settings import Settings

__all__ = [
    "REPORT_KEY",
    "ReportData",
    "ReportError",
    "build_report_asset",
    "months_with_data",
    "read_report_data",
    "remove_stale_reports",
    "render_report",
    "report_path",
    "write_report",
]

REPORT_KEY = dg.AssetKey(["published", "monthly_report"])


class ReportError(RuntimeError):
    """The report cannot be written (bad month, nothing to read)."""


def report_path(published_dir: str | Path, month: str) -> Path:
    """``<published_dir>/report/<YYYY-MM>.html``."""
    return Path(published_dir) / REPORT_DIR / f"{month}.html"


@contextmanager
def _published_snapshot(settings: Settings) -> Iterator[Snapshot]:
    """`open_snapshot`, failing with a `ReportError` when nothing has been published yet."""
    try:
        with open_snapshot(settings) as snapshot:
            yield snapshot
    except SnapshotMissingError as error:
        raise ReportError(f"nothing to report on: {error}") from error


def write_report(settings: Settings, month: str) -> Path:
    """Write the report for `month` (``YYYY-MM``) and return its path.

    Reads ``published/warehouse.duckdb`` read-only; without it there is nothing
    to report on. A month without mentions, complaints or NPS answers raises
    `ReportError` instead of writing a page of "No data". The file is written
    under a temporary name and renamed, so a reader never opens half a report.
    """
    if not is_month_key(month):
        raise ReportError(f"month must look like 2011-06 (YYYY-MM), got {month!r}")
    with _published_snapshot(settings) as snapshot:
        available = months_with_data(snapshot)
        if month not in available:
            held = f"{available[0]}..{available[-1]}" if available else "no month at all"
            raise ReportError(
                f"no mentions, complaints or NPS answers in {month}: nothing to report "
                f"(the marts hold data for {held})"
            )
        data = read_report_data(snapshot, month_start(month))
    page = render_report(data)
    target = report_path(settings.published_dir, month)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A report writer killed mid-write leaves its hidden temporary file behind.
    for leftover in target.parent.glob(f".writing-*-{target.name}"):
        leftover.unlink(missing_ok=True)
    tmp = target.with_name(f".writing-{secrets.token_hex(6)}-{target.name}")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(page)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def remove_stale_reports(settings: Settings) -> list[Path]:
    """Delete the reports of months the published marts no longer hold data for; return them.

    A report must not outlive its data: when a month's landing files are removed
    (or replaced by files of other months), the month drops out of the marts and
    its old report would still show the figures.
    """
    folder = settings.published_path / REPORT_DIR
    reports = sorted(folder.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9].html"))
    if not reports:
        return []
    with _published_snapshot(settings) as snapshot:
        available = set(months_with_data(snapshot))
    stale = [path for path in reports if path.stem not in available]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def build_report_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The monthly partitioned `published/monthly_report` asset, downstream of the publication."""

    @dg.asset(
        key=REPORT_KEY,
        deps=[PUBLISH_KEY],
        partitions_def=partitions_def,
        # A backfill writes every month's report in one run, like the raw and score assets.
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="published",
        kinds={"html"},
    )
    def monthly_report(
        context: dg.AssetExecutionContext, settings: Settings
    ) -> dg.MaterializeResult:
        """The month at a glance for webcare managers: ``published/report/<YYYY-MM>.html``.

        Per sector and brand: net sentiment and share of voice against competitors,
        sentiment shares (raw, and corrected for the model's known errors with their
        95% intervals), first response and SLA attainment against each account's
        promise, complaints by channel, NPS with its margin of error, sentiment vs NPS
        and vs share price, ROI proxies with their assumptions, spike alerts and
        repeat complainers. Self-contained (inline SVG and CSS): opens offline.
        Read from the published snapshot, so it shows exactly what BI tools see.
        """
        for stale in remove_stale_reports(settings):
            context.log.warning(
                f"removed the report {stale.name}: the published marts hold no data for its "
                "month any more (its landing files were removed or changed)"
            )
        paths = []
        for month in context.partition_keys:
            try:
                paths.append(write_report(settings, month))
            except ReportError as error:
                raise dg.Failure(description=f"report {month}: {error}") from error
            context.log.info(f"report for {month} written to {paths[-1]}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(paths[-1])),
                "reports": len(paths),
                "bytes": sum(path.stat().st_size for path in paths),
            }
        )

    return monthly_report
