"""Time arithmetic of the demo: local calendar parts, timestamp strings and business clocks.

Times are int64 seconds since the epoch (UTC) throughout the generator; polars does
the time-zone conversions vectorised, so DST rules come from the tz database and not
from hand-written offsets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from demo.catalogue import Window

MINUTE = 60
QUARTER = 900
HOUR = 3600
DAY = 86400


def _utc(epoch_s: np.ndarray) -> pl.Series:
    return pl.from_epoch(
        pl.Series(np.asarray(epoch_s, dtype=np.int64)), time_unit="s"
    ).dt.replace_time_zone("UTC")


def local_parts(epoch_s: np.ndarray, tz: str) -> pl.DataFrame:
    """Local parts of UTC times: year .. minute, ISO weekday, offset seconds, day number."""
    local = _utc(epoch_s).dt.convert_time_zone(tz)
    naive = local.dt.replace_time_zone(None)
    local_epoch = naive.dt.epoch("s")
    return pl.DataFrame(
        {
            "year": local.dt.year().cast(pl.Int64),
            "month": local.dt.month().cast(pl.Int64),
            "day": local.dt.day().cast(pl.Int64),
            "hour": local.dt.hour().cast(pl.Int64),
            "minute": local.dt.minute().cast(pl.Int64),
            "weekday": local.dt.weekday().cast(pl.Int64),
            "offset": local_epoch - pl.Series(np.asarray(epoch_s, dtype=np.int64)),
            "local_day": local_epoch // DAY,
        }
    )


def local_to_utc(year: int, month: int, day: int, tz: str) -> int:
    """UTC epoch seconds of local midnight starting the given date."""
    series = pl.Series([f"{year:04d}-{month:02d}-{day:02d}T00:00:00"]).str.to_datetime(
        "%Y-%m-%dT%H:%M:%S", time_unit="us"
    )
    return int(series.dt.replace_time_zone(tz, non_existent="raise").dt.epoch("s")[0])


def month_bounds(months: list[str], tz: str) -> np.ndarray:
    """UTC epoch seconds of the local start of each month and of the month after the last."""
    starts = []
    for key in months:
        year, month = (int(x) for x in key.split("-"))
        starts.append(local_to_utc(year, month, 1, tz))
    year, month = (int(x) for x in months[-1].split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    starts.append(local_to_utc(year, month, 1, tz))
    return np.asarray(starts, dtype=np.int64)


def month_keys(epoch_s: np.ndarray, tz: str) -> np.ndarray:
    """``YYYY-MM`` of each UTC time in the local time zone."""
    parts = local_parts(epoch_s, tz)
    keys = (
        parts["year"].cast(pl.Utf8) + "-" + parts["month"].cast(pl.Utf8).str.zfill(2)
    ).to_numpy()
    return keys.astype(object)


def iso_strings(epoch_s: np.ndarray, form: np.ndarray, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """ISO 8601 strings of UTC times in one of three forms, and the form actually used.

    form 0 = local time with offset (``2010-03-28T03:15:00+02:00``), 1 = UTC with ``Z``,
    2 = local time without offset. A local time that is ambiguous (the repeated October
    hour) or does not exist cannot be written without an offset, so it falls back to 0.
    """
    epoch_s = np.asarray(epoch_s, dtype=np.int64)
    utc = _utc(epoch_s)
    local = utc.dt.convert_time_zone(tz)
    naive = local.dt.replace_time_zone(None)
    roundtrip = naive.dt.replace_time_zone(tz, ambiguous="null", non_existent="null")
    unsafe = (roundtrip.is_null() | (roundtrip.dt.epoch("s") != pl.Series(epoch_s))).to_numpy()
    form = np.where((np.asarray(form) == 2) & unsafe, 0, form)
    frame = pl.DataFrame(
        {
            "form": form,
            "local": naive.dt.strftime("%Y-%m-%dT%H:%M:%S"),
            "utc": utc.dt.strftime("%Y-%m-%dT%H:%M:%S"),
            "offset": local.dt.strftime("%:z"),
        }
    )
    text = frame.select(
        pl.when(pl.col("form") == 0)
        .then(pl.col("local") + pl.col("offset"))
        .when(pl.col("form") == 1)
        .then(pl.col("utc") + "Z")
        .otherwise(pl.col("local"))
    ).to_series()
    return text.to_numpy().astype(object), form


@dataclass
class BusinessClock:
    """Cumulative open seconds of one account on a minute grid in UTC.

    ``cum[i]`` is the number of open minutes before grid minute ``i``; opening windows
    are whole minutes of local time, so open seconds between any two instants follow
    exactly from the grid.
    """

    origin: int  # UTC epoch second of grid minute 0
    open_: np.ndarray  # bool per grid minute
    cum: np.ndarray  # int64, len(open_) + 1

    @classmethod
    def build(cls, windows: tuple[Window, ...], tz: str, start: int, end: int) -> BusinessClock:
        """A clock for the windows (local time in `tz`) covering [start, end) UTC."""
        origin = start - start % QUARTER
        minutes = np.arange(origin, end + MINUTE, MINUTE, dtype=np.int64)
        # UTC offsets change on quarter-hour boundaries in every tz database zone, so
        # converting a quarter-hour grid is exact and far cheaper than every minute.
        quarters = np.arange(origin, end + QUARTER, QUARTER, dtype=np.int64)
        offsets = local_parts(quarters, tz)["offset"].to_numpy()
        local = minutes + offsets[(minutes - origin) // QUARTER]
        weekday = (local // DAY + 3) % 7 + 1  # 1970-01-01 was a Thursday (ISO 4)
        minute_of_day = (local % DAY) // MINUTE
        is_open = np.zeros(len(minutes), dtype=bool)
        for window in windows:
            in_days = np.isin(weekday, np.asarray(window.days))
            is_open |= in_days & (minute_of_day >= window.opens) & (minute_of_day < window.closes)
        cum = np.concatenate([[0], np.cumsum(is_open, dtype=np.int64)])
        return cls(origin, is_open, cum)

    def open_seconds_before(self, t: np.ndarray) -> np.ndarray:
        """Open seconds from the grid origin up to each UTC time."""
        offset = np.asarray(t, dtype=np.int64) - self.origin
        idx = np.clip(offset // MINUTE, 0, len(self.open_) - 1)
        within = offset - idx * MINUTE
        return self.cum[idx] * MINUTE + self.open_[idx] * within

    def add(self, t: np.ndarray, business_seconds: np.ndarray) -> np.ndarray:
        """The earliest UTC time that lies `business_seconds` (> 0) of open time after each `t`.

        A time outside opening hours starts counting at the next opening. Results
        beyond the grid are returned as a very large sentinel.
        """
        target = self.open_seconds_before(t) + np.asarray(business_seconds, dtype=np.int64)
        cum_s = self.cum[:-1] * MINUTE
        # First grid minute starting at or after the target; the target lies either on
        # its start or inside the open minute just before it.
        first = np.searchsorted(cum_s, target, side="left")
        beyond = first >= len(cum_s)
        first = np.clip(first, 1, len(cum_s) - 1)
        on_start = cum_s[first] == target
        prev = first - 1
        result = np.where(
            on_start,
            self.origin + first * MINUTE,
            self.origin + prev * MINUTE + (target - cum_s[prev]),
        )
        return np.where(beyond, np.iinfo(np.int64).max // 2, result)
