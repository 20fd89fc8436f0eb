"""The console summary's correlation lines: r with its 95% interval, or why it has none."""

from __future__ import annotations

import pytest

from orchestration.summary import correlation_line


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            (0, 24, 0.4321, 0.0312, 0.7140),
            "Net sentiment vs NPS (same month): r = +0.43 over 24 brand-months, "
            "95% CI +0.03 to +0.71",
        ),
        # two points lie on a line: r is 1 by arithmetic, and Fisher's z needs n > 3
        (
            (0, 2, 1.0, None, None),
            "Net sentiment vs NPS (same month): r = +1.00 over 2 brand-months, "
            "too few for a 95% CI",
        ),
        (
            (1, 3, -0.5, None, None),
            "Net sentiment vs NPS (sentiment 1 month before): r = -0.50 over 3 brand-months, "
            "too few for a 95% CI",
        ),
        (
            (0, 5, -1.0, None, None),
            "Net sentiment vs NPS (same month): r = -1.00 over 5 brand-months, "
            "no 95% CI at |r| = 1",
        ),
        (
            (1, 1, None, None, None),
            "Net sentiment vs NPS (sentiment 1 month before): too few brand-months (1)",
        ),
        # a home without NPS answers (the real exports)
        ((0, 0, None, None, None), "Net sentiment vs NPS (same month): too few brand-months (0)"),
        (
            (0, 6, None, None, None),
            "Net sentiment vs NPS (same month): no r over 6 brand-months: one of the two "
            "measures does not vary",
        ),
    ],
)
def test_a_correlation_line_gives_the_interval_or_why_there_is_none(values, expected):
    assert correlation_line("NPS", *values) == expected
