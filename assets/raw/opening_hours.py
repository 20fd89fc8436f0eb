"""Parse a webcare account's published opening hours into weekly windows.

Grammar (case-insensitive, spaces optional around separators)::

    hours    := clause (";" clause)*          -- also newlines between clauses
    clause   := days " " times | days " closed" | "24/7"
    days     := day-or-range ("," day-or-range)*
    day-or-range := day | day "-" day        -- ranges wrap: "fri-mon"
    times    := window ("," window)*
    window   := HH:MM "-" HH:MM               -- "24:00" allowed as a closing time

Days are English (``mon``/``monday``) or Dutch (``ma``, ``di``, ``wo``, ``do``,
``vr``, ``za``, ``zo``) abbreviations. A window that closes at or before it
opens runs past midnight and is split over two days (``fri 22:00-02:00`` =
Friday 22:00-24:00 and Saturday 00:00-02:00). An empty value or ``24/7``
means always open and yields no windows. Closing time ``24:00`` is stored as
23:59:59.999999 (the warehouse's TIME type has no 24:00).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

END_OF_DAY = time(23, 59, 59, 999999)

_DAYS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("mon", "monday", "ma", "maandag"),
        ("tue", "tues", "tuesday", "di", "dinsdag"),
        ("wed", "wednesday", "wo", "woensdag"),
        ("thu", "thur", "thurs", "thursday", "do", "donderdag"),
        ("fri", "friday", "vr", "vrijdag"),
        ("sat", "saturday", "za", "zaterdag"),
        ("sun", "sunday", "zo", "zondag"),
    ),
    start=1,
):
    for _name in _names:
        _DAYS[_name] = _number

_CLAUSE = re.compile(r"^(?P<days>[a-z]+(?:\s*[-,]\s*[a-z]+)*)\s+(?P<times>.+)$")
_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


class OpeningHoursError(ValueError):
    """The opening hours text does not follow the grammar; the message says where."""


@dataclass(frozen=True, order=True)
class Window:
    """One opening window: ISO weekday (1 = Monday), local opening and closing time."""

    weekday: int
    opens_at: time
    closes_at: time


def parse_opening_hours(text: str | None) -> list[Window]:
    """Windows of an opening-hours text, sorted; empty for 24/7 (or no text).

    Raises `OpeningHoursError` with a readable reason when the text cannot be read.
    """
    if text is None or not text.strip() or text.strip().lower() in ("24/7", "24x7"):
        return []
    windows: set[Window] = set()
    for clause in re.split(r"[;\n]", text.lower()):
        clause = clause.strip()
        if clause:
            windows.update(_parse_clause(clause))
    return sorted(windows)


def _parse_clause(clause: str) -> list[Window]:
    match = _CLAUSE.match(clause)
    if match is None:
        raise OpeningHoursError(
            f"'{clause}' is not '<days> <HH:MM-HH:MM>' (e.g. 'mon-fri 08:00-20:00')"
        )
    days = _parse_days(match["days"])
    times = match["times"].strip()
    if times == "closed":
        return []
    windows: list[Window] = []
    for part in times.split(","):
        opens, closes = _parse_window(part.strip(), clause)
        for day in days:
            if closes > opens:
                windows.append(Window(day, _as_time(opens), _as_time(closes)))
            else:
                # Past midnight: the rest of this day plus the start of the next one.
                windows.append(Window(day, _as_time(opens), END_OF_DAY))
                if closes > 0:
                    windows.append(Window(day % 7 + 1, time(0, 0), _as_time(closes)))
    return windows


def _parse_days(text: str) -> list[int]:
    days: list[int] = []
    for item in re.split(r"\s*,\s*", text.strip()):
        ends = [end.strip() for end in item.split("-")]
        unknown = [end for end in ends if end not in _DAYS]
        if unknown or len(ends) > 2:
            raise OpeningHoursError(f"'{item}' is not a day or a day range like 'mon-fri'")
        first = _DAYS[ends[0]]
        last = _DAYS[ends[-1]]
        span = (last - first) % 7
        days.extend((first - 1 + step) % 7 + 1 for step in range(span + 1))
    return days


def _parse_window(text: str, clause: str) -> tuple[int, int]:
    """Opening and closing minute of the day (closing 1440 for 24:00)."""
    match = _WINDOW.match(text)
    if match is None:
        raise OpeningHoursError(f"'{text}' in '{clause}' is not a time window like '08:00-20:00'")
    open_h, open_m, close_h, close_m = (int(group) for group in match.groups())
    opens, closes = open_h * 60 + open_m, close_h * 60 + close_m
    if open_h > 23 or open_m > 59 or close_m > 59 or closes > 24 * 60:
        raise OpeningHoursError(f"'{text}' in '{clause}' has an impossible time")
    if opens == closes % (24 * 60) and closes != 24 * 60 and opens != 0:
        raise OpeningHoursError(f"'{text}' in '{clause}' opens and closes at the same time")
    return opens, closes


def _as_time(minute_of_day: int) -> time:
    if minute_of_day >= 24 * 60:
        return END_OF_DAY
    return time(minute_of_day // 60, minute_of_day % 60)
