"""The monthly "continuous research" schedule and the landing-folder sensor."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import dagster as dg

from warehouse.settings import PARTITIONED_SOURCES, REFERENCE_SOURCES, Settings


def previous_month_key(moment: datetime) -> str:
    """Partition key of the calendar month before the one `moment` falls in."""
    year, month = (moment.year, moment.month - 1) if moment.month > 1 else (moment.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def build_monthly_schedule(
    job: dg.UnresolvedAssetJobDefinition, settings: Settings
) -> dg.ScheduleDefinition:
    """Materialise the previous month on the 1st of each month at 06:00 reporting time."""

    @dg.schedule(
        name="monthly_research_schedule",
        job=job,
        cron_schedule="0 6 1 * *",
        execution_timezone=settings.reporting_timezone,
        description="On the 1st at 06:00, run the research cycle for the month that just ended.",
    )
    def monthly_research_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        month = previous_month_key(context.scheduled_execution_time)
        return dg.RunRequest(run_key=f"scheduled-{month}", partition_key=month)

    return monthly_research_schedule


def build_landing_sensor(
    research_job: dg.UnresolvedAssetJobDefinition,
    reference_job: dg.UnresolvedAssetJobDefinition,
) -> dg.SensorDefinition:
    """Start runs for the months whose landing files are new, changed or removed.

    The cursor remembers each file's fingerprint and months, so a file that is
    removed, or no longer touches a month, still re-runs the months it fed; the
    landing index's stale months (files gone since the month was last loaded)
    are asked for too, so a removal seen by another scan is not lost. A new
    unreadable file that touches no month starts the run of its source's latest
    month, which fails naming it. Months before the first partition are run
    as the first partition, which records their rows as refused.
    """

    @dg.sensor(
        name="landing_sensor",
        jobs=[research_job, reference_job],
        minimum_interval_seconds=60,
        description="Watches the landing folder: a new or changed file starts the research "
        "run of every month it touches (reference files reload the reference data).",
    )
    def landing_sensor(
        context: dg.SensorEvaluationContext, settings: Settings
    ) -> dg.SensorResult | dg.SkipReason:
        from assets.raw.landing import index_landing

        index = index_landing(settings)
        seen: dict[str, dict] = json.loads(context.cursor) if context.cursor else {}
        current: dict[str, dict] = {
            str(landed.relative_path): {
                "source": source,
                "fingerprint": landed.fingerprint,
                "months": list(landed.months),
            }
            for source in (*REFERENCE_SOURCES, *PARTITIONED_SOURCES)
            for landed in index.files_for(source)
        }
        changed_months: dict[str, list[str]] = {}
        reference_changes: list[str] = []
        unplaced = {item.relative_path for item in index.unplaced()}
        for key in sorted(current.keys() | seen.keys()):
            now, before = current.get(key), seen.get(key)
            if (
                now is not None
                and before is not None
                and now["fingerprint"] == before["fingerprint"]
            ):
                continue
            # A changed or removed file also touches the months it used to feed.
            change = f"{key}@{now['fingerprint'] if now else 'removed'}"
            entries = [entry for entry in (now, before) if entry is not None]
            if any(entry["source"] in REFERENCE_SOURCES for entry in entries):
                reference_changes.append(change)
            months = {month for entry in entries for month in entry["months"]}
            if key in unplaced and now is not None:
                latest = index.months(now["source"])
                months.update(latest[-1:])
            for month in sorted({max(month, settings.first_month) for month in months}):
                changed_months.setdefault(month, []).append(change)
        for source_months in index.stale.values():
            for month, files in source_months.items():
                changes = changed_months.setdefault(max(month, settings.first_month), [])
                changes.extend(
                    change
                    for change in (f"{name}@removed" for name in files)
                    if change not in changes
                )
        if not reference_changes and not changed_months:
            return dg.SkipReason("No new or changed landing files.")
        requests = []
        if reference_changes:
            requests.append(
                dg.RunRequest(job_name=reference_job.name, run_key=_digest(reference_changes))
            )
        for month in sorted(changed_months):
            requests.append(
                dg.RunRequest(
                    job_name=research_job.name,
                    partition_key=month,
                    run_key=f"{month}-{_digest(changed_months[month])}",
                    tags={"webcare/trigger": "landing_sensor"},
                )
            )
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(current, sort_keys=True))

    return landing_sensor


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()[:16]
