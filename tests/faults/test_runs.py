"""Faults of whole runs: SIGKILL at three points, two runs at once, BI readers during a publish.

Every case runs the real `webcare run` as a separate process on the three-month
small demo (the suite's shared home, see conftest.py), as a user or a scheduler would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.instance import open_instance
from warehouse.settings import KEY_FILE_NAME, Settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

WEBCARE = str(Path(sys.executable).with_name("webcare"))
RECOVERED = "marked failed and its warehouse slot freed"
CALIBRATION = "sentiment_calibration.json"


def start_run(home: Path, env: dict[str, str]) -> subprocess.Popen:
    """`webcare run --home home` in its own process group, output as text lines."""
    return subprocess.Popen(
        [WEBCARE, "run", "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )


def kill_at(home: Path, marker: str, env: dict[str, str]) -> str:
    """Run until a line containing `marker` appears, then SIGKILL the whole process tree.

    Returns the output up to the kill; fails if the run ended without reaching `marker`.
    """
    process = start_run(home, env)
    seen = []
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        if marker in line:
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    output = "".join(seen)
    assert marker in output, f"the run ended before {marker!r}:\n{output[-3000:]}"
    assert process.returncode == -signal.SIGKILL
    return output


def finish(process: subprocess.Popen, timeout: float = 420) -> str:
    """Wait for a run; its output. A run that hangs fails the test instead of the suite."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"webcare run hung for {timeout} s:\n{output[-3000:]}")
    assert process.returncode == 0, output[-5000:]
    return output


def published_marts(home: Path) -> list[str]:
    with duckdb.connect(str(home / "published" / "warehouse.duckdb"), read_only=True) as conn:
        return [
            mart for (mart,) in conn.execute("select mart from _publication order by 1").fetchall()
        ]


def assert_same_marts(home: Path, reference: Path) -> None:
    """Every published mart of `home` equals the reference's, row for row (EXCEPT ALL both ways).

    Floating-point columns are compared to 9 decimals: a mean or correlation that a
    parallel aggregate adds up in another order may differ in its last bits."""
    marts = published_marts(reference)
    assert published_marts(home) == marts
    with duckdb.connect() as conn:
        conn.execute(f"attach '{home / 'published' / 'warehouse.duckdb'}' as got (read_only)")
        conn.execute(f"attach '{reference / 'published' / 'warehouse.duckdb'}' as ref (read_only)")
        for mart in marts:
            columns = ", ".join(
                f'round("{name}", 9)' if kind in ("DOUBLE", "FLOAT") else f'"{name}"'
                for name, kind in conn.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_catalog = 'ref' and table_schema = 'marts' and table_name = ? "
                    "order by ordinal_position",
                    [mart],
                ).fetchall()
            )
            extra = {
                a: conn.execute(
                    f"select * from (select {columns} from {a}.marts.{mart} "
                    f"except all select {columns} from {b}.marts.{mart}) limit 5"
                ).fetchall()
                for a, b in (("got", "ref"), ("ref", "got"))
            }
            assert extra == {"got": [], "ref": []}, f"{mart}: rows only in one (first 5): {extra}"


@pytest.fixture
def env(model_cache_dir: Path) -> dict[str, str]:
    """The environment of the `webcare run` processes: the shared model cache."""
    return {**os.environ, "WEBCARE_MODEL_CACHE_DIR": str(model_cache_dir)}


