"""The monthly partition calendar, built from settings."""

from __future__ import annotations

from datetime import date

import dagster as dg

from orchestration.settings import Settings

MONTH_FORMAT = "%Y-%m"


def monthly_partitions(settings: Settings) -> dg.MonthlyPartitionsDefinition:
    """Calendar months in the reporting time zone, keys ``YYYY-MM``, up to the current month."""
    return dg.MonthlyPartitionsDefinition(
        start_date=settings.first_month,
        fmt=MONTH_FORMAT,
        timezone=settings.reporting_timezone,
        end_offset=1,
    )


def month_start(partition_key: str) -> date:
    """First day of the month of a ``YYYY-MM`` partition key."""
    year, month = partition_key.split("-")
    return date(int(year), int(month), 1)


def month_key(day: date) -> str:
    """The ``YYYY-MM`` partition key of the month containing `day`."""
    return f"{day.year:04d}-{day.month:02d}"
