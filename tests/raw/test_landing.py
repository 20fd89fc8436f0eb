"""The landing index: months per file, problems, and a cache that avoids re-parsing."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from assets.raw.landing import INDEX_FILE, index_landing
from warehouse.settings import Settings

NPS_HEADER = "response_id,brand,answered_at,score\n"


def test_months_files_and_problems(settings: Settings, land: Callable[..., Path]) -> None:
    land(
        "nps_responses/demo/2010-03/a.csv",
        NPS_HEADER + "a1,b,2010-03-31T23:30:00,8\na2,b,2010-04-01T00:30:00,9\n",
    )
    land("nps_responses/demo/2010-05/b.csv", NPS_HEADER + "b1,b,never,8\n")
    land("nps_responses/imports/c.csv", NPS_HEADER + "c1,b,,8\n")
    land("nps_responses/demo/2010-06/broken.csv.gz", "").write_bytes(b"not gzip at all")
    land("nps_responses/demo/2010-06/.hidden.csv", "ignored")
    land("nps_responses/demo/2010-06/notes.txt", "ignored")
    land("nps_responses/demo/2010-03/a.csv.webcare.json", '{"format": "canonical"}')
    land("brands/brands.csv", "brand\nbankx\n")

    index = index_landing(settings)
    files = {f.relative_path: f for f in index.files_for("nps_responses")}
    assert sorted(files) == [
        "nps_responses/demo/2010-03/a.csv",
        "nps_responses/demo/2010-05/b.csv",
        "nps_responses/demo/2010-06/broken.csv.gz",
        "nps_responses/imports/c.csv",
    ]
    assert files["nps_responses/demo/2010-03/a.csv"].months == ("2010-03", "2010-04")
    assert files["nps_responses/demo/2010-03/a.csv"].format == "canonical"
    assert files["nps_responses/demo/2010-05/b.csv"].months == ("2010-05",)
    broken = files["nps_responses/demo/2010-06/broken.csv.gz"]
    assert broken.months == ("2010-06",)
    assert broken.problem is not None
    assert broken.problem.startswith(
        "nps_responses/demo/2010-06/broken.csv.gz: is not a readable gzip"
    )
    undatable = files["nps_responses/imports/c.csv"]
    assert undatable.months == ()
    assert "belongs to no month" in (undatable.problem or "")
    assert {f.relative_path for f in index.problems()} == {
        broken.relative_path,
        undatable.relative_path,
    }

    assert index.months("nps_responses") == ["2010-03", "2010-04", "2010-05", "2010-06"]
    assert [f.relative_path for f in index.files_for("nps_responses", "2010-04")] == [
        "nps_responses/demo/2010-03/a.csv"
    ]
    assert [f.relative_path for f in index.files_for("brands")] == ["brands/brands.csv"]
    assert index.files_for("brands")[0].months == ()


def test_unchanged_files_are_not_parsed_again(
    settings: Settings, land: Callable[..., Path]
) -> None:
    path = land("nps_responses/demo/2010-03/a.csv", NPS_HEADER + "a1,b,2010-03-02T10:00:00,8\n")
    first = index_landing(settings, ["nps_responses"])
    fingerprint = first.month_fingerprint("nps_responses", "2010-03")

    # Plant a value in the cache that parsing would never produce: if the index
    # returns it, the file was not parsed again.
    cache_path = settings.state_path / INDEX_FILE
    cache = json.loads(cache_path.read_text())
    cache["files"]["nps_responses/demo/2010-03/a.csv"]["months"] = ["1999-01"]
    cache_path.write_text(json.dumps(cache))
    assert index_landing(settings, ["nps_responses"]).months() == ["1999-01"]

    # Touching the file without changing its content costs a hash, not a parse.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    touched = index_landing(settings, ["nps_responses"])
    assert touched.months() == ["1999-01"]
    assert touched.files_for("nps_responses")[0].mtime_ns == stat.st_mtime_ns + 5_000_000_000

    # New content is parsed again and changes the month's fingerprint.
    land("nps_responses/demo/2010-03/a.csv", NPS_HEADER + "a1,b,2010-03-02T10:00:00,9\n")
    changed = index_landing(settings, ["nps_responses"])
    assert changed.months() == ["2010-03"]
    assert changed.month_fingerprint("nps_responses", "2010-03") != fingerprint

    # A sidecar changes how the file is read, so it is parsed again too.
    land("nps_responses/demo/2010-03/a.csv.webcare.json", '{"format": "nope"}')
    with_sidecar = index_landing(settings, ["nps_responses"])
    problem = with_sidecar.files_for("nps_responses")[0].problem or ""
    assert "format 'nope' is not a format of nps_responses" in problem

    path.unlink()
    assert index_landing(settings, ["nps_responses"]).files_for("nps_responses") == []
    assert json.loads(cache_path.read_text())["files"] == {}


def test_keep_parsed_hands_over_files_parsed_while_indexing(
    settings: Settings, land: Callable[..., Path]
) -> None:
    land("nps_responses/demo/2010-03/a.csv", NPS_HEADER + "a1,b,2010-03-02T10:00:00,8\n")
    index = index_landing(settings, ["nps_responses"], keep_parsed=True)
    assert list(index.parsed) == ["nps_responses/demo/2010-03/a.csv"]
    assert index.parsed["nps_responses/demo/2010-03/a.csv"].rows.height == 1
    assert index_landing(settings, ["nps_responses"], keep_parsed=True).parsed == {}
