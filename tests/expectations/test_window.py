"""The months a check validates, and their bounds in UTC across daylight-saving changes."""

from datetime import date, datetime

import pytest

from expectations.window import MonthWindow


def test_march_in_amsterdam_starts_in_winter_time_and_ends_in_summer_time():
    window = MonthWindow.from_keys(["2010-03"], "Europe/Amsterdam", now=datetime(2011, 1, 1))
    assert window.start_utc == datetime(2010, 2, 28, 23, 0)
    assert window.end_utc == datetime(2010, 3, 31, 22, 0)
    assert window.label == "2010-03"


def test_a_range_is_sorted_deduplicated_and_spans_its_months():
    window = MonthWindow.from_keys(["2010-12", "2010-10", "2010-12"], "UTC")
    assert window.months == (date(2010, 10, 1), date(2010, 12, 1))
    assert (window.first, window.last, window.end) == (
        date(2010, 10, 1),
        date(2010, 12, 1),
        date(2011, 1, 1),
    )
    assert window.start_utc == datetime(2010, 10, 1) and window.end_utc == datetime(2011, 1, 1)
    assert window.label == "2010-10..2010-12"


def test_a_window_needs_first_days_of_months():
    with pytest.raises(ValueError, match="at least one month"):
        MonthWindow(months=())
    with pytest.raises(ValueError, match="first days"):
        MonthWindow(months=(date(2010, 3, 2),))


def test_the_latest_allowed_moment_is_now_plus_the_setting():
    now = datetime(2010, 3, 20, 9, 30)
    window = MonthWindow.from_keys(["2010-03"], "UTC", now=now, max_future_days=2)
    assert window.latest_utc == datetime(2010, 3, 22, 9, 30)
    # 09:30 UTC is 23:30 at UTC+14: still the 20th there, so two days allow the 22nd.
    assert window.latest_date == date(2010, 3, 22)
    later = MonthWindow.from_keys(
        ["2010-03"], "UTC", now=datetime(2010, 3, 20, 10), max_future_days=2
    )
    assert later.latest_date == date(2010, 3, 23)
    assert MonthWindow.from_keys(["2010-03"], "UTC", now=now).latest_utc == datetime(
        2010, 3, 21, 9, 30
    )
