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
