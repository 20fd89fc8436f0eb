"""Speed of the KPI marts: `dbt build` on DuckDB at volume, one new month, and a pandas peer.

``python bench/bench_marts.py`` (``make bench-marts``) generates ``--mentions`` mention
rows (default 1,000,000) over 24 months straight into the raw and scores tables of a
scratch home (`bench.marts_data`: no sentiment model; labels drawn with the demo's
planted shares; complaints, NPS answers and share prices in proportion), then times,
in one run:

1. the full ``dbt build --full-refresh`` (every model, all marts, their dbt tests and
   the unit tests);
2. one new month: the month after the 24 is added to raw and scores and ``dbt build``
   runs with ``rebuild_from_month`` (the first month whose rows can change), with the
   arguments `assets.dbt.incremental` gives the Dagster dbt asset (data tests, no
   unit tests: the code is that of the full build);
3. the pandas peer (`bench.marts_peer`): ``fct_sentiment_monthly``,
   ``fct_webcare_response_monthly`` and ``fct_webcare_roi_monthly`` as an analyst would
   write them, read from the same warehouse, and compared column by column with the
   marts of the dbt build (floats to 1e-9), after the full build and again after the
   new month;
4. dbt's fixed cost: the same two builds over 100 mentions a month, in a second
   scratch home. Whatever the volume, a build of this project's 240 nodes costs that
   much (start-up, parse, one query and its bookkeeping per node), so it is also
   printed how the new month compares with the full build above it.

It prints rows per second, seconds and peak resident memory of each step and checks
the issue's targets on 2 cores: the full build <= 45 s at 1M mentions and <= 5 min at
10M, peak memory <= 8 GB, the same three marts >= 5x faster in dbt than in pandas
(the dbt figure is the run time of the three marts and every model upstream of them,
from dbt's run_results.json), and the new month <= 25% of the full build. Timings vary
with machine load; only a dbt failure or marts that differ from the peer fail the run.

Each dbt build and each peer run is a child process, so its peak memory is its own.
The scratch home is removed afterwards, also on failure, Ctrl-C or SIGTERM. A volume
whose estimated peak memory exceeds the available memory (MemAvailable) is refused
before anything is written; the peer alone is skipped when only it would not fit.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from assets.dbt.incremental import BuildPlan
    from bench.marts_data import Plan

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DBT_PROJECT_DIR = REPO / "dbt_project"
# the dbt beside this Python (the venv's), else the one on PATH
DBT = Path(sys.executable).with_name("dbt")
if not DBT.exists():
    DBT = Path(shutil.which("dbt") or "dbt")
DEFAULT_MENTIONS = 1_000_000
MIN_MENTIONS = 1_000
# The fixed cost's volume: 100 mentions a month, where no query costs anything.
FLOOR_MENTIONS_PER_MONTH = 100
DEFAULT_MONTHS = 24
SCRATCH_PREFIX = "webcare-bench-marts-"
# The dbt vars a production build passes (assets.dbt.dbt_vars with the default settings:
# none, dbt_project.yml's own).
DBT_VARS: dict[str, str] = {}
MARTS = ("fct_sentiment_monthly", "fct_webcare_response_monthly", "fct_webcare_roi_monthly")

# Targets of the issue (2 cores).
TARGET_BUILD_1M_S = 45.0
TARGET_BUILD_10M_S = 300.0
TARGET_PEAK_BYTES = 8 * 1024**3
TARGET_PEER_RATIO = 5.0
TARGET_NEW_MONTH_SHARE = 0.25
SLOWEST_NODES = 8

# Peak resident memory per mention row, from this benchmark's data with a margin (measured:
# dbt 1.1 GiB at 1M and 7.8 GiB at 10M mentions; the peer 1.7 GiB at 1M), plus a fixed
# base per process. The warehouse file takes about 280 bytes per mention row.
DBT_BYTES_PER_MENTION = 1_200
PEER_BYTES_PER_MENTION = 2_000
BASE_BYTES = 600 * 1024**2
DISK_PER_MENTION = 600
GENERATION_MEMORY_LIMIT = "2GB"


class BenchRefused(SystemExit):
    """The benchmark will not run with these arguments (exit status 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(2)
        self.message = message

    def __str__(self) -> str:
        return self.message


# ---- memory, disk and the scratch home ----------------------------------------------


def available_memory_bytes() -> int:
    """Memory the system can give without swapping: MemAvailable, else free pages."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def estimated_peaks(mentions: int) -> dict[str, int]:
    """Estimated peak resident bytes of the dbt build and of the pandas peer."""
    return {
        "dbt": BASE_BYTES + DBT_BYTES_PER_MENTION * mentions,
        "peer": BASE_BYTES + PEER_BYTES_PER_MENTION * mentions,
    }


def check_fits(mentions: int, available: int | None = None, free_disk: int | None = None) -> bool:
    """Refuse (`BenchRefused`) a volume whose dbt build would not fit in memory or on disk;
    returns whether the pandas peer fits too."""
    if mentions < MIN_MENTIONS:
        raise BenchRefused(f"bench-marts: --mentions must be at least {MIN_MENTIONS:,}")
    available = available_memory_bytes() if available is None else available
    peaks = estimated_peaks(mentions)
    if peaks["dbt"] > available:
        largest = (available - BASE_BYTES) // DBT_BYTES_PER_MENTION
        raise BenchRefused(
            f"bench-marts: {mentions:,} mentions need about {_gib(peaks['dbt'])} of memory for "
            f"the dbt build, and only {_gib(available)} is available (MemAvailable); refusing "
            f"rather than swapping. At most about {max(largest, 0):,} mentions fit now."
        )
    if free_disk is not None and DISK_PER_MENTION * mentions > free_disk:
        raise BenchRefused(
            f"bench-marts: {mentions:,} mentions need about "
            f"{_gib(DISK_PER_MENTION * mentions)} of disk for the scratch warehouse, and only "
            f"{_gib(free_disk)} is free there (--scratch-dir chooses another place)."
        )
    return peaks["peer"] <= available


@contextlib.contextmanager
def scratch_home(parent: Path | None = None) -> Iterator[Path]:
    """A fresh folder for the warehouse, dbt's target and logs; removed however the block
    ends (an exception, Ctrl-C, or SIGTERM, which `main` turns into an exception)."""
    home = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=parent))
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the main thread is so cleanup runs as on Ctrl-C."""


def _on_sigterm(signum: int, frame: object) -> None:
    del signum, frame
    raise _Terminated()


# ---- child processes --------------------------------------------------------------------


@dataclass
class ChildRun:
    """One child process: exit status, wall seconds, peak resident bytes, its output file."""

    returncode: int
    seconds: float
    peak_bytes: int
    log: Path

    def tail(self, lines: int = 40) -> str:
        """The end of its output."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def run_child(command: list[str], log: Path, env: dict[str, str] | None = None) -> ChildRun:
    """Run `command`, output to `log`; its own peak memory comes from wait4's rusage."""
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=DBT_PROJECT_DIR,
            env={**os.environ, **(env or {})},
        )
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            # Ctrl-C or SIGTERM: stop the child before the scratch home is removed.
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            raise
    process.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux
    return ChildRun(process.returncode, time.perf_counter() - started, usage.ru_maxrss * 1024, log)


