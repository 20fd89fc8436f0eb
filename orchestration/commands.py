"""What `webcare run` and `webcare ingest` do: Dagster runs on the home's persistent instance."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb

from orchestration.instance import open_instance
from orchestration.partitions import month_start
from orchestration.settings import PARTITIONED_SOURCES, REFERENCE_SOURCES, Settings

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
FORMAT_SIDECAR_SUFFIX = ".webcare.json"
# Progress (months loaded, texts scored, dbt models built) is logged at INFO;
# Dagster's per-event DEBUG lines would bury it.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


class CommandError(Exception):
    """A user-facing error: printed without a stack trace, exit status 2."""


def run(home: str | None = None, months: str | None = None) -> int:
    """Materialise every asset for the landed months, check, publish and summarise."""
    from assets.raw.landing import index_landing
    from orchestration.definitions import build_definitions
    from orchestration.summary import print_check_summary, print_kpi_summary, print_outputs

    settings = Settings.from_env(home)
    try:
        chosen = select_months(index_landing(settings).months(), months, settings)
    except CommandError as error:
        print(f"webcare run: {error}", file=sys.stderr)
        return 2
    defs = build_definitions(settings)
    instance = open_instance(settings)
    first, last = chosen[0], chosen[-1]
    print(f"[1/2] Loading and scoring {first}..{last} into {settings.duckdb_path}", flush=True)
    load = execute(defs, instance, "load_and_score", tags=range_tags(first, last))
    print_load_summary(settings, first, last)
    results = [load]
    report_month = last
    if load.success:
        report_month, why = choose_report_month(settings, first, last)
        print(
            f"[2/2] Building, checking and publishing the marts (report month {report_month}: "
            f"{why})",
            flush=True,
        )
        results.append(execute(defs, instance, "publish_marts", partition_key=report_month))
    print_check_summary(results)
    failed = [result for result in results if not result.success]
    if failed:
        print_failures(failed)
        return 1
    print_kpi_summary(settings, report_month)
    print_outputs(settings, report_month)
    return 0


# The sources whose rows are events in time; share prices (trading days only) are
# context and do not decide whether a month is complete.
EVENT_TIMESTAMPS = {
    "mentions": "created_at",
    "complaints": "received_at",
    "nps_responses": "answered_at",
}


def choose_report_month(settings: Settings, first: str, last: str) -> tuple[str, str]:
    """The month the report and the KPI summary show, and why, for a run of first..last.

    Rule: the latest month of the run whose data is complete: every event source
    (mentions, complaints, NPS answers) with rows in that month covers it to its
    last day, i.e. has a row on or after that day (reporting time zone). When
    mentions have landed the month must hold mentions, since most KPIs are
    about them. An export that stops a few days into a month (the twcs corpus
    ends on 3 December 2017) thus reports on the month before it, not on a
    month of a handful of rows. When no month is complete: the run's last month.
    """
    zone = ZoneInfo(settings.reporting_timezone)
    bounds = [month_start(first), month_start(last)]
    ends: dict[str, date] = {}
    months: dict[str, set[str]] = {}
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        present = {
            name
            for (name,) in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
        for source, column in EVENT_TIMESTAMPS.items():
            if source not in present:
                continue
            found = conn.execute(
                f"select strftime(partition_month, '%Y-%m'), max({column}) from raw.{source} "
                "where partition_month between ? and ? group by partition_month",
                bounds,
            ).fetchall()
            if found:
                months[source] = {month for month, _ in found}
                newest = max(newest for _, newest in found)
                ends[source] = newest.replace(tzinfo=UTC).astimezone(zone).date()
    if not ends:
        return last, "the run's last month; it has no mentions, complaints or NPS answers"
    candidates = months.get("mentions") or set().union(*months.values())
    complete = [
        month
        for month in candidates
        if all(_month_end(month) <= ends[source] for source in ends if month in months[source])
    ]
    if not complete:
        return last, "the run's last month, although no month has complete data"
    month = max(complete)
    cut_short = [
        f"{source} end on {end}"
        for source, end in sorted(ends.items())
        if end < _month_end(max(months[source]))
    ]
    reason = "the latest month with complete data"
    if cut_short:
        reason += f"; {', '.join(cut_short)}"
    return month, reason


def _month_end(month: str) -> date:
    """The last day of ``YYYY-MM``."""
    following = month_start(month).replace(day=28) + timedelta(days=4)
    return following - timedelta(days=following.day)


def ingest(source: str, fmt: str, paths: Sequence[str], home: str | None = None) -> int:
    """Land exports in `<home>/landing/<source>/imports/` and load every month they touch."""
    from assets.raw.adapters import derive_reference_files, formats_for
    from assets.raw.errors import LandingFileError
    from assets.raw.landing import index_landing
    from assets.raw.parsing import check_exports
    from orchestration.definitions import build_definitions

    settings = Settings.from_env(home)
    try:
        known = formats_for(source)
        if fmt not in known:
            raise CommandError(f"{source} cannot be read as {fmt!r}; choose {', '.join(known)}")
        # An export that cannot be loaded at all stops here, before anything is landed.
        check_exports(source, fmt, [Path(p) for p in paths], settings)
        landed = land_files(settings, source, fmt, [Path(p) for p in paths])
    except CommandError as error:
        print(f"webcare ingest: {error}", file=sys.stderr)
        return 2
    except LandingFileError as error:
        print(f"webcare ingest: {error}", file=sys.stderr)
        return 1
    derive_reference_files(source, fmt, landed, settings.landing_path)
    index = index_landing(settings)
    landed_names = {str(path.relative_to(settings.landing_path)) for path in landed}
    months = sorted(
        {
            month
            for landed_file in index.files_for(source)
            if str(landed_file.relative_path) in landed_names
            for month in landed_file.months
        }
    )
    try:
        months = select_months(months, None, settings) if months else []
    except CommandError as error:
        print(f"webcare ingest: {error}", file=sys.stderr)
        return 2
    defs = build_definitions(settings)
    instance = open_instance(settings)
    if source in REFERENCE_SOURCES or not months:
        result = execute(defs, instance, "load_reference")
    else:
        print(f"Loading {source} for {months[0]}..{months[-1]} ({len(months)} months)", flush=True)
        result = execute(defs, instance, "load_raw", tags=range_tags(months[0], months[-1]))
    if not result.success:
        print_failures([result])
        return 1
    print_ingest_summary(settings, source, sorted(landed_names))
    return 0


def select_months(available: Sequence[str], spec: str | None, settings: Settings) -> list[str]:
    """The landed months to run, limited by a ``FROM:TO`` spec when given."""
    if not available:
        raise CommandError(
            f"no landing data under {settings.landing_dir}; "
            "run `webcare demo-data` or `webcare ingest` first"
        )
    early = [month for month in available if month < settings.first_month]
    if early:
        print(
            f"Skipping {len(early)} landed months ({early[0]}..{early[-1]}) before the first "
            f"partition {settings.first_month}; set WEBCARE_FIRST_MONTH to load them",
            file=sys.stderr,
        )
        available = [month for month in available if month >= settings.first_month]
        if not available:
            raise CommandError(f"every landed month is before {settings.first_month}")
    if spec is None:
        return list(available)
    start, sep, end = spec.partition(":")
    if not sep or not start or not end:
        raise CommandError(f"--months must look like 2011-01:2011-12, got {spec!r}")
    chosen = [month for month in available if start <= month <= end]
    if not chosen:
        raise CommandError(f"no landed month in {spec}; landed: {available[0]}..{available[-1]}")
    return chosen


def range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags that make one run cover the partition range first..last."""
    return {RANGE_START_TAG: first, RANGE_END_TAG: last}


