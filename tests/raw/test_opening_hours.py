"""Opening hours text -> weekly windows."""

from __future__ import annotations

import re
from datetime import time

import pytest

from assets.raw.opening_hours import END_OF_DAY, OpeningHoursError, Window, parse_opening_hours


def test_ranges_lists_and_several_clauses() -> None:
    windows = parse_opening_hours("mon-fri 08:00-20:00; sat 10:00-16:00")
    assert [window.weekday for window in windows] == [1, 2, 3, 4, 5, 6]
    assert windows[0] == Window(1, time(8, 0), time(20, 0))
    assert windows[-1] == Window(6, time(10, 0), time(16, 0))

    windows = parse_opening_hours("Mon,Wed 9:00-12:00, 13:00-17:00\nzo closed")
    assert windows == [
        Window(1, time(9, 0), time(12, 0)),
        Window(1, time(13, 0), time(17, 0)),
        Window(3, time(9, 0), time(12, 0)),
        Window(3, time(13, 0), time(17, 0)),
    ]


def test_24_00_midnight_crossing_and_wrapping_ranges() -> None:
    assert parse_opening_hours("sat-sun 00:00-24:00") == [
        Window(6, time(0, 0), END_OF_DAY),
        Window(7, time(0, 0), END_OF_DAY),
    ]
    assert parse_opening_hours("sun 22:00-02:00") == [
        Window(1, time(0, 0), time(2, 0)),
        Window(7, time(22, 0), END_OF_DAY),
    ]
    assert [w.weekday for w in parse_opening_hours("fri-mon 10:00-11:00")] == [1, 5, 6, 7]


@pytest.mark.parametrize("text", [None, "", "  ", "24/7"])
def test_empty_or_24_7_means_always_open(text: str | None) -> None:
    assert parse_opening_hours(text) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mon", "'mon' is not '<days> <HH:MM-HH:MM>' (e.g. 'mon-fri 08:00-20:00')"),
        ("weekdays 9-5", "'weekdays' is not a day or a day range like 'mon-fri'"),
        ("mon-fry 08:00-20:00", "'mon-fry' is not a day or a day range"),
        ("mon 25:00-26:00", "'25:00-26:00' in 'mon 25:00-26:00' has an impossible time"),
        ("mon 08:00-08:00", "opens and closes at the same time"),
        ("mon 8am-5pm", "'8am-5pm' in 'mon 8am-5pm' is not a time window"),
    ],
)
def test_unreadable_hours_say_why(text: str, message: str) -> None:
    with pytest.raises(OpeningHoursError, match=re.escape(message)):
        parse_opening_hours(text)