def dbt_command(args: list[str], home: Path) -> list[str]:
    """``dbt <args>`` on the project, with the scratch home's target and log folders."""
    return [
        str(DBT),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        # the DuckDB output whatever WEBCARE_ENGINE says
        "--target",
        "duckdb",
        "--target-path",
        str(home / "target"),
        "--log-path",
        str(home / "logs"),
    ]


@dataclass
class DbtRun:
    """A timed `dbt build`: the child run and what run_results.json says."""

    child: ChildRun
    elapsed: float
    nodes: dict[str, float]
    failures: list[str]

    @property
    def ok(self) -> bool:
        """dbt exited 0 and no node failed."""
        return self.child.returncode == 0 and not self.failures

    def slowest(self, count: int = SLOWEST_NODES) -> list[tuple[str, float]]:
        """The nodes that took longest."""
        return sorted(self.nodes.items(), key=lambda item: -item[1])[:count]


def dbt_build(home: Path, plan: BuildPlan, name: str) -> DbtRun:
    """Run the `dbt build` of `plan` on the scratch warehouse, with the arguments the
    Dagster dbt asset passes for it, and read its run_results.json."""
    results = home / "target" / "run_results.json"
    results.unlink(missing_ok=True)
    child = run_child(
        dbt_command(plan.dbt_args(DBT_VARS), home),
        home / f"{name}.log",
        env={
            "WEBCARE_DUCKDB_PATH": str(home / "warehouse.duckdb"),
            **plan.dbt_env(),
        },
    )
    if not results.exists():
        return DbtRun(child, child.seconds, {}, [f"dbt wrote no run_results.json:\n{child.tail()}"])
    data = json.loads(results.read_text())
    nodes = {r["unique_id"]: float(r["execution_time"]) for r in data["results"]}
    failures = [
        f"{r['unique_id']}: {r['status']} {r.get('message') or ''}".strip()
        for r in data["results"]
        # dbt reports the exposures (who reads the marts) as no-op nodes
        if r["status"] not in ("success", "pass")
        and not (r["unique_id"].startswith("exposure.") and r["status"] == "no-op")
    ]
    return DbtRun(child, float(data.get("elapsed_time") or child.seconds), nodes, failures)


