"""Exports that cannot be read fail by name wherever they land (issue 11, points 2, 3 and 7).

Thirteen kinds of unreadable export used to vanish without a word when they
landed outside a ``YYYY-MM`` folder (``landing/<source>/imports/``): exit 0,
no rows, nothing said. Each now fails the raw asset of its source with one
line naming the file (and the line where known) and what to do, exactly as
in a month folder. `webcare run` and `webcare ingest` exit 1 saying so; a
header-only file is a warning. A YAML alias bomb is refused within 1 GiB, and
a file the operating system will not let us read is named, not a traceback.

Every case runs against one loaded demo home (`demo_run_home`), landing the
bad file and putting landing and its index back afterwards: the asset of the
file's source is materialised on its own (a fraction of a second), and the
user-visible commands run once each.
"""

from __future__ import annotations

import gzip
import io
import os
import resource
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from assets.raw import build_raw_assets
from assets.raw.landing import INDEX_FILE
from orchestration import commands
from warehouse.partitions import monthly_partitions
from warehouse.resource import WarehouseResource
from warehouse.settings import Settings

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

WEBCARE = str(Path(sys.executable).with_name("webcare"))
NPS = dg.AssetKey(["raw", "nps_responses"])
HEADER = "response_id,brand,answered_at,score,comment\n"
ROWS = "x1,hanzebank,2010-02-03T10:00:00,8,Prima\nx2,tulpbank,2010-02-04T11:00:00,3,Traag\n"


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def _corrupt(data: bytes) -> bytes:
    flipped = bytearray(data)
    flipped[len(flipped) // 2] ^= 0xFF
    return bytes(flipped)


_GOOD_GZIP = _gzip((HEADER + ROWS * 50).encode())
_CANNOT_TELL = "cannot tell which nps_responses format this is; columns seen: "
_AGAIN_GZIP = "; land it again whole, or without .gz if it is not compressed"

# name -> (bytes, how the one line after the file name starts, how it ends)
BAD_FILES: dict[str, tuple[bytes, str, str]] = {
    "empty.csv": (b"", ": the file is empty; a file must hold a header and rows", ""),
    "semicolons.csv": (
        (HEADER + ROWS).replace(",", ";").encode(),
        f": {_CANNOT_TELL}response_id;brand;answered_at;score;comment.",
        "The whole header is one column containing ';', so the file looks ';'-separated; "
        "export it with ',' as the separator",
    ),
    "cp1252.csv": (
        (HEADER + "x1,hanzebank,2010-02-03T10:00:00,8,Café très lent\n").encode("cp1252"),
        ", line 2: is not valid UTF-8 (byte 0xe9); save the export as UTF-8",
        "",
    ),
    "invalid-utf8.csv": (
        (HEADER + "x1,hanzebank,2010-02-03T10:00:00,8,").encode() + b"\xff\xfe\n",
        ", line 2: is not valid UTF-8 (byte 0xff); save the export as UTF-8",
        "",
    ),
    "missing-column.csv": (
        b"response_id,brand,answered_at\nx1,hanzebank,2010-02-03T10:00:00\n",
        f": {_CANNOT_TELL}response_id, brand, answered_at.",
        "Missing required column(s) for the contract: score",
    ),
    "renamed-headers.csv": (
        b"id,merk,datum,cijfer\nx1,hanzebank,2010-02-03T10:00:00,8\n",
        f": {_CANNOT_TELL}id, merk, datum, cijfer.",
        "Missing required column(s) for the contract: answered_at, brand, response_id, score",
    ),
    "truncated.csv.gz": (
        _GOOD_GZIP[: len(_GOOD_GZIP) // 2],
        ": is not a readable gzip file (Compressed file ended before the end-of-stream marker "
        f"was reached){_AGAIN_GZIP}",
        "",
    ),
    "corrupt.csv.gz": (
        _corrupt(_GOOD_GZIP),
        ": is not a readable gzip file (",
        _AGAIN_GZIP,
    ),
    "plain-text.csv.gz": (
        (HEADER + ROWS).encode(),
        f": is not a readable gzip file (Not a gzipped file (b're')){_AGAIN_GZIP}",
        "",
    ),
    "wrong-schema.parquet": (
        _parquet(pl.DataFrame({"a": [1, 2], "b": ["x", "y"]})),
        f": {_CANNOT_TELL}a, b.",
        "Missing required column(s) for the contract: answered_at, brand, response_id, score",
    ),
    "a-csv.parquet": (
        (HEADER + ROWS).encode(),
        ": is not a readable Parquet file (",
        "; land it again whole, or name it for its real format (.csv, .jsonl)",
    ),
    "broken-first-line.jsonl": (
        b'{"response_id": "x1", "brand": \n'
        b'{"response_id": "x2", "brand": "tulpbank", "answered_at": "2010-02-04", "score": 3}\n',
        ", line 1: is not JSON Lines: line is not valid JSON (Expecting value at column 31)",
        "",
    ),
    "duplicate-header.csv": (
        (HEADER.strip() + ",score\nx1,hanzebank,2010-02-03T10:00:00,8,Prima,8\n").encode(),
        ", line 1: column 'score' appears twice in the header (columns 4 and 6)",
        "",
    ),
    "unbalanced-quote.csv": (
        (HEADER + 'x1,hanzebank,2010-02-03T10:00:00,8,"Prima\n' + ROWS.split("\n")[1]).encode(),
        ', line 2: has a quote (") that is never closed: the record starting here runs to the '
        "end of the file; close or remove the quote",
        "",
    ),
}


@contextmanager
def landed(home: Path, files: dict[str, bytes]) -> Iterator[list[Path]]:
    """Land `files` (relative to landing) for the block; then remove them and restore the index.

    The index would otherwise remember the months of a bad file in a month
    folder as stale, and the next test would reload them.
    """
    index = home / "state" / INDEX_FILE
    saved = index.read_bytes()
    paths = []
    try:
        for relative, data in files.items():
            path = home / "landing" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            paths.append(path)
        yield paths
    finally:
        for path in paths:
            path.chmod(0o644)
            path.unlink()
        index.write_bytes(saved)


def materialise_nps(home: Path, month: str = "2010-02") -> dg.ExecuteInProcessResult:
    """raw/nps_responses for one month of the home, in process (nothing else runs)."""
    settings = Settings.from_env(home)
    return dg.materialize(
        build_raw_assets(monthly_partitions(settings)),
        selection=dg.AssetSelection.assets(NPS),
        partition_key=month,
        resources={
            "warehouse": WarehouseResource(database=settings.duckdb_path),
            "settings": settings,
        },
        raise_on_error=False,
    )


def failure_lines(result: dg.ExecuteInProcessResult) -> list[str]:
    [event] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return event.step_failure_data.user_failure_data.description.splitlines()


def nps_state(home: Path) -> tuple[int, int]:
    """Rows of raw.nps_responses and its refused rows, to show nothing was written."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        rows = conn.execute("select count(*) from raw.nps_responses").fetchone()[0]
        refused = conn.execute(
            "select count(*) from raw.rejected_rows where source = 'nps_responses'"
        ).fetchone()[0]
    return rows, refused


def assert_names_the_file(lines: list[str], relative: str, name: str) -> None:
    _data, start, end = BAD_FILES[name]
    assert lines[0] == "raw/nps_responses failed; nothing was written."
    assert len(lines) == 2, lines
    assert lines[1].startswith(relative + start), lines[1]
    assert lines[1].endswith(end), lines[1]


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_export_in_imports_fails_its_source_naming_it(demo_run_home: Path, name: str) -> None:
    before = nps_state(demo_run_home)
    relative = f"nps_responses/imports/{name}"
    with landed(demo_run_home, {relative: BAD_FILES[name][0]}):
        result = materialise_nps(demo_run_home)
    assert not result.success
    assert_names_the_file(failure_lines(result), relative, name)
    assert nps_state(demo_run_home) == before


@pytest.mark.parametrize(
    "name", ["cp1252.csv", "truncated.csv.gz", "a-csv.parquet", "unbalanced-quote.csv"]
)
def test_the_same_bad_export_in_a_month_folder_fails_the_same_way(
    demo_run_home: Path, name: str
) -> None:
    before = nps_state(demo_run_home)
    relative = f"nps_responses/late/2010-02/{name}"
    with landed(demo_run_home, {relative: BAD_FILES[name][0]}):
        result = materialise_nps(demo_run_home)
    assert not result.success
    assert_names_the_file(failure_lines(result), relative, name)
    assert nps_state(demo_run_home) == before


def test_webcare_run_fails_naming_each_bad_export_and_warns_of_a_header_only_one(
    demo_run_home: Path, model_cache_env: None, capfd: pytest.CaptureFixture[str]
) -> None:
    bad = {
        "mentions/imports/cp1252.csv": (
            "mention_id,platform,created_at,author_id,text\n"
            "w1,twitter,2010-02-03T10:00:00,klant,Café\n"
        ).encode("cp1252"),
        "complaints/imports/export.csv.gz": BAD_FILES["truncated.csv.gz"][0],
        "nps_responses/imports/header-only.csv": HEADER.encode(),
    }
    with landed(demo_run_home, bad):
        status = commands.run(home=str(demo_run_home))
    out, err = capfd.readouterr()
    assert status == 1
    lines = err.splitlines()
    assert (
        "Warning: nps_responses/imports/header-only.csv: holds a header but no rows; nothing is "
        "loaded from it (remove it if the export should have had rows)"
    ) in lines
    failed = lines.index("FAILED raw__mentions: raw/mentions failed; nothing was written.")
    assert lines[failed + 1] == (
        "mentions/imports/cp1252.csv, line 2: is not valid UTF-8 (byte 0xe9); save the export "
        "as UTF-8"
    )
    failed = lines.index("FAILED raw__complaints: raw/complaints failed; nothing was written.")
    assert lines[failed + 1] == (
        "complaints/imports/export.csv.gz: is not a readable gzip file (Compressed file ended "
        f"before the end-of-stream marker was reached){_AGAIN_GZIP}"
    )
    assert "Traceback" not in out + err


CFPB = (
    "Date received,Product,Company,Submitted via,Timely response?,Complaint ID\n"
    '2/3/2010,Mortgage,"WELLS FARGO & COMPANY",Phone,Yes,9101\n'
    '2/5/2010,Debt collection,"ACME COLLECTIONS, INC.",Web,No,9102\n'
)


def _landing_files(home: Path, unreadable: Path) -> dict[str, bytes]:
    landing = home / "landing"
    return {
        path.relative_to(landing).as_posix(): b"" if path == unreadable else path.read_bytes()
        for path in sorted(landing.rglob("*"))
        if path.is_file()
    }


def _brands(home: Path) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute("select * exclude (_loaded_at) from raw.brands order by all").fetchall()


def test_a_failed_ingest_names_the_unreadable_file_and_leaves_landing_as_it_was(
    demo_run_home: Path,
    tmp_path: Path,
    model_cache_env: None,
    monkeypatch: pytest.MonkeyPatch,
    make_unreadable: Callable[[Path], None],
    capfd: pytest.CaptureFixture[str],
) -> None:
    export = tmp_path / "cfpb.csv"
    export.write_text(CFPB)
    locked = "complaints/imports/locked.csv"
    brands = _brands(demo_run_home)
    with landed(demo_run_home, {locked: b"complaint_id,brand,received_at,channel\n"}) as [path]:
        make_unreadable(path)
        before = _landing_files(demo_run_home, path)
        status = commands.ingest("complaints", "cfpb", [str(export)], home=str(demo_run_home))
        after = _landing_files(demo_run_home, path)
        monkeypatch.undo()
    out, err = capfd.readouterr()
    assert status == 1
    lines = err.splitlines()
    failed = lines.index("FAILED raw__complaints: raw/complaints failed; nothing was written.")
    assert lines[failed + 1] == (
        f"{locked}: cannot be read (Permission denied); give the webcare user read access to it "
        "or move it out of the landing folder"
    )
    # The export, its sidecar and the brands it implied are gone again, and so
    # are those brands from the warehouse.
    assert (
        "webcare ingest: landing is as it was before: removed complaints/imports/cfpb.csv, "
        "complaints/imports/cfpb.csv.webcare.json, brands/imports/cfpb-brands.csv"
    ) in lines
    assert "webcare ingest: raw.brands and raw.webcare_accounts reloaded from landing" in lines
    assert after == before
    assert _brands(demo_run_home) == brands
    assert "Traceback" not in out + err


def _bomb() -> str:
    """An accounts file of about 600 bytes whose aliases expand to 9**9 values."""
    lines = ["- brand: bomb", "  handle: a", '  bio: &a ["lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines += [
            f"- brand: bomb{level}",
            f"  handle: {name}",
            f"  bio: &{name} [{','.join([f'*{previous}'] * 9)}]",
        ]
    return "\n".join(lines) + "\n"


def _one_gib() -> None:
    # Well above what the command needs, far below what the expanded aliases would take.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


# Each thread reserves address space: a pool per core would not fit in 1 GiB on a big machine.
FEW_THREADS = {**os.environ, "POLARS_MAX_THREADS": "2", "OMP_NUM_THREADS": "1"}


BOMB_REFUSED = (
    "line 6: uses a YAML alias (*name), which is not allowed in landing files (a few aliases "
    "can expand to gigabytes); write the values out in full"
)


def test_a_yaml_alias_bomb_is_refused_by_ingest_within_one_gib(
    demo_run_home: Path, tmp_path: Path
) -> None:
    bomb = tmp_path / "accounts.yaml"
    bomb.write_text(_bomb())
    assert len(bomb.read_bytes()) < 700
    done = subprocess.run(
        [
            *(WEBCARE, "ingest", "--source", "webcare_accounts", "--format", "canonical"),
            *(str(bomb), "--home", str(demo_run_home)),
        ],
        capture_output=True,
        text=True,
        preexec_fn=_one_gib,
        env=FEW_THREADS,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr[-3000:]
    assert done.stderr.strip().splitlines()[-1] == f"webcare ingest: {bomb}, {BOMB_REFUSED}"
    assert not (demo_run_home / "landing" / "webcare_accounts" / "imports").exists()


LOAD_ACCOUNTS = """
import sys
import dagster as dg
from assets.raw import build_raw_assets
from warehouse.partitions import monthly_partitions
from warehouse.resource import WarehouseResource
from warehouse.settings import Settings

ACCOUNTS = (["raw", "webcare_accounts"], ["raw", "webcare_account_opening_hours"])
settings = Settings.from_env(sys.argv[1])
result = dg.materialize(
    build_raw_assets(monthly_partitions(settings)),
    selection=dg.AssetSelection.assets(*ACCOUNTS),
    resources={"warehouse": WarehouseResource(database=settings.duckdb_path), "settings": settings},
    raise_on_error=False,
)
[failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
print(failure.step_failure_data.user_failure_data.description)
"""


def test_a_yaml_alias_bomb_in_landing_fails_its_asset_within_one_gib(demo_run_home: Path) -> None:
    relative = "webcare_accounts/imports/bomb.yaml"
    with landed(demo_run_home, {relative: _bomb().encode()}):
        done = subprocess.run(
            [sys.executable, "-c", LOAD_ACCOUNTS, str(demo_run_home)],
            capture_output=True,
            text=True,
            preexec_fn=_one_gib,
            env=FEW_THREADS,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == [
        "raw/webcare_accounts failed; nothing was written.",
        f"{relative}, {BOMB_REFUSED}",
    ]
