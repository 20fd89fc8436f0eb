"""Suite for ``scores.nps_comment_sentiment``: one score per NPS response with a comment.

Validates the score rows of the months full-outer-joined with the NPS
responses of the same months whose comment is not blank; see
`expectations.suites._sentiment` for the frame's extra columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from expectations.suites import _sentiment
from warehouse import contract

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

NAME = "scores.nps_comment_sentiment"
# The logical key of the table, defined once in warehouse.contract.
KEY = contract.table(NAME).primary_key


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the derived columns of the sentiment rules."""
    return _sentiment.prepare(frame)


def build_suite(share_floor: float | None = _sentiment.CLASS_SHARE_FLOOR) -> ExpectationSuite:
    """The score rules; `share_floor` None leaves out the class-share warning (few scores)."""
    return _sentiment.build_suite(
        NAME, KEY, scored_what="NPS response with a comment", share_floor=share_floor
    )