def upstream_models(home: Path, marts: tuple[str, ...] = MARTS) -> set[str]:
    """The marts' model nodes and every model upstream of them (the build's manifest)."""
    manifest = json.loads((home / "target" / "manifest.json").read_text())
    parents = manifest["parent_map"]
    todo = [f"model.webcare_warehouse.{mart}" for mart in marts]
    found: set[str] = set()
    while todo:
        node = todo.pop()
        if node in found or not node.startswith("model."):
            continue
        found.add(node)
        todo.extend(parents.get(node, []))
    return found


def run_peer(home: Path, name: str) -> tuple[ChildRun, dict]:
    """The pandas peer in a child process (its own peak memory); its JSON report."""
    out = home / f"{name}.json"
    child = run_child(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--stage",
            "peer",
            "--db",
            str(home / "warehouse.duckdb"),
            "--out",
            str(out),
        ],
        home / f"{name}.log",
    )
    if child.returncode != 0 or not out.exists():
        raise RuntimeError(f"the pandas peer failed:\n{child.tail()}")
    return child, json.loads(out.read_text())


def _peer_stage(db: Path, out: Path) -> int:
    """Inside the child: compute the peer's marts and compare them with dbt's."""
    import duckdb

    from bench import marts_peer

    variables = marts_peer.project_vars(DBT_PROJECT_DIR, DBT_VARS)
    con = duckdb.connect(str(db), read_only=True)
    try:
        result = marts_peer.compute(con, variables)
        comparisons = marts_peer.compare_with_dbt(con, result)
    finally:
        con.close()
    report = {
        "seconds": result.seconds,
        "comparisons": [
            {
                "mart": c.mart,
                "rows": c.rows,
                "compared": c.compared,
                "not_covered": c.not_covered,
                "mismatches": c.mismatches,
            }
            for c in comparisons
        ],
    }
    out.write_text(json.dumps(report, indent=1))
    return 0


# ---- the benchmark ----------------------------------------------------------------------