def execute(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    job_name: str,
    *,
    partition_key: str | None = None,
    tags: dict[str, str] | None = None,
) -> dg.ExecuteInProcessResult:
    """Run a job in this process on the home's instance; failures are returned, not raised."""
    return defs.resolve_job_def(job_name).execute_in_process(
        run_config=QUIET_LOGS,
        instance=instance,
        partition_key=partition_key,
        tags=tags,
        raise_on_error=False,
    )


def land_files(settings: Settings, source: str, fmt: str, paths: Sequence[Path]) -> list[Path]:
    """Copy exports into the landing folder with a sidecar naming their format."""
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise CommandError(f"no such file: {', '.join(missing)}")
    target_dir = settings.landing_path / source / "imports"
    target_dir.mkdir(parents=True, exist_ok=True)
    landed = []
    for path in paths:
        target = target_dir / path.name
        shutil.copy2(path, target)
        sidecar = target.with_name(target.name + FORMAT_SIDECAR_SUFFIX)
        sidecar.write_text(json.dumps({"format": fmt}) + "\n")
        landed.append(target)
    return landed


def print_load_summary(settings: Settings, first: str, last: str) -> None:
    """Rows loaded and rejected per source for the months first..last."""
    bounds = [f"{first}-01", f"{last}-01"]
    if not Path(settings.duckdb_path).exists():
        print("Nothing was loaded.")
        return
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        tables = {
            name
            for (name,) in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
        if "rejected_rows" not in tables:
            print("Nothing was loaded.")
            return
        rejected = dict(
            conn.execute(
                "select source, count(*) from raw.rejected_rows "
                "where partition_month is null or partition_month between ? and ? group by source",
                bounds,
            ).fetchall()
        )
        print(f"{'source':<18}{'loaded':>10}{'rejected':>10}")
        for source in (*REFERENCE_SOURCES, *PARTITIONED_SOURCES):
            if source not in tables:
                print(f"{source:<18}{'not loaded':>10}{rejected.get(source, 0):>10,}")
            elif source in REFERENCE_SOURCES:
                loaded = conn.execute(f"select count(*) from raw.{source}").fetchone()[0]
            else:
                loaded = conn.execute(
                    f"select count(*) from raw.{source} where partition_month between ? and ?",
                    bounds,
                ).fetchone()[0]
            print(f"{source:<18}{loaded:>10,}{rejected.get(source, 0):>10,}")
    print(f"Warehouse: {settings.duckdb_path}", flush=True)


def print_ingest_summary(settings: Settings, source: str, files: list[str]) -> None:
    """Rows loaded and rejected per month for the files just ingested."""
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        loaded = conn.execute(
            f"select strftime(partition_month, '%Y-%m'), count(*) from raw.{source} "
            "where _source_file in (select unnest(?)) group by 1 order by 1",
            [files],
        ).fetchall()
        rejected = dict(
            conn.execute(
                "select coalesce(strftime(partition_month, '%Y-%m'), '-'), count(*) "
                "from raw.rejected_rows where source = ? and file in (select unnest(?)) "
                "group by 1",
                [source, files],
            ).fetchall()
        )
    print(f"{'month':<10}{'loaded':>10}{'rejected':>10}")
    for month, count in loaded:
        print(f"{month:<10}{count:>10,}{rejected.pop(month, 0):>10,}")
    for month, count in sorted(rejected.items()):
        print(f"{month:<10}{0:>10,}{count:>10,}")
    print(f"Warehouse: {settings.duckdb_path}")


def print_failures(results: Sequence[dg.ExecuteInProcessResult]) -> None:
    """The failed steps with the message that says what is wrong (file, line, rule)."""
    for result in results:
        for event in result.all_events:
            if event.event_type_value == "STEP_FAILURE":
                print(f"FAILED {event.step_key}: {failure_message(event)}", file=sys.stderr)
        for evaluation in result.get_asset_check_evaluations():
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
                name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
                print(f"BLOCKED by check {name}: {evaluation.description or ''}", file=sys.stderr)


def failure_message(event: dg.DagsterEvent) -> str:
    """A `dagster.Failure`'s description, else the innermost error of the chain."""
    data = event.step_failure_data
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description.strip()
    error = data.error
    if error is None:
        return "failed"
    while error.cause is not None:
        error = error.cause
    return error.message.strip()
