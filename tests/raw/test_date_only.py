"""Dates without a time stay on their calendar day (and month) in every reporting time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, time
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from warehouse.settings import Settings

NPS = dg.AssetKey(["raw", "nps_responses"])
COMPLAINTS = dg.AssetKey(["raw", "complaints"])
# The first and last day of a month are where a shifted day changes the month too.
NPS_CSV = "response_id,brand,answered_at,score\nfirst,bankx,2020-03-01,8\nlast,bankx,2020-03-31,9\n"
CFPB_CSV = (
    "Date received,Company,Submitted via,Complaint ID\n"
    "2020/3/1,ACME INC,Web,first\n"
    "3/31/2020,ACME INC,Web,last\n"
)


@pytest.mark.parametrize(
    "zone", ["America/Los_Angeles", "Europe/Amsterdam", "Pacific/Auckland"], ids=str
)
def test_date_only_values_keep_their_day_and_month(
    zone: str,
    settings: Settings,
    land: Callable[..., Path],
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    land("nps_responses/imports/nps.csv", NPS_CSV)
    land("complaints/imports/cfpb.csv", CFPB_CSV)
    # The source zone (Amsterdam) is left as it is: it does not decide a date's day.
    reporting = Settings.from_env(
        home=settings.home,
        reporting_timezone=zone,
    )
    materialise([NPS, COMPLAINTS], partition_key="2020-03", run_settings=reporting)
    stored = query(
        "select response_id, answered_at, partition_month from raw.nps_responses "
        "union all select complaint_id, received_at, partition_month from raw.complaints "
        "order by all"
    )
    local = [
        (name, utc.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)), month)
        for name, utc, month in stored
    ]
    assert [(name, moment.date(), moment.time(), month) for name, moment, month in local] == [
        ("first", date(2020, 3, 1), time(0), date(2020, 3, 1)),
        ("first", date(2020, 3, 1), time(0), date(2020, 3, 1)),
        ("last", date(2020, 3, 31), time(0), date(2020, 3, 1)),
        ("last", date(2020, 3, 31), time(0), date(2020, 3, 1)),
    ]
    assert query("select count(*) from raw.rejected_rows") == [(0,)]


def test_changing_the_reporting_zone_reparses_landed_dates(
    settings: Settings,
    land: Callable[..., Path],
    materialise: Callable[..., dg.ExecuteInProcessResult],
    query: Callable[..., list[tuple]],
) -> None:
    """The landing index keys its cache on the reporting zone: a cached parse is not reused."""
    land("nps_responses/imports/nps.csv", NPS_CSV)
    instants = []
    for zone in ("Pacific/Auckland", "America/Los_Angeles"):
        reporting = Settings.from_env(
            home=settings.home,
            reporting_timezone=zone,
        )
        materialise([NPS], partition_key="2020-03", run_settings=reporting)
        instants += query("select answered_at from raw.nps_responses where response_id = 'first'")
    # Midnight of 1 March: 11:00 UTC the day before in Auckland (NZDT), 08:00 UTC in LA (PST).
    assert [moment.isoformat() for (moment,) in instants] == [
        "2020-02-29T11:00:00",
        "2020-03-01T08:00:00",
    ]
