"""The monthly partition calendar, built from settings."""

from __future__ import annotations

import math
import re
from datetime import date

import dagster as dg

from warehouse.settings import Settings

MONTH_FORMAT = "%Y-%m"
# A month key as MONTH_FORMAT writes it: a partition key, a landing folder's name.
MONTH_KEY = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# Dagster's run tags for one partition and for a range of partitions in one run.
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# Our run tags for the dbt step: the first month the run loaded (what the month-incremental
# marts rebuild from when no earlier build recorded its months, assets/dbt/incremental.py)
# and "true" for a full rebuild.
CHANGED_FROM_TAG = "webcare/changed_from_month"
FULL_REFRESH_TAG = "webcare/full_refresh"


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
    return MONTH_KEY.fullmatch(text) is not None


def month_start(partition_key: str) -> date:
    """First day of the month of a ``YYYY-MM`` partition key."""
    year, month = partition_key.split("-")
    return date(int(year), int(month), 1)
