"""What `webcare run` and `webcare ingest` do: Dagster runs on the home's persistent instance."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from orchestration.instance import open_instance
from orchestration.locking import home_lock, recover_dead_runs
from warehouse import contract
from warehouse.partitions import (
    CHANGED_FROM_TAG,
    FULL_REFRESH_TAG,
    RANGE_END_TAG,
    RANGE_START_TAG,
    covers_to_end,
    is_month_key,
    month_start,
    reporting_day,
)
from warehouse.resource import WarehouseResource, tables_in
from warehouse.settings import PARTITIONED_SOURCES, REFERENCE_SOURCES, Settings

if TYPE_CHECKING:
    from assets.raw.landing import LandingIndex

FORMAT_SIDECAR_SUFFIX = ".webcare.json"
# Progress (months loaded, texts scored, dbt models built) is logged at INFO;
# Dagster's per-event DEBUG lines would bury it.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


class CommandError(Exception):
    """A user-facing error: printed without a stack trace, exit status 2."""


def run(home: str | None = None, months: str | None = None, full_refresh: bool = False) -> int:
    """Materialise every asset for the landed months, check, publish and summarise.

    The month-incremental marts rebuild from the first month loaded on (and the
    months that depend on it, assets/dbt/incremental.py); `full_refresh` rebuilds
    every month.

    One webcare command at a time per home: a second one waits for the first
    (`home_lock`), and runs left behind by a killed process are failed first so
    their warehouse slot is free (`recover_dead_runs`).
    """
    settings = Settings.from_env(home)
    with home_lock(settings, "run"):
        return _run(settings, months, full_refresh)


def _run(settings: Settings, months: str | None, full_refresh: bool) -> int:
    from assets.raw.landing import index_landing
    from orchestration.alerts import deliver
    from orchestration.definitions import build_definitions
    from orchestration.summary import print_check_summary, print_kpi_summary, print_outputs

    try:
        chosen = months_to_run(index_landing(settings), months, settings)
    except CommandError as error:
        print(f"webcare run: {error}", file=sys.stderr)
        return 2
    defs = build_definitions(settings)
    instance = open_home_instance(settings)
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
        tags = {CHANGED_FROM_TAG: first, FULL_REFRESH_TAG: str(full_refresh).lower()}
        results.append(
            execute(defs, instance, "publish_marts", partition_key=report_month, tags=tags)
        )
    print_check_summary(results)
    failed = [result for result in results if not result.success]
    if settings.alert_webhook_url:
        # Sensors do not tick in process: post new spike alerts and failed runs here;
        # a webhook that is down is logged and never changes the exit status.
        print(deliver(settings, instance, [result.run_id for result in failed]).summary, flush=True)
    if failed:
        print_failures(failed)
        return 1
    print_kpi_summary(settings, report_month)
    print_outputs(settings, report_month)
    return 0


# The sources whose rows are events in time, by the timestamp their month is taken from
# (share prices are daily closes: a price series says nothing about a month's coverage).
EVENT_TIMESTAMPS = {
    name: contract.RAW_TABLES[name].partitioned_by
    for name in ("mentions", "complaints", "nps_responses")
}


def choose_report_month(settings: Settings, first: str, last: str) -> tuple[str, str]:
    """The month the report and the KPI summary show, and why, for a run of first..last.

    Rule: the latest month of the run whose data is complete: every event source
    (mentions, complaints, NPS answers) with rows in that month covers it to its
    end, i.e. has a row in its last `COMPLETE_WITHIN_DAYS` days or later
    (reporting time zone; `warehouse.partitions.covers_to_end`). When mentions
    have landed the month must hold mentions, since most KPIs are about them. An
    export that stops a few days into a month (the twcs corpus ends on 3 December
    2017) thus reports on the month before it, not on a month of a handful of
    rows. When no month is complete: the run's last month.
    """
    bounds = [month_start(first), month_start(last)]
    ends: dict[str, date] = {}
    months: dict[str, set[str]] = {}
    with WarehouseResource(database=settings.duckdb_path).connect(read_only=True) as conn:
        present = tables_in(conn, "raw")
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
                ends[source] = reporting_day(newest, settings.reporting_timezone)
    if not ends:
        return last, "the run's last month; it has no mentions, complaints or NPS answers"
    candidates = months.get("mentions") or set().union(*months.values())
    complete = [
        month
        for month in candidates
        if all(covers_to_end(month, ends[source]) for source in ends if month in months[source])
    ]
    if not complete:
        return last, "the run's last month, although no month has complete data"
    month = max(complete)
    cut_short = [
        f"{source} end on {end}"
        for source, end in sorted(ends.items())
        if not covers_to_end(max(months[source]), end)
    ]
    reason = "the latest month with complete data"
    if cut_short:
        reason += f"; {', '.join(cut_short)}"
    return month, reason


def ingest(source: str, fmt: str, paths: Sequence[str], home: str | None = None) -> int:
    """Land exports in `<home>/landing/<source>/imports/` and load every month they touch.

    Holds the home's command lock like `run`.
    """
    settings = Settings.from_env(home)
    with home_lock(settings, "ingest"):
        return _ingest(settings, source, fmt, paths)


def _ingest(settings: Settings, source: str, fmt: str, paths: Sequence[str]) -> int:
    from assets.raw.adapters import derived_reference_paths, formats_for
    from assets.raw.errors import LandingFileError
    from assets.raw.parsing import check_exports

    try:
        known = formats_for(source)
        if fmt not in known:
            raise CommandError(f"{source} cannot be read as {fmt!r}; choose {', '.join(known)}")
        # An export that cannot be loaded at all stops here, before anything is landed.
        exports = [Path(p) for p in paths]
        check_exports(source, fmt, exports, settings)
        targets = landing_targets(settings, source, exports)
        # Derived files are named after the export, which keeps its name in landing.
        derived = derived_reference_paths(source, fmt, exports, settings.landing_path)
        undo = LandingUndo([*targets, *derived, landing_index_path(settings)])
        try:
            landed = land_files(settings, source, fmt, exports)
        except BaseException:
            undo.restore()
            raise
    except CommandError as error:
        print(f"webcare ingest: {error}", file=sys.stderr)
        return 2
    except LandingFileError as error:
        print(f"webcare ingest: {error}", file=sys.stderr)
        return 1
    # A failed ingest leaves landing as it was: the exports, their sidecars, the
    # brands and accounts they implied and the landing index go back.
    try:
        status = _load_landed(settings, source, fmt, landed)
    except BaseException:
        undo.restore()
        raise
    if status == 0:
        undo.commit()
        return 0
    removed, put_back = undo.restore()
    changes = [
        f"{what} {', '.join(names)}"
        for what, paths in (("removed", removed), ("put back", put_back))
        if (names := _landing_names(settings, paths))
    ]
    print(
        f"webcare ingest: landing is as it was before: {'; '.join(changes) or 'nothing changed'}",
        file=sys.stderr,
    )
    if derived:
        # The failed run may have loaded the implied brands and accounts already.
        _reload_reference(settings)
    return status


def _load_landed(settings: Settings, source: str, fmt: str, landed: list[Path]) -> int:
    """Derive reference files, then load every month the landed exports touch; exit status."""
    from assets.raw.adapters import derive_reference_files
    from assets.raw.landing import empty_file_warning, index_landing
    from orchestration.definitions import build_definitions

    derive_reference_files(source, fmt, landed, settings.landing_path)
    index = index_landing(settings)
    landed_names = {path.relative_to(settings.landing_path).as_posix() for path in landed}
    ours = [item for item in index.files_for(source) if item.relative_path in landed_names]
    for item in ours:
        if item.records == 0:
            print(f"Warning: {empty_file_warning(item)}", file=sys.stderr)
    months = sorted({month for item in ours for month in item.months})
    try:
        months = select_months(months, None, settings) if months else []
    except CommandError as error:
        print(f"webcare ingest: {error}", file=sys.stderr)
        return 2
    defs = build_definitions(settings)
    instance = open_home_instance(settings)
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


def _reload_reference(settings: Settings) -> None:
    """Load brands and accounts again from landing (after a failed ingest put it back)."""
    from orchestration.definitions import build_definitions

    result = execute(build_definitions(settings), open_home_instance(settings), "load_reference")
    if result.success:
        print(
            "webcare ingest: raw.brands and raw.webcare_accounts reloaded from landing",
            file=sys.stderr,
        )
    else:
        print_failures([result])


class LandingUndo:
    """What an ingest is about to write, kept so a failed ingest can put it back.

    Each existing path is hard-linked (else copied) to a hidden backup beside it
    (hidden names are not landing files); writers must replace files, not
    rewrite them in place, so the backup keeps the old bytes. `restore` puts
    the backups back and removes what did not exist; `commit` drops them.
    """

    def __init__(self, paths: Sequence[Path]) -> None:
        self._paths: dict[Path, Path | None] = {}
        for path in paths:
            if path in self._paths:
                continue
            backup = None
            if path.exists():
                backup = path.with_name(f".{path.name}.webcare-undo")
                backup.unlink(missing_ok=True)
                try:
                    os.link(path, backup)
                except OSError:
                    shutil.copy2(path, backup)
            self._paths[path] = backup

    def restore(self) -> tuple[list[Path], list[Path]]:
        """Put every path back as it was; the paths removed and the paths put back."""
        removed: list[Path] = []
        put_back: list[Path] = []
        for path, backup in self._paths.items():
            if backup is None:
                if path.exists():
                    path.unlink()
                    removed.append(path)
            else:
                os.replace(backup, path)
                put_back.append(path)
        self._paths = {}
        return removed, put_back

    def commit(self) -> None:
        """Keep what was written: drop the backups."""
        for backup in self._paths.values():
            if backup is not None:
                backup.unlink(missing_ok=True)
        self._paths = {}


def _landing_names(settings: Settings, paths: Sequence[Path]) -> list[str]:
    """The landing files among `paths`, relative to the landing folder (the index is internal)."""
    return [
        path.relative_to(settings.landing_path).as_posix()
        for path in paths
        if path.is_relative_to(settings.landing_path)
    ]


def landing_index_path(settings: Settings) -> Path:
    """The landing index cache, put back with landing after a failed ingest."""
    from assets.raw.landing import INDEX_FILE

    return settings.state_path / INDEX_FILE


def open_home_instance(settings: Settings) -> dg.DagsterInstance:
    """The home's Dagster instance, after failing the runs whose process died (one line each).

    Call it while holding `home_lock`: no other webcare command is running then.
    """
    instance = open_instance(settings)
    for dead in recover_dead_runs(instance):
        print(
            f"Run {dead.run_id[:8]} ({dead.job_name}) was left by a process that is gone "
            f"(pid {dead.pid}): marked failed and its warehouse slot freed",
            file=sys.stderr,
            flush=True,
        )
    return instance


def months_to_run(index: LandingIndex, spec: str | None, settings: Settings) -> list[str]:
    """The months `webcare run` loads: landed months and months that lost files since their load.

    A month whose landing files were removed (or changed so they no longer
    touch it) is reloaded from the files left, empty when none is: one line
    per such month says so. A file holding a header but no rows is a warning.
    With nothing loadable landed, the files that cannot be read are named.
    """
    from assets.raw.landing import empty_file_warning

    for item in index.empty_files():
        print(f"Warning: {empty_file_warning(item)}", file=sys.stderr)
    stale: dict[str, list[str]] = {}
    for months in index.stale.values():
        for month, files in months.items():
            # Rows before the first partition are recorded (refused) by the first one.
            stale.setdefault(max(month, settings.first_month), []).extend(files)
    available = sorted(set(index.months()) | set(stale))
    if not available and index.problems():
        for item in index.problems():
            print(f"webcare run: {item.problem}", file=sys.stderr)
        raise CommandError("no landed file can be loaded; fix or remove the files above")
    chosen = select_months(available, spec, settings)
    for month in chosen:
        if month in stale:
            files = sorted(set(stale[month]))
            shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
            print(
                f"Reloading {month}: landing files removed or changed since its last load "
                f"({shown}); it is rebuilt from the files left",
                flush=True,
            )
    return chosen


def select_months(available: Sequence[str], spec: str | None, settings: Settings) -> list[str]:
    """The landed months to run, limited by a ``FROM:TO`` spec when given.

    Months before the first partition have no partition of their own: their
    rows are recorded as refused by the first one, which is run instead.
    """
    if not available:
        raise CommandError(
            f"no landing data under {settings.landing_dir}; "
            "run `webcare demo-data` or `webcare ingest` first"
        )
    first = settings.first_month
    early = [month for month in available if month < first]
    if early:
        later = [month for month in available if month >= first]
        if not later:
            raise CommandError(
                f"every landed month ({early[0]}..{early[-1]}) is before {first}, the first "
                f"partition; set WEBCARE_FIRST_MONTH={early[0]} to load them"
            )
        print(
            f"{len(early)} landed month(s) ({early[0]}..{early[-1]}) lie before the first "
            f"partition {first}: their rows are recorded as refused in raw.rejected_rows "
            f"under {first}; set WEBCARE_FIRST_MONTH={early[0]} to load them",
            file=sys.stderr,
        )
        available = sorted({*later, first})
    if spec is None:
        return list(available)
    start, sep, end = spec.partition(":")
    if not sep or not is_month_key(start) or not is_month_key(end):
        raise CommandError(f"--months must look like 2011-01:2011-12, got {spec!r}")
    if start > end:
        raise CommandError(f"--months {spec}: {start} comes after {end}")
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


def landing_targets(settings: Settings, source: str, paths: Sequence[Path]) -> list[Path]:
    """Where `land_files` puts each export and its format sidecar."""
    target_dir = settings.landing_path / source / "imports"
    return [
        target
        for path in paths
        for target in (
            target_dir / path.name,
            target_dir / (path.name + FORMAT_SIDECAR_SUFFIX),
        )
    ]


def land_files(settings: Settings, source: str, fmt: str, paths: Sequence[Path]) -> list[Path]:
    """Copy exports into the landing folder with a sidecar naming their format.

    Each file is written beside its target under a hidden name and renamed in,
    so the landing folder never holds a half-copied export (and an earlier
    version's backup, see `LandingUndo`, keeps its bytes).
    """
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise CommandError(f"no such file: {', '.join(missing)}")
    target_dir = settings.landing_path / source / "imports"
    target_dir.mkdir(parents=True, exist_ok=True)
    landed = []
    for path in paths:
        target = target_dir / path.name
        sidecar = target.with_name(target.name + FORMAT_SIDECAR_SUFFIX)
        temporary = target.with_name(f".{target.name}.landing")
        shutil.copy2(path, temporary)
        sidecar_temporary = sidecar.with_name(f".{sidecar.name}.landing")
        sidecar_temporary.write_text(json.dumps({"format": fmt}) + "\n")
        os.replace(sidecar_temporary, sidecar)
        os.replace(temporary, target)
        landed.append(target)
    return landed


def print_load_summary(settings: Settings, first: str, last: str) -> None:
    """Rows loaded and rejected per source for the months first..last."""
    bounds = [f"{first}-01", f"{last}-01"]
    if not Path(settings.duckdb_path).exists():
        print("Nothing was loaded.")
        return
    with WarehouseResource(database=settings.duckdb_path).connect(read_only=True) as conn:
        tables = tables_in(conn, "raw")
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
    with WarehouseResource(database=settings.duckdb_path).connect(read_only=True) as conn:
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
