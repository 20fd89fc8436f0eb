"""Rules shared by the two sentiment score tables (mentions and NPS comments).

The frame a score suite validates is the score table of the validated months
*full-outer-joined* with the records that should have been scored (inbound
mentions, or NPS responses with a comment), so both a missing and a stray score
show up as a row:

- ``expected_score``: the row's record should be scored in these months (false for a stray score);
- ``has_score``: a score row exists for it (false for a record left unscored);
- ``source_month``: the partition month of the scored record (null for a stray score);
- the score table's own columns (null where there is no score).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from expectations._gx import import_gx
from expectations.frames import as_pandas
from expectations.suites._common import ERROR, WARN, level, new_suite, one_of, row_column, unique

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite
    from great_expectations.expectations import Expectation

LABELS = ("negative", "neutral", "positive")
PROBABILITIES = tuple(f"p_{label}" for label in LABELS)
# Softmax outputs stored as DOUBLE sum to 1 up to rounding; more than this is a bug.
SUM_TOLERANCE = 1e-3
SCORE_TOLERANCE = 1e-6
# A month where one class falls below this share has most likely collapsed onto
# the others (a broken model or label map), even in a calm month.
CLASS_SHARE_FLOOR = 0.02
# Below this many scores a missing class is chance, not collapse.
MIN_SCORES_FOR_CLASS_SHARES = 100


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the derived columns the rules check: ``p_sum``, ``argmax_label``, ``score_error``,
    ``is_<label>`` (1.0 / 0.0 per scored row), and ``partition_month`` / ``source_month`` as
    timestamps so they compare."""
    frame = as_pandas(frame)
    probabilities = frame[list(PROBABILITIES)].astype("float64")
    scored = probabilities.notna().all(axis=1)
    argmax = pd.Series(
        np.asarray(LABELS, dtype=object)[probabilities.fillna(-1.0).to_numpy().argmax(axis=1)],
        index=frame.index,
    ).where(scored)
    label = frame["label"].where(frame["label"].notna())
    derived = {
        "p_sum": probabilities.sum(axis=1, min_count=3),
        "argmax_label": argmax,
        "score_error": (
            frame["score"].astype("float64")
            - (probabilities["p_positive"] - probabilities["p_negative"])
        ).abs(),
        **{f"is_{name}": (label == name).astype("float64").where(label.notna()) for name in LABELS},
    }
    frame = frame.assign(**derived)
    for column in ("partition_month", "source_month"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def class_share_floor(frame: pd.DataFrame) -> float | None:
    """The floor for each class's share, or None when the months hold too few scores to judge."""
    scored = int(frame["label"].notna().sum())
    return CLASS_SHARE_FLOOR if scored >= MIN_SCORES_FOR_CLASS_SHARES else None


def build_suite(
    name: str,
    key: Sequence[str],
    *,
    scored_what: str,
    share_floor: float | None,
    extra: Sequence[Expectation] = (),
) -> ExpectationSuite:
    """The score rules for a table keyed by `key`, whose records are `scored_what`."""
    gx = import_gx()
    expect = gx.expectations
    scored = row_column("has_score") == True  # noqa: E712
    rules: list[Expectation] = [
        unique(key, "a score (one per record)"),
        expect.ExpectColumnValuesToBeInSet(
            column="has_score",
            value_set=[True],
            description=f"every {scored_what} of the months has a score",
            **level(ERROR),
        ),
        expect.ExpectColumnValuesToBeInSet(
            column="expected_score",
            value_set=[True],
            description=f"only {scored_what}s of the months are scored",
            **level(ERROR),
        ),
        expect.ExpectColumnPairValuesToBeEqual(
            column_A="partition_month",
            column_B="source_month",
            ignore_row_if="either_value_is_missing",
            description="a score sits in the partition month of its record",
            **level(ERROR),
        ),
        *(
            expect.ExpectColumnValuesToNotBeNull(
                column=column,
                row_condition=scored,
                description=f"{column} is never null",
                **level(ERROR),
            )
            for column in ("label", *PROBABILITIES, "score", "model_version", "text_hash")
        ),
        one_of("label", LABELS),
        *(
            expect.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=0,
                max_value=1,
                description=f"{column} is a probability in [0, 1]",
                **level(ERROR),
            )
            for column in PROBABILITIES
        ),
        expect.ExpectColumnValuesToBeBetween(
            column="p_sum",
            min_value=1 - SUM_TOLERANCE,
            max_value=1 + SUM_TOLERANCE,
            description=f"the three probabilities sum to 1 (within {SUM_TOLERANCE:g})",
            **level(ERROR),
        ),
        expect.ExpectColumnPairValuesToBeEqual(
            column_A="label",
            column_B="argmax_label",
            description="label is the class with the highest probability",
            **level(ERROR),
        ),
        expect.ExpectColumnValuesToBeBetween(
            column="score_error",
            max_value=SCORE_TOLERANCE,
            description="score = p_positive - p_negative",
            **level(ERROR),
        ),
        *extra,
    ]
    if share_floor is not None:
        rules.extend(
            expect.ExpectColumnMeanToBeBetween(
                column=f"is_{label}",
                min_value=share_floor,
                description=f"at least {share_floor:.0%} of the scores are {label} "
                "(the labels have not collapsed)",
                **level(WARN),
            )
            for label in LABELS
        )
    return new_suite(name, rules)