def test_a_run_killed_at_scoring_dbt_and_publish_never_blocks_the_next(
    demo_run_home, tmp_path, env
):
    """Each kill -9 leaves a Dagster run holding the warehouse slot; the next run frees it,
    says so in one line, gets past the point where the previous one died, and the last one
    publishes marts equal to the uninterrupted run's (the shared demo home's)."""
    home = tmp_path / "home"
    shutil.copytree(demo_run_home / "landing", home / "landing")
    # The same key, so the same people get the same pseudonyms in both homes, and the
    # same sentiment calibration (the demo home's, from its labelled sample).
    shutil.copy2(demo_run_home / KEY_FILE_NAME, home / KEY_FILE_NAME)
    shutil.copy2(demo_run_home / CALIBRATION, home / CALIBRATION)
    kill_at(home, "new texts to score", env)
    during_dbt = kill_at(home, "Running dbt command", env)
    assert RECOVERED in during_dbt
    during_publish = kill_at(home, "publishing 16 marts", env)
    assert RECOVERED in during_publish

    last = finish(start_run(home, env))
    assert RECOVERED in last
    assert_same_marts(home, demo_run_home)
    instance = open_instance(Settings.from_env(home))
    failed = instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
    assert sorted(r.dagster_run.job_name for r in failed) == [
        "load_and_score",
        "publish_marts",
        "publish_marts",
    ]
    stuck = instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    assert stuck == []


READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import duckdb
    published, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    reads, errors, counts = 0, [], set()
    while not stop.exists():
        try:
            # A fresh database per read, as a BI tool opening the file anew.
            with duckdb.connect() as conn:
                conn.execute(f"attach '{published / 'warehouse.duckdb'}' as snap (read_only)")
                rows = conn.execute(
                    "select count(*) from snap.marts.fct_sentiment_monthly"
                ).fetchone()[0]
                files = conn.execute(
                    "select count(*), count(distinct filename), max(filename) "
                    "from read_parquet(?, filename = true, union_by_name = true)",
                    [str(published / "marts" / "fct_sentiment_monthly*.parquet")],
                ).fetchone()
                globbed = conn.execute(
                    "select count(*) from glob(?)", [str(published / "marts" / "*.parquet")]
                ).fetchone()[0]
            counts.add((rows, files[0], files[1], globbed))
            reads += 1
        except Exception as error:  # every failure is the finding
            errors.append(f"{type(error).__name__}: {error}")
        time.sleep(0.05)
    out.write_text(json.dumps({"reads": reads, "errors": errors, "counts": sorted(counts)}))
    """
)


def test_two_runs_at_once_are_serialised_and_readers_never_see_a_half_publish(
    own_demo_home, tmp_path, env
):
    """Two `webcare run` on one home: the second waits for the first (one line), neither
    publish overlaps the other, and a BI reader polling the snapshot and the Parquet folder
    all the while gets no error and never sees a mart twice."""
    home = own_demo_home
    stop, out = tmp_path / "stop", tmp_path / "reads.json"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(home / "published"), str(stop), str(out)], env=env
    )
    started = time.time()
    first = start_run(home, env)
    time.sleep(1.0)
    second = start_run(home, env)
    outputs = [finish(first), finish(second)]
    stop.touch()
    reader.wait(timeout=60)

    assert sum("waiting for webcare run (pid" in output for output in outputs) == 1
    instance = open_instance(Settings.from_env(home))
    publishes = sorted(
        (record.start_time, record.end_time)
        for record in instance.get_run_records(filters=dg.RunsFilter(job_name="publish_marts"))
        if record.start_time and record.start_time >= started
    )
    assert len(publishes) == 2
    assert publishes[0][1] <= publishes[1][0], "the two publish runs overlapped"

    reads = json.loads(out.read_text())
    assert reads["errors"] == []
    assert reads["reads"] > 20
    rows = published_row_count(home, "fct_sentiment_monthly")
    # Every read saw the whole mart once: the same rows in the snapshot and in one
    # Parquet file, and one file per mart in the folder.
    assert {tuple(c[:3]) for c in reads["counts"]} == {(rows, rows, 1)}
    assert {c[3] for c in reads["counts"]} == {len(published_marts(home))}


def published_row_count(home: Path, mart: str) -> int:
    with duckdb.connect(str(home / "published" / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute("select row_count from _publication where mart = ?", [mart]).fetchone()[
            0
        ]
