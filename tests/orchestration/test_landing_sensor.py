"""The landing sensor asks for the research run of every month whose files are new or changed."""

import json

import dagster as dg

from demo import generate
from orchestration.jobs import build_jobs
from orchestration.schedules import build_landing_sensor
from warehouse.settings import Settings


def _tick(sensor, settings, cursor):
    context = dg.build_sensor_context(cursor=cursor, resources={"settings": settings})
    return sensor(context)


def test_sensor_requests_new_months_once_and_changed_months_again(tmp_path):
    settings = Settings.from_env(tmp_path)
    generate(settings.landing_path, tmp_path / "truth.json", seed=3, size="small", months=3)
    jobs = build_jobs()
    sensor = build_landing_sensor(jobs["monthly_research"], jobs["load_reference"])

    first = _tick(sensor, settings, None)
    research = [r for r in first.run_requests if r.job_name == "monthly_research"]
    assert [r.partition_key for r in research] == ["2010-01", "2010-02", "2010-03"]
    assert [r.job_name for r in first.run_requests].count("load_reference") == 1

    second = _tick(sensor, settings, first.cursor)
    assert isinstance(second, dg.SkipReason)

    late = settings.landing_path / "mentions" / "late" / "late-delivery.csv"
    late.parent.mkdir(parents=True)
    late.write_text(
        "mention_id,platform,created_at,author_id,text\n"
        "late-1,twitter,2010-02-10T12:00:00+01:00,someone,Waar blijft mijn pas?\n"
    )
    third = _tick(sensor, settings, first.cursor)
    assert [r.partition_key for r in third.run_requests] == ["2010-02"]
    assert third.run_requests[0].run_key != research[1].run_key
    assert json.loads(third.cursor)["mentions/late/late-delivery.csv"]["months"] == ["2010-02"]

    late.write_text(late.read_text() + "late-2,twitter,2010-03-01T09:00:00+01:00,other,Top!\n")
    fourth = _tick(sensor, settings, third.cursor)
    assert sorted(r.partition_key for r in fourth.run_requests) == ["2010-02", "2010-03"]

    late.unlink()
    fifth = _tick(sensor, settings, fourth.cursor)
    assert sorted(r.partition_key for r in fifth.run_requests) == ["2010-02", "2010-03"]
    assert "mentions/late/late-delivery.csv" not in json.loads(fifth.cursor)
