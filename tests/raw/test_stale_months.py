"""Months that lost landing files are run again: by `webcare run` and by the landing sensor.

Also: months before the first partition are run as the first partition, which
records their rows as refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest

from assets.raw.landing import index_landing
from orchestration.commands import CommandError, months_to_run, select_months
from orchestration.jobs import build_jobs
from orchestration.schedules import build_landing_sensor
from warehouse.settings import Settings

HEADER = "response_id,brand,answered_at,score\n"


def _month(day: str) -> str:
    return HEADER + f"r-{day},bankx,{day}T10:00:00,8\n"


def test_run_reloads_the_months_that_lost_files(
    settings: Settings, land: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    land("nps_responses/demo/2010-03/a.csv", _month("2010-03-02"))
    land("nps_responses/demo/2010-04/b.csv", _month("2010-04-02"))
    land("mentions/demo/2010-04/m.csv", "mention_id,platform,created_at,author_id,text\n")
    index_landing(settings)
    for name in ("nps_responses/demo/2010-04/b.csv", "nps_responses/demo/2010-03/a.csv"):
        (settings.landing_path / name).unlink()
    land("nps_responses/demo/2010-02/c.csv", _month("2010-02-02"))
    capsys.readouterr()

    assert months_to_run(index_landing(settings), None, settings) == [
        "2010-02",
        "2010-03",
        "2010-04",
    ]
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "Reloading 2010-03: landing files removed or changed since its last load "
        "(nps_responses/demo/2010-03/a.csv); it is rebuilt from the files left",
        "Reloading 2010-04: landing files removed or changed since its last load "
        "(nps_responses/demo/2010-04/b.csv); it is rebuilt from the files left",
    ]
    assert err.splitlines() == [
        "Warning: mentions/demo/2010-04/m.csv: holds a header but no rows; nothing is loaded "
        "from it (remove it if the export should have had rows)"
    ]
    # A month left out by --months is not reloaded, and not said to be.
    assert months_to_run(index_landing(settings), "2010-02:2010-03", settings) == [
        "2010-02",
        "2010-03",
    ]
    assert "Reloading 2010-04" not in capsys.readouterr().out


def test_run_names_the_files_when_nothing_can_be_loaded(
    settings: Settings, land: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    land("complaints/imports/export.csv.gz", "").write_bytes(b"complaint_id,brand\n")
    with pytest.raises(CommandError, match="no landed file can be loaded; fix or remove"):
        months_to_run(index_landing(settings), None, settings)
    assert capsys.readouterr().err.splitlines() == [
        "webcare run: complaints/imports/export.csv.gz: is not a readable gzip file (Not a "
        "gzipped file (b'co')); land it again whole, or without .gz if it is not compressed"
    ]


def test_months_before_the_first_partition_run_as_the_first(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert settings.first_month == "2010-01"
    assert select_months(["2009-11", "2009-12", "2010-02"], None, settings) == [
        "2010-01",
        "2010-02",
    ]
    assert capsys.readouterr().err.strip() == (
        "2 landed month(s) (2009-11..2009-12) lie before the first partition 2010-01: their "
        "rows are recorded as refused in raw.rejected_rows under 2010-01; set "
        "WEBCARE_FIRST_MONTH=2009-11 to load them"
    )
    with pytest.raises(CommandError) as error:
        select_months(["2009-12"], None, settings)
    assert str(error.value) == (
        "every landed month (2009-12..2009-12) is before 2010-01, the first partition; set "
        "WEBCARE_FIRST_MONTH=2009-12 to load them"
    )


def _tick(sensor: dg.SensorDefinition, settings: Settings, cursor: str | None) -> object:
    context = dg.build_sensor_context(cursor=cursor, resources={"settings": settings})
    return sensor(context)


def test_the_sensor_asks_for_stale_months_until_they_are_reloaded(
    settings: Settings, land: Callable[..., Path]
) -> None:
    jobs = build_jobs()
    sensor = build_landing_sensor(jobs["monthly_research"], jobs["load_reference"])
    land("nps_responses/demo/2010-03/a.csv", _month("2010-03-02"))
    gone = land("nps_responses/demo/2010-04/b.csv", _month("2010-04-02"))
    land("nps_responses/demo/2009-12/old.csv", _month("2009-12-02"))
    first = _tick(sensor, settings, None)
    # 2009-12 has no partition: the first one (2010-01) records its rows as refused.
    assert [r.partition_key for r in first.run_requests] == ["2010-01", "2010-03", "2010-04"]

    # The removal is seen by another scan first (a `webcare run` that then failed).
    gone.unlink()
    index_landing(settings)
    second = _tick(sensor, settings, json.dumps({}))
    by_month = {r.partition_key: r for r in second.run_requests}
    assert sorted(by_month) == ["2010-01", "2010-03", "2010-04"]
    again = _tick(sensor, settings, second.cursor)
    # Until 2010-04 is written it is asked for, under the same run key (Dagster runs it once).
    assert [r.partition_key for r in again.run_requests] == ["2010-04"]
    assert again.run_requests[0].run_key == by_month["2010-04"].run_key


def test_the_sensor_starts_a_run_that_names_a_new_unreadable_export(
    settings: Settings, land: Callable[..., Path]
) -> None:
    jobs = build_jobs()
    sensor = build_landing_sensor(jobs["monthly_research"], jobs["load_reference"])
    land("nps_responses/demo/2010-03/a.csv", _month("2010-03-02"))
    land("nps_responses/demo/2010-04/b.csv", _month("2010-04-02"))
    first = _tick(sensor, settings, None)
    land("nps_responses/imports/bad.csv", "id;brand\n1;x\n")
    second = _tick(sensor, settings, first.cursor)
    # No month of its own: the latest month's run fails naming it.
    assert [r.partition_key for r in second.run_requests] == ["2010-04"]
