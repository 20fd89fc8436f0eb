"""Landing files that used to vanish or be counted wrong: each fails by name, warns or is reloaded.

Unreadable files outside a month folder, header-only files, removed files (stale
months), byte-for-byte copies, files rewritten while they are read, rows before
the first partition, files the operating system will not let us read, and
YAML aliases.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

import assets.raw.landing as landing_module
from assets.raw.errors import LandingFileError
from assets.raw.landing import INDEX_FILE, index_landing
from assets.raw.readers import read_landed_file
from warehouse.settings import Settings

NPS = dg.AssetKey(["raw", "nps_responses"])
HEADER = "response_id,brand,answered_at,score\n"
MARCH = "a1,bankx,2010-03-02T10:00:00,8\na2,bankx,2010-03-03T10:00:00,7\n"
APRIL = "b1,bankx,2010-04-02T10:00:00,9\nb2,bankx,2010-04-03T10:00:00,42\n"


@pytest.fixture
def lenient(settings: Settings) -> Settings:
    """The test home with a 50% reject threshold, for files that plant a refused row."""
    return Settings.from_env(home=settings.home, reject_threshold=0.5)


def _failure(result: dg.ExecuteInProcessResult) -> str:
    [event] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return event.step_failure_data.user_failure_data.description


def _warnings(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> list[str]:
    return [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if entry.level == 30  # logging.WARNING
    ]


def test_an_unreadable_file_outside_a_month_folder_fails_every_load_of_its_source(
    settings: Settings,
    land: Callable[..., Path],
    materialise: Callable[..., dg.ExecuteInProcessResult],
) -> None:
    land("nps_responses/demo/2010-03/a.csv", HEADER + MARCH)
    land("nps_responses/imports/export.csv", "response_id;brand;answered_at;score\nx;b;;1\n")

    index = index_landing(settings, ["nps_responses"])
    assert [f.relative_path for f in index.unplaced()] == ["nps_responses/imports/export.csv"]
    assert index.months() == ["2010-03"]

    result = materialise([NPS], partition_key="2010-03", raise_on_error=False)
    assert not result.success
    description = _failure(result)
    assert description.splitlines()[0] == "raw/nps_responses failed; nothing was written."
    assert description.splitlines()[1].startswith(
        "nps_responses/imports/export.csv: cannot tell which nps_responses format this is; "
        "columns seen: response_id;brand;answered_at;score."
    )
    assert description.splitlines()[1].endswith(
        "The whole header is one column containing ';', so the file looks ';'-separated; "
        "export it with ',' as the separator"
    )
    assert not Path(settings.duckdb_path).exists()


def test_a_problem_with_a_line_is_named_once(
    settings: Settings,
    land: Callable[..., Path],
    materialise: Callable[..., dg.ExecuteInProcessResult],
) -> None:
    land("nps_responses/demo/2010-03/a.csv", HEADER + MARCH)
    land("nps_responses/demo/2010-03/quote.csv", HEADER + 'q1,bankx,"2010-03-02,8\n')
    result = materialise([NPS], partition_key="2010-03", raise_on_error=False)
    assert _failure(result).splitlines()[1] == (
        'nps_responses/demo/2010-03/quote.csv, line 2: has a quote (") that is never closed: '
        "the record starting here runs to the end of the file; close or remove the quote"
    )


def _empty_parquet() -> bytes:
    buffer = io.BytesIO()
    columns = HEADER.strip().split(",")
    pl.DataFrame(schema={column: pl.String for column in columns}).write_parquet(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("header-only.csv", HEADER),
        ("blank-lines.csv", HEADER + "\n\n"),
        ("no-rows.parquet", _empty_parquet()),
    ],
)
def test_a_file_with_a_header_but_no_rows_is_a_warning(
    settings: Settings,
    land: Callable[..., Path],
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
    name: str,
    content: str | bytes,
) -> None:
    land("nps_responses/demo/2010-03/a.csv", HEADER + MARCH)
    land(f"nps_responses/imports/{name}", content)
    assert [f.relative_path for f in index_landing(settings).empty_files()] == [
        f"nps_responses/imports/{name}"
    ]
    instance = dg.DagsterInstance.ephemeral()
    result = materialise([NPS], partition_key="2010-03", instance=instance)
    assert result.success
    assert (
        f"nps_responses/imports/{name}: holds a header but no rows; nothing is loaded from it "
        "(remove it if the export should have had rows)"
    ) in _warnings(instance, result)
    assert query("select count(*) from raw.nps_responses") == [(2,)]


def test_an_empty_file_is_an_error_wherever_it_lands(
    settings: Settings, land: Callable[..., Path]
) -> None:
    land("nps_responses/imports/empty.csv", "")
    land("nps_responses/demo/2010-03/empty.jsonl", "\n\n")
    problems = {f.relative_path: f.problem for f in index_landing(settings).problems()}
    assert problems == {
        "nps_responses/demo/2010-03/empty.jsonl": "nps_responses/demo/2010-03/empty.jsonl: the "
        "file is empty; a file must hold a header and rows",
        "nps_responses/imports/empty.csv": "nps_responses/imports/empty.csv: the file is empty; "
        "a file must hold a header and rows",
    }


def test_a_removed_file_leaves_its_months_stale_until_they_are_written(
    land: Callable[..., Path],
    lenient: Settings,
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    land("nps_responses/demo/2010-03/a.csv", HEADER + MARCH)
    april = land("nps_responses/demo/2010-04/b.csv", HEADER + APRIL)
    for month in ("2010-03", "2010-04"):
        materialise([NPS], partition_key=month, run_settings=lenient)
    assert query("select line, reason from raw.rejected_rows") == [
        (3, "score: 42 is outside 0..10")
    ]

    april.unlink()
    first = index_landing(lenient)
    assert first.stale == {"nps_responses": {"2010-04": ("nps_responses/demo/2010-04/b.csv",)}}
    assert first.months() == ["2010-03"]
    # A scan that reloads nothing (the sensor's, a failed run's) does not forget it.
    assert index_landing(lenient, ["nps_responses"]).stale_months() == ["2010-04"]

    materialise([NPS], partition_key="2010-04", run_settings=lenient)
    assert query(
        "select strftime(partition_month, '%Y-%m'), count(*) from raw.nps_responses group by 1"
    ) == [("2010-03", 2)]
    assert query("select count(*) from raw.rejected_rows") == [(0,)]
    assert index_landing(lenient).stale == {}


def test_a_file_that_no_longer_touches_a_month_leaves_it_stale(
    settings: Settings, land: Callable[..., Path]
) -> None:
    land("nps_responses/imports/a.csv", HEADER + MARCH + APRIL)
    assert index_landing(settings).months() == ["2010-03", "2010-04"]
    land("nps_responses/imports/a.csv", HEADER + MARCH)
    index = index_landing(settings)
    assert index.months() == ["2010-03"]
    assert index.stale == {"nps_responses": {"2010-04": ("nps_responses/imports/a.csv",)}}


def test_stale_months_of_a_folder_that_cannot_be_listed_are_not_assumed_removed(
    settings: Settings, land: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    land("nps_responses/demo/2010-04/b.csv", HEADER + APRIL)
    index_landing(settings)
    folder = settings.landing_path / "nps_responses" / "demo" / "2010-04"
    scandir = os.scandir

    def refusing(path: object = ".") -> object:
        # A fake: as root (CI containers) chmod cannot take away the right to list.
        if Path(os.fsdecode(path)) == folder:
            raise PermissionError(13, "Permission denied", str(folder))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    index = index_landing(settings)
    assert index.stale == {}
    [entry] = index.files_for("nps_responses")
    assert entry.relative_path == "nps_responses/demo/2010-04"
    assert entry.months == ("2010-04",)
    assert entry.problem == (
        "nps_responses/demo/2010-04: folder cannot be listed (Permission denied); give the "
        "webcare user access to it or move it out of the landing folder"
    )


def test_a_copy_of_a_file_records_its_refused_rows_once(
    land: Callable[..., Path],
    lenient: Settings,
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    land("nps_responses/imports/export.csv", HEADER + APRIL)
    land("nps_responses/imports/export (1).csv", HEADER + APRIL)
    materialise([NPS], partition_key="2010-04", run_settings=lenient)
    assert query("select response_id from raw.nps_responses") == [("b1",)]
    assert query("select file, line, reason from raw.rejected_rows") == [
        ("nps_responses/imports/export (1).csv", 3, "score: 42 is outside 0..10")
    ]


def test_a_file_rewritten_after_it_was_indexed_fails_as_changed(
    settings: Settings,
    land: Callable[..., Path],
    materialise: Callable[..., dg.ExecuteInProcessResult],
) -> None:
    path = land("nps_responses/demo/2010-03/a.csv", HEADER + MARCH)
    index_landing(settings)
    # Same size and mtime: the index trusts its cache, so only the bytes can tell.
    stat = path.stat()
    path.write_text(HEADER + MARCH.replace("8", "9"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = materialise([NPS], partition_key="2010-03", raise_on_error=False)
    assert _failure(result).splitlines()[1] == (
        "nps_responses/demo/2010-03/a.csv: changed while it was read; "
        "run again once the file is completely written"
    )
    assert not Path(settings.duckdb_path).exists()


def test_a_file_rewritten_while_it_is_indexed_is_not_remembered(
    settings: Settings, land: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = land("nps_responses/demo/2010-03/a.csv", HEADER + MARCH + APRIL)
    sha256 = landing_module._sha256

    def hash_then_rewrite(target: Path) -> str:
        # A fake writer: it truncates the export between the hash and the parse.
        digest = sha256(target)
        target.write_text(HEADER + MARCH)
        return digest

    monkeypatch.setattr(landing_module, "_sha256", hash_then_rewrite)
    [entry] = index_landing(settings).files_for("nps_responses")
    assert entry.problem == (
        "nps_responses/demo/2010-03/a.csv: changed while it was read; "
        "run again once the file is completely written"
    )
    assert entry.months == ("2010-03",)
    cache = json.loads((settings.state_path / INDEX_FILE).read_text())
    assert cache["files"] == {}

    monkeypatch.setattr(landing_module, "_sha256", sha256)
    [entry] = index_landing(settings).files_for("nps_responses")
    assert (entry.problem, entry.months, entry.records) == (None, ("2010-03",), 2)
    assert path.read_text() == HEADER + MARCH


def test_rows_before_the_first_partition_are_refused_in_the_first_one(
    settings: Settings,
    land: Callable[..., Path],
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    april_first = Settings.from_env(
        home=settings.home,
        first_month="2010-04",
        reject_threshold=0.4,
    )
    land("nps_responses/imports/a.csv", HEADER + MARCH + APRIL.replace("42", "4"))
    land(
        "nps_responses/demo/2010-03/b.csv",
        HEADER + "c1,bankx,,5\nc2,bankx,2010-03-05T10:00:00,6\nc3,bankx,2010-03-06T10:00:00,6\n",
    )
    # Half of a.csv lies before the first partition: outside the window, not
    # broken, so the 40% reject threshold does not fail the file.
    materialise([NPS], partition_key="2010-04", run_settings=april_first)
    assert query("select response_id from raw.nps_responses order by 1") == [("b1",), ("b2",)]

    def early(month_line: str) -> str:
        return (
            f"answered_at: {month_line} is before the first partition 2010-04 (setting "
            f"WEBCARE_FIRST_MONTH); set it to {month_line} or earlier to load this row"
        )

    assert query(
        "select file, line, \"column\", reason, strftime(partition_month, '%Y-%m') "
        "from raw.rejected_rows order by file, line"
    ) == [
        (
            "nps_responses/demo/2010-03/b.csv",
            2,
            "answered_at",
            "answered_at: required value is missing",
            "2010-04",
        ),
        ("nps_responses/demo/2010-03/b.csv", 3, "answered_at", early("2010-03"), "2010-04"),
        ("nps_responses/demo/2010-03/b.csv", 4, "answered_at", early("2010-03"), "2010-04"),
        ("nps_responses/imports/a.csv", 2, "answered_at", early("2010-03"), "2010-04"),
        ("nps_responses/imports/a.csv", 3, "answered_at", early("2010-03"), "2010-04"),
    ]
    [(record,)] = query(
        "select record::varchar from raw.rejected_rows where line = 2 and file like '%a.csv'"
    )
    assert json.loads(record) == {
        "response_id": "a1",
        "brand": "bankx",
        "answered_at": "2010-03-02T10:00:00",
        "score": "8",
    }


@pytest.mark.parametrize("relative", ["nps_responses/imports/a.csv", "brands/brands.csv"])
def test_a_file_that_cannot_be_read_is_named_and_not_remembered(
    settings: Settings,
    land: Callable[..., Path],
    materialise: Callable[..., dg.ExecuteInProcessResult],
    make_unreadable: Callable[[Path], None],
    relative: str,
) -> None:
    land("nps_responses/demo/2010-03/a.csv", HEADER + MARCH)
    path = land(relative, HEADER + MARCH if relative.startswith("nps") else "brand\nbankx\n")
    make_unreadable(path)
    problem = (
        f"{relative}: cannot be read (Permission denied); give the webcare user read access "
        "to it or move it out of the landing folder"
    )
    index = index_landing(settings)
    assert [f.problem for f in index.problems()] == [problem]
    assert json.loads((settings.state_path / INDEX_FILE).read_text())["files"].keys() == {
        "nps_responses/demo/2010-03/a.csv"
    }
    key = NPS if relative.startswith("nps") else dg.AssetKey(["raw", "brands"])
    result = materialise(
        [key], partition_key="2010-03" if key == NPS else None, raise_on_error=False
    )
    assert _failure(result).splitlines()[1:] == [problem]


def test_a_yaml_alias_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text(
        "- brand: bankx\n  handle: BankX\n  bio: &b [care]\n- brand: telco\n  handle: T\n"
        "  bio: *b\n"
    )
    with pytest.raises(LandingFileError) as error:
        read_landed_file(path, "webcare_accounts/accounts.yaml")
    assert str(error.value) == (
        "webcare_accounts/accounts.yaml, line 6: uses a YAML alias (*name), which is not "
        "allowed in landing files (a few aliases can expand to gigabytes); write the values "
        "out in full"
    )


def test_files_removed_before_an_index_upgrade_still_leave_their_months_stale(
    settings: Settings, land: Callable[..., Path]
) -> None:
    land("nps_responses/demo/2010-03/a.csv", HEADER + MARCH)
    # What version 2 of the index wrote for a file that has been removed since.
    cache = settings.state_path / INDEX_FILE
    cache.parent.mkdir(parents=True)
    old_record = {"relative_path": "nps_responses/imports/gone.csv", "months": ["2010-04"]}
    cache.write_text(
        json.dumps({"version": 2, "files": {"nps_responses/imports/gone.csv": old_record}})
    )
    index = index_landing(settings)
    assert index.months() == ["2010-03"]
    assert index.stale == {"nps_responses": {"2010-04": ("nps_responses/imports/gone.csv",)}}
