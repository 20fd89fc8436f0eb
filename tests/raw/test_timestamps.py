"""Timestamps: ISO 8601 with and without offsets, DST in Europe/Amsterdam, partition months."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from assets.raw.timestamps import (
    parse_date_as_local_midnight,
    parse_iso_timestamp,
    parse_strftime_timestamp,
    partition_month,
)

AMSTERDAM = "Europe/Amsterdam"


def _iso(values: list[str], timezone: str = AMSTERDAM) -> list[tuple[datetime | None, str | None]]:
    parsed = parse_iso_timestamp(pl.col("v"), "created_at", timezone, date_timezone=timezone)
    return list(parsed.evaluate(pl.DataFrame({"v": values})).iter_rows())


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2010-03-01T12:00:00Z", datetime(2010, 3, 1, 12)),
        ("2010-03-01T12:00:00+01:00", datetime(2010, 3, 1, 11)),
        ("2010-03-01T12:00:00-0500", datetime(2010, 3, 1, 17)),
        ("2010-03-01T12:00:00+02", datetime(2010, 3, 1, 10)),
        ("2010-03-01 12:00:00.250+00:00", datetime(2010, 3, 1, 12, 0, 0, 250000)),
        ("2010-03-01T12:00", datetime(2010, 3, 1, 11)),
        ("2010-07-01T12:00:00", datetime(2010, 7, 1, 10)),
        ("2010-03-18", datetime(2010, 3, 17, 23)),
    ],
)
def test_iso_timestamps_become_naive_utc(text: str, utc: datetime) -> None:
    assert _iso([text]) == [(utc, None)]


def test_unparsable_timestamp_has_a_readable_reason() -> None:
    assert _iso(["2010-13-45T10:00:00"]) == [
        (None, "created_at: cannot parse '2010-13-45T10:00:00' as an ISO 8601 timestamp")
    ]
    assert (
        _iso(["yesterday"])[0][1] == "created_at: cannot parse 'yesterday' as an ISO 8601 timestamp"
    )
    assert _iso(["2010-03-01T12:00:00+25:00"])[0][1] == (
        "created_at: offset in '2010-03-01T12:00:00+25:00' is out of range"
    )


def test_spring_gap_is_refused() -> None:
    """2010-03-28 02:00-03:00 does not exist in Amsterdam: clocks jump from 02:00 to 03:00."""
    rows = _iso(["2010-03-28T01:59:59", "2010-03-28T02:30:00", "2010-03-28T03:00:00"])
    assert rows[0] == (datetime(2010, 3, 28, 0, 59, 59), None)
    assert rows[1] == (
        None,
        "created_at: '2010-03-28T02:30:00' does not exist in Europe/Amsterdam "
        "(the clock jumps forward over that hour)",
    )
    assert rows[2] == (datetime(2010, 3, 28, 1, 0), None)


def test_ambiguous_october_hour_takes_the_earlier_instant() -> None:
    """2010-10-31 02:30 happens twice in Amsterdam; without an offset we read summer time."""
    rows = _iso(["2010-10-31T02:30:00", "2010-10-31T02:30:00+02:00", "2010-10-31T02:30:00+01:00"])
    assert rows[0] == (datetime(2010, 10, 31, 0, 30), None)
    assert rows[1] == (datetime(2010, 10, 31, 0, 30), None)
    assert rows[2] == (datetime(2010, 10, 31, 1, 30), None)


def test_partition_month_is_the_reporting_time_zone_month() -> None:
    frame = pl.DataFrame(
        {
            "utc": [
                datetime(2010, 3, 31, 21, 59),
                datetime(2010, 3, 31, 22, 0),
                datetime(2010, 12, 31, 23, 0),
            ]
        }
    )
    months = frame.select(partition_month(pl.col("utc"), AMSTERDAM)).to_series().to_list()
    # 22:00 UTC on 31 March is midnight of 1 April in summer time.
    assert months == [date(2010, 3, 1), date(2010, 4, 1), date(2011, 1, 1)]


def test_twitter_timestamp_and_cfpb_dates() -> None:
    twitter = parse_strftime_timestamp(
        pl.col("v"), "created_at", "%a %b %d %H:%M:%S %z %Y", "Tue Oct 31 22:10:47 +0000 2017"
    )
    rows = twitter.evaluate(pl.DataFrame({"v": ["Tue Oct 31 22:10:47 +0000 2017", "31/10/2017"]}))
    assert rows.row(0) == (datetime(2017, 10, 31, 22, 10, 47), None)
    assert rows.row(1)[1] == (
        "created_at: cannot parse '31/10/2017' as a timestamp like 'Tue Oct 31 22:10:47 +0000 2017'"
    )

    cfpb = parse_date_as_local_midnight(
        pl.col("v"), "Date received", ("%Y/%m/%d", "%m/%d/%Y"), "YYYY/M/D or M/D/YYYY", AMSTERDAM
    )
    rows = pl.DataFrame({"v": ["2020/3/18", "07/04/2015", "2020/13/1"]}).select(
        cfpb.value, cfpb.error
    )
    assert rows.row(0) == (datetime(2020, 3, 17, 23), None)
    assert rows.row(1) == (datetime(2015, 7, 3, 22), None)
    assert rows.row(2) == (
        None,
        "Date received: cannot parse '2020/13/1' as a date (YYYY/M/D or M/D/YYYY)",
    )


def test_a_date_alone_starts_its_day_in_the_date_time_zone() -> None:
    """Offset-less date-times stay in the source zone; a date alone starts in the other one."""
    parsed = parse_iso_timestamp(
        pl.col("v"), "answered_at", AMSTERDAM, date_timezone="America/Los_Angeles"
    )
    rows = parsed.evaluate(
        pl.DataFrame({"v": ["2020-03-18", "2020-03-18T00:00", "2020-03-18Z"]})
    ).rows()
    assert rows == [
        (datetime(2020, 3, 18, 7), None),
        (datetime(2020, 3, 17, 23), None),
        (datetime(2020, 3, 18), None),
    ]


def test_a_day_whose_midnight_is_skipped_starts_when_the_clock_resumes() -> None:
    """Chile moved its clocks from 00:00 to 01:00 on 8 September 2019; Samoa skipped 30 Dec 2011."""
    chile = parse_iso_timestamp(
        pl.col("v"), "answered_at", AMSTERDAM, date_timezone="America/Santiago"
    )
    assert chile.evaluate(pl.DataFrame({"v": ["2019-09-07", "2019-09-08"]})).rows() == [
        (datetime(2019, 9, 7, 4), None),
        (datetime(2019, 9, 8, 4), None),
    ]
    samoa = parse_date_as_local_midnight(
        pl.col("v"), "Date received", ("%Y/%m/%d",), "YYYY/M/D", "Pacific/Apia"
    )
    assert samoa.evaluate(pl.DataFrame({"v": ["2011/12/30"]})).rows() == [
        (
            None,
            "Date received: '2011/12/30' is a day Pacific/Apia skipped (the clock jumped over it)",
        )
    ]