@dataclass
class Result:
    """Everything one run measured (seconds, bytes, ratios) and where it ran."""

    mentions: int
    months: int
    home: Path
    figures: dict[str, object] = field(default_factory=dict)
    comparisons: dict[str, list[dict]] = field(default_factory=dict)
    slowest: list[tuple[str, float]] = field(default_factory=list)
    slowest_new_month: list[tuple[str, float]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool | None:
        """Whether every peer comparison found the marts equal (None: the peer did not run)."""
        runs = [c for comparisons in self.comparisons.values() for c in comparisons]
        return None if not runs else all(not c["mismatches"] for c in runs)


def _generate(home: Path, plan: Plan, batch: str) -> tuple[dict[str, int], float, str | None]:
    """Write a batch into the scratch warehouse; for the new month also decide the first
    month to rebuild. Returns rows per table, seconds, that month."""
    import duckdb

    from bench import marts_data

    database = str(home / "warehouse.duckdb")
    with duckdb.connect(database) as con:
        con.execute(f"set memory_limit = '{GENERATION_MEMORY_LIMIT}'")
        con.execute(f"set temp_directory = '{home / 'duckdb_tmp'}'")
        started = time.perf_counter()
        rows = marts_data.generate(con, plan, batch)
        seconds = time.perf_counter() - started
    if batch != "new":
        return rows, seconds, None
    # A connection of its own, as the Dagster asset's: the generation's memory limit and
    # buffers are not the planning query's (at 10M it ran out of memory beside them).
    with duckdb.connect(database, read_only=True) as con:
        return rows, seconds, _rebuild_from(con, plan.new_month)


def _rebuild_from(con: duckdb.DuckDBPyConnection, new_month: str) -> str:
    """The first month whose marts can change when `new_month` is added, as the Dagster
    dbt asset decides it (`assets.dbt.incremental`)."""
    from assets.dbt.incremental import earliest_affected_month, project_vars

    return earliest_affected_month(con, new_month, project_vars(DBT_PROJECT_DIR, DBT_VARS))


def run(
    mentions: int,
    months: int = DEFAULT_MONTHS,
    seed: int = 14,
    scratch_dir: Path | None = None,
    peer: bool = True,
    log: Callable[[str], object] = print,
    fixed_cost: bool = True,
) -> Result:
    """Generate, build, add a month, rebuild, run the peer, measure the fixed cost; the
    scratch homes are gone after."""
    from assets.dbt.incremental import BuildPlan
    from bench import marts_data

    if months < 2:
        raise BenchRefused("bench-marts: --months must be at least 2")
    free = shutil.disk_usage(scratch_dir or tempfile.gettempdir()).free
    peer_fits = check_fits(mentions, free_disk=free)
    plan = marts_data.make_plan(mentions, months=months, seed=seed)
    with scratch_home(scratch_dir) as home:
        result = Result(mentions, months, home)
        fig = result.figures
        fig["load_before"] = _load_average()
        log(f"bench-marts: {marts_data.describe(plan)}")
        log(f"scratch home {home}")
        rows, seconds, _ = _generate(home, plan, "base")
        fig["generated_rows"] = rows
        fig["generate_s"] = seconds
        log(f"generated {rows['raw.mentions']:,} mentions in {seconds:.1f} s")

        fig["parse_s"] = _parse(home).seconds
        full = dbt_build(home, BuildPlan("", True, None, "bench"), "full")
        result.slowest = _record_build(fig, "full_build", full)
        if not full.ok:
            result.failures += [f"full build: {f}" for f in full.failures[:20]]
            log(f"dbt build failed:\n{full.child.tail()}")
            return result
        upstream = upstream_models(home)
        fig["three_marts_dbt_s"] = sum(full.nodes.get(node, 0.0) for node in upstream)
        fig["three_marts_dbt_models"] = len(upstream)
        log(f"full dbt build {full.child.seconds:.1f} s ({len(full.nodes)} nodes)")

        if peer and peer_fits:
            child, report = run_peer(home, "peer_full")
            fig["peer_s"] = report["seconds"]["total"]
            fig["peer_seconds"] = report["seconds"]
            fig["peer_peak_bytes"] = child.peak_bytes
            result.comparisons["full build"] = report["comparisons"]
            log(f"pandas peer {fig['peer_s']:.1f} s")
        elif peer:
            fig["peer_skipped"] = (
                f"needs about {_gib(estimated_peaks(mentions)['peer'])} of memory, "
                f"{_gib(available_memory_bytes())} available"
            )

        new_rows, seconds, rebuild_from = _generate(home, plan, "new")
        fig["new_month"] = plan.new_month
        fig["new_month_rows"] = new_rows
        fig["new_month_generate_s"] = seconds
        fig["rebuild_from_month"] = rebuild_from
        incremental = dbt_build(home, BuildPlan("", False, rebuild_from, "bench"), "new_month")
        result.slowest_new_month = _record_build(fig, "new_month_build", incremental)
        if not incremental.ok:
            result.failures += [f"new month: {f}" for f in incremental.failures[:20]]
            log(f"dbt build of the new month failed:\n{incremental.child.tail()}")
            return result
        log(f"new month {plan.new_month}: dbt build {incremental.child.seconds:.1f} s")
        if peer and peer_fits:
            child, report = run_peer(home, "peer_new_month")
            fig["peer_new_month_s"] = report["seconds"]["total"]
            result.comparisons["after the new month"] = report["comparisons"]
    if fixed_cost:
        fig.update(_fixed_cost(months, seed, scratch_dir, log))
    result.figures["load_after"] = _load_average()
    return result


def _parse(home: Path) -> ChildRun:
    """`dbt parse` into the scratch home's target, untimed in the figures: a production
    target folder holds a parse already."""
    from assets.dbt.incremental import vars_args

    return run_child(
        dbt_command(["parse", *vars_args(DBT_VARS)], home),
        home / "parse.log",
        env={"WEBCARE_DUCKDB_PATH": str(home / "warehouse.duckdb")},
    )


def _fixed_cost(
    months: int, seed: int, scratch_dir: Path | None, log: Callable[[str], object]
) -> dict[str, float]:
    """The full and the new-month build over 100 mentions a month (nothing to compute):
    what every build of the project costs whatever the volume."""
    from assets.dbt.incremental import BuildPlan
    from bench import marts_data

    plan = marts_data.make_plan(FLOOR_MENTIONS_PER_MONTH * months, months=months, seed=seed)
    with scratch_home(scratch_dir) as home:
        _generate(home, plan, "base")
        _parse(home)
        full = dbt_build(home, BuildPlan("", True, None, "bench"), "floor_full")
        _, _, rebuild_from = _generate(home, plan, "new")
        new = dbt_build(home, BuildPlan("", False, rebuild_from, "bench"), "floor_new_month")
    if not (full.ok and new.ok):
        log(f"the fixed-cost builds failed:\n{(new if full.ok else full).child.tail()}")
        return {}
    log(f"fixed cost: full build {full.child.seconds:.1f} s, new month {new.child.seconds:.1f} s")
    return {"floor_full_build_s": full.child.seconds, "floor_new_month_build_s": new.child.seconds}


def _record_build(fig: dict[str, object], prefix: str, build: DbtRun) -> list[tuple[str, float]]:
    """Put a build's seconds, dbt's elapsed time, peak memory and node times into the
    figures under `prefix`; return its slowest nodes."""
    fig[f"{prefix}_s"] = build.child.seconds
    fig[f"{prefix}_dbt_elapsed_s"] = build.elapsed
    fig[f"{prefix}_peak_bytes"] = build.child.peak_bytes
    fig[f"{prefix}_nodes"] = len(build.nodes)
    fig[f"{prefix}_node_s"] = build.nodes
    return build.slowest()


def _load_average() -> str:
    """The 1-minute load average (how busy the machine was)."""
    return f"{os.getloadavg()[0]:.1f}"


# ---- the report -------------------------------------------------------------------------


def _add_peak(add: Callable[..., None], peak: int) -> None:
    """The peak-memory line of a dbt build, with its verdict."""
    add(
        "  peak memory",
        _gib(peak),
        f"<= {_gib(TARGET_PEAK_BYTES)}",
        _verdict(peak <= TARGET_PEAK_BYTES),
    )


def _gib(value: float) -> str:
    return f"{value / 1024**3:.1f} GiB"


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def build_target(mentions: int) -> tuple[float | None, str]:
    """The full-build target that applies to `mentions`, and which volume it is stated for."""
    if mentions <= 1_000_000:
        return TARGET_BUILD_1M_S, "1M"
    if mentions <= 10_000_000:
        return TARGET_BUILD_10M_S, "10M"
    return None, "none above 10M"


def report(result: Result) -> list[str]:
    """The figures with their targets and verdicts, as printed."""
    fig = result.figures
    n = result.mentions
    row = "{:<52}{:>11}{:>16}  {}"
    lines = [
        f"bench-marts: {n:,} mentions, {result.months} months + 1 new; {os.cpu_count()} cores, "
        f"load average {fig.get('load_before', '?')} before, {fig.get('load_after', '?')} after",
        row.format("figure", "value", "target", "verdict"),
    ]

    def add(name: str, value: str, target: str = "", verdict: str = "") -> None:
        lines.append(row.format(name, value, target, verdict))

    if "generate_s" in fig:
        rows = fig["generated_rows"]
        add(
            f"generate {rows['raw.mentions']:,} mentions + other tables",
            f"{fig['generate_s']:.1f} s",
        )
        add("  rows/s (all tables)", f"{sum(rows.values()) / fig['generate_s']:,.0f}")
    full_s = fig.get("full_build_s")
    target, stated = build_target(n)
    if full_s is not None:
        note = "" if n in (1_000_000, 10_000_000) or target is None else f" ({stated})"
        add(
            "dbt build --full-refresh (all marts + tests)",
            f"{full_s:.1f} s",
            "-" if target is None else f"<= {target:.0f} s{note}",
            _verdict(None if target is None else full_s <= target),
        )
        add("  mentions/s", f"{n / full_s:,.0f}")
        add(
            "  dbt's own elapsed time (without start-up)",
            f"{fig['full_build_dbt_elapsed_s']:.1f} s",
        )
        add("  (dbt parse beforehand, untimed)", f"{fig['parse_s']:.1f} s")
        _add_peak(add, int(fig["full_build_peak_bytes"]))
    if "new_month_build_s" in fig:
        new_s = float(fig["new_month_build_s"])
        share = new_s / float(full_s)
        new_rows = fig["new_month_rows"]["raw.mentions"]
        add(
            f"dbt build, new month {fig['new_month']} (rebuilt from {fig['rebuild_from_month']})",
            f"{new_s:.1f} s",
        )
        add(
            "  share of the full build",
            f"{share:.0%}",
            f"<= {TARGET_NEW_MONTH_SHARE:.0%}",
            _verdict(share <= TARGET_NEW_MONTH_SHARE),
        )
        elapsed_share = float(fig["new_month_build_dbt_elapsed_s"]) / float(
            fig["full_build_dbt_elapsed_s"]
        )
        add("  same, dbt's own elapsed times", f"{elapsed_share:.0%}")
        if "floor_full_build_s" in fig:
            floor_full = float(fig["floor_full_build_s"])
            floor_new = float(fig["floor_new_month_build_s"])
            add(
                f"  dbt's fixed cost ({FLOOR_MENTIONS_PER_MONTH} mentions a month): full, new",
                f"{floor_full:.1f}, {floor_new:.1f} s",
            )
            add("  fixed cost of a new month, share of the full build", f"{floor_new / full_s:.0%}")
            if full_s > floor_full:
                add(
                    "  new month above its fixed cost / full build above its",
                    f"{(new_s - floor_new) / (full_s - floor_full):.0%}",
                )
        add(f"  new mentions/s ({new_rows:,} rows)", f"{new_rows / new_s:,.0f}")
        _add_peak(add, int(fig["new_month_build_peak_bytes"]))
    if "peer_s" in fig:
        peer_s = float(fig["peer_s"])
        dbt_s = float(fig["three_marts_dbt_s"])
        ratio = peer_s / dbt_s
        note = "" if n == 1_000_000 else " (1M)"
        add("pandas peer, the three marts (read + compute)", f"{peer_s:.1f} s")
        add("  mentions/s", f"{n / peer_s:,.0f}")
        add("  of which reading the tables into pandas", f"{fig['peer_seconds']['read']:.1f} s")
        add("  peak memory", _gib(int(fig["peer_peak_bytes"])))
        add(
            f"dbt, the same marts ({fig['three_marts_dbt_models']} models' run time)",
            f"{dbt_s:.1f} s",
        )
        add(
            "  dbt speed-up over pandas",
            f"{ratio:.1f}x",
            f">= {TARGET_PEER_RATIO:.0f}x{note}",
            _verdict(ratio >= TARGET_PEER_RATIO),
        )
    elif "peer_skipped" in fig:
        lines.append(f"pandas peer skipped: {fig['peer_skipped']}")
    for when, comparisons in result.comparisons.items():
        for c in comparisons:
            verdict = "equal" if not c["mismatches"] else "DIFFERENT"
            name = f"{c['mart']}, {when}"
            add(name, f"{c['rows']} rows", f"{len(c['compared'])} columns", verdict)
            lines += [f"    {m}" for m in c["mismatches"]]
            if c["not_covered"]:
                lines.append(f"    not compared: {', '.join(c['not_covered'])}")
    if result.slowest and (target is None or float(full_s or 0) > target):
        lines.append(f"slowest {len(result.slowest)} nodes of the full build:")
        lines += [f"  {seconds:7.1f} s  {node}" for node, seconds in result.slowest]
    new_s = fig.get("new_month_build_s")
    if result.slowest_new_month and new_s and new_s > TARGET_NEW_MONTH_SHARE * float(full_s):
        lines.append(f"slowest {len(result.slowest_new_month)} nodes of the new month's build:")
        lines += [f"  {seconds:7.1f} s  {node}" for node, seconds in result.slowest_new_month]
    if result.failures:
        lines.append("dbt failures:")
        lines += [f"  {failure}" for failure in result.failures]
    lines.append(
        "timings taken while other work ran share the cores; "
        f"scratch home removed: {not result.home.exists()}"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures; 1 when dbt fails or the marts differ."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--mentions", type=int, default=DEFAULT_MENTIONS, help="mention rows (default 1M)"
    )
    parser.add_argument(
        "--months", type=int, default=DEFAULT_MONTHS, help="months before the new one (24)"
    )
    parser.add_argument("--seed", type=int, default=14, help="of the generated data")
    parser.add_argument("--scratch-dir", type=Path, default=None, help="default: the temp dir")
    parser.add_argument("--no-peer", action="store_true", help="skip the pandas peer")
    parser.add_argument(
        "--no-fixed-cost", action="store_true", help="skip the builds over 100 mentions a month"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage == "peer":
        return _peer_stage(args.db, args.out)

    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        result = run(
            args.mentions,
            months=args.months,
            seed=args.seed,
            scratch_dir=args.scratch_dir,
            peer=not args.no_peer,
            fixed_cost=not args.no_fixed_cost,
        )
    except BenchRefused as refused:
        print(refused.message, file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        print("bench-marts: interrupted; the scratch home is removed", file=sys.stderr)
        return 143 if isinstance(interrupt, _Terminated) else 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    print("\n".join(report(result)))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "mentions": result.mentions,
            "months": result.months,
            "figures": result.figures,
            "comparisons": result.comparisons,
            "slowest": result.slowest,
            "failures": result.failures,
        }
        args.json.write_text(json.dumps(payload, indent=1, default=str) + "\n")
    return 1 if result.failures or result.equal is False else 0


if __name__ == "__main__":
    raise SystemExit(main())
