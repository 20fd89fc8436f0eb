"""The mart benchmark (`make bench-marts`) on a tiny volume: the pandas peer equals the dbt
marts, after the full build and after the new month, and the scratch home never stays.

The timings are not asserted (they depend on the machine); what is asserted is what the
benchmark's figures rest on: the generated warehouse passes every dbt test, the peer and
dbt agree on every row and column of the three marts, and the refusals and the cleanup.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "bench" / "bench_marts.py"
MENTIONS = 20_000
MONTHS = 3


def _load_bench():
    """bench/bench_marts.py as a module (bench/ is scripts, not an installed package)."""
    spec = importlib.util.spec_from_file_location("bench_marts", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    # registered first: its dataclasses look their module up while being defined
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    """The benchmark module."""
    return _load_bench()


@pytest.fixture(scope="module")
def tiny_run(bench, tmp_path_factory):
    """One benchmark run: 20,000 mentions over 3 months and a 4th added (about a minute)."""
    scratch = tmp_path_factory.mktemp("bench_scratch")
    lines: list[str] = []
    result = bench.run(MENTIONS, months=MONTHS, scratch_dir=scratch, log=lines.append)
    return result, scratch, lines


def test_every_dbt_node_passes_on_the_generated_warehouse(tiny_run):
    result, _, lines = tiny_run
    assert result.failures == [], "\n".join(lines)
    figures = result.figures
    # 20,000 mention rows give or take the random draws (the generator aims at the mean)
    assert abs(figures["generated_rows"]["raw.mentions"] - MENTIONS) < 0.03 * MENTIONS
    for table in ("raw.complaints", "raw.nps_responses", "raw.stock_prices"):
        assert figures["generated_rows"][table] > 0, table
    assert figures["new_month_rows"]["raw.mentions"] > 0
    assert figures["full_build_s"] > 0 and figures["new_month_build_s"] > 0
    # the fixed cost: the same two builds over 100 mentions a month succeeded
    assert figures["floor_full_build_s"] > 0 and figures["floor_new_month_build_s"] > 0


@pytest.mark.parametrize("when", ["full build", "after the new month"])
def test_the_pandas_peer_equals_the_dbt_marts(tiny_run, when):
    """Same keys and row counts, every column of the three marts equal (floats to 1e-9)."""
    result, _, _ = tiny_run
    comparisons = result.comparisons[when]
    months = MONTHS if when == "full build" else MONTHS + 1
    assert [c["mart"] for c in comparisons] == [
        "fct_sentiment_monthly",
        "fct_webcare_response_monthly",
        "fct_webcare_roi_monthly",
    ]
    for comparison in comparisons:
        assert comparison["mismatches"] == [], comparison["mart"]
        assert comparison["not_covered"] == [], comparison["mart"]
        assert comparison["rows"] == 9 * months, comparison["mart"]
        assert len(comparison["compared"]) >= 19, comparison["mart"]


def test_the_report_names_every_figure_and_verdict(bench, tiny_run):
    result, _, _ = tiny_run
    text = "\n".join(bench.report(result))
    for figure in (
        "dbt build --full-refresh (all marts + tests)",
        "peak memory",
        "share of the full build",
        "pandas peer, the three marts",
        "dbt speed-up over pandas",
        "dbt's fixed cost (100 mentions a month): full, new",
    ):
        assert figure in text
    # at this volume the full build may take no longer than its fixed cost
    figures = result.figures
    above = figures["full_build_s"] > figures["floor_full_build_s"]
    assert ("new month above its fixed cost / full build above its" in text) == above
    assert text.count("equal") >= 6
    assert "scratch home removed: True" in text


def test_the_scratch_home_is_gone_after_the_run(tiny_run):
    result, scratch, _ = tiny_run
    assert result.home.parent == scratch
    assert not result.home.exists()
    assert list(scratch.iterdir()) == []


def test_the_scratch_home_is_removed_when_the_run_is_interrupted(bench, tmp_path):
    with pytest.raises(KeyboardInterrupt), bench.scratch_home(tmp_path) as home:
        (home / "warehouse.duckdb").write_bytes(b"half written")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_sigterm_during_dbt_stops_dbt_and_removes_the_scratch_home(tmp_path):
    """A real run, stopped once dbt is running (SIGTERM takes Ctrl-C's path): the benchmark
    stops dbt, exits and leaves nothing."""
    command = [sys.executable, str(SCRIPT), "--mentions", str(MENTIONS), "--months", str(MONTHS)]
    process = subprocess.Popen(
        [*command, "--scratch-dir", str(tmp_path), "--no-peer"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    # dbt writes its log once it runs
    while not list(tmp_path.glob("*/logs/dbt.log")) and time.monotonic() < deadline:
        if process.poll() is not None:
            break
        time.sleep(0.2)
    assert list(tmp_path.glob("*/logs/dbt.log")), "dbt never started"
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 143, output
    assert b"interrupted" in output
    assert list(tmp_path.iterdir()) == [], output


def test_a_volume_that_does_not_fit_in_memory_is_refused(bench, tmp_path, capsys):
    with pytest.raises(bench.BenchRefused, match="refusing rather than swapping"):
        bench.check_fits(10_000_000, available=4 * 1024**3)
    assert bench.main(["--mentions", str(10**12), "--scratch-dir", str(tmp_path)]) == 2
    assert "of memory" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_are_refused(bench, tmp_path):
    with pytest.raises(bench.BenchRefused, match="at least"):
        bench.check_fits(10)
    with pytest.raises(bench.BenchRefused, match="months"):
        bench.run(MENTIONS, months=1, scratch_dir=tmp_path)
    with pytest.raises(bench.BenchRefused, match="disk"):
        bench.check_fits(10_000_000, available=10**15, free_disk=10**6)
    # the peer alone is skipped, not the run, when only it would not fit
    assert bench.check_fits(1_000_000, available=2 * 1024**3) is False
