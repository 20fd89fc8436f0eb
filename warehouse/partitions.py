"""The monthly partition calendar, built from settings."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from warehouse.settings import Settings

MONTH_FORMAT = "%Y-%m"
# A month key as MONTH_FORMAT writes it: a partition key, a landing folder's name.
_MONTH_KEY = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# Dagster's run tags for one partition and for a range of partitions in one run.
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# Our run tags for the dbt step: the first month the run loaded (what the month-incremental
# marts rebuild from when no earlier build recorded its months, assets/dbt/incremental.py)
# and "true" for a full rebuild.
CHANGED_FROM_TAG = "webcare/changed_from_month"
FULL_REFRESH_TAG = "webcare/full_refresh"
# A month counts as covered to its end when a source's newest row lies in its last
# this many days (or later): a quiet source may skip a day or two at the end of a
# month (the small demo's mentions stop on 30 December), an export cut short stops
# days or weeks earlier (the twcs corpus on 3 December 2017).
COMPLETE_WITHIN_DAYS = 3


def monthly_partitions(settings: Settings) -> dg.MonthlyPartitionsDefinition:
    """Calendar months in the reporting time zone, keys ``YYYY-MM``.

    Up to the month of now + ``settings.max_future_days``: the loader accepts rows
    that far ahead (a clock a little fast, a time zone ahead), so their month
    must exist; anything later is refused at load and opens no partition.
    """
    return dg.MonthlyPartitionsDefinition(
        start_date=settings.first_month,
        fmt=MONTH_FORMAT,
        timezone=settings.reporting_timezone,
        # 1 = the current month; every started 28 days of tolerance may reach one more.
        end_offset=1 + math.ceil(settings.max_future_days / 28),
    )


def is_month_key(text: str) -> bool:
    """Whether `text` is a month key, ``YYYY-MM`` with a month from 01 to 12."""
    return _MONTH_KEY.fullmatch(text) is not None


def month_start(partition_key: str) -> date:
    """First day of the month of a ``YYYY-MM`` partition key."""
    year, month = partition_key.split("-")
    return date(int(year), int(month), 1)


def month_end(partition_key: str) -> date:
    """Last day of the month of a ``YYYY-MM`` partition key."""
    following = month_start(partition_key).replace(day=28) + timedelta(days=4)
    return following - timedelta(days=following.day)


def reporting_day(moment: datetime, timezone: str) -> date:
    """The day `moment` falls on in `timezone`; a naive moment is UTC, as the warehouse
    stores times."""
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(ZoneInfo(timezone)).date()


def covers_to_end(partition_key: str, newest: date) -> bool:
    """Whether a source whose newest row is on `newest` (a day in the reporting time
    zone) covers the month ``YYYY-MM`` to its end (`COMPLETE_WITHIN_DAYS`)."""
    return newest > month_end(partition_key) - timedelta(days=COMPLETE_WITHIN_DAYS)
