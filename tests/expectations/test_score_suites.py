"""The sentiment score suites: probabilities, arg-max labels, one score per record."""

import numpy as np
import pandas as pd
import pytest

from expectations.suites import _sentiment, scores_mention_sentiment, scores_nps_comment_sentiment

MARCH = pd.Timestamp("2010-03-01")
PROBABILITIES = {
    "negative": (0.80, 0.15, 0.05),
    "neutral": (0.10, 0.70, 0.20),
    "positive": (0.02, 0.08, 0.90),
}


def scored(labels: list[str]) -> pd.DataFrame:
    """A score frame as the check reads it: every inbound mention scored once, in its month."""
    rows = []
    for i, label in enumerate(labels):
        neg, neu, pos = PROBABILITIES[label]
        rows.append(
            {
                "platform": "twitter",
                "mention_id": f"m{i}",
                "partition_month": MARCH,
                "source_month": MARCH,
                "text_hash": f"h{i}",
                "label": label,
                "p_negative": neg,
                "p_neutral": neu,
                "p_positive": pos,
                "score": pos - neg,
                "model_version": "e5-small-lora-1",
                "expected_score": True,
                "has_score": True,
            }
        )
    return pd.DataFrame(rows)


def run(gx_session, frame, share_floor=None):
    frame = scores_mention_sentiment.prepare(frame)
    return gx_session.validate(
        frame,
        scores_mention_sentiment.build_suite(share_floor),
        index_columns=scores_mention_sentiment.KEY,
    )


def set_cell(frame, row, column, value):
    frame = frame.copy()
    frame.loc[row, column] = value
    return frame


def unscored(frame, row):
    """Make `row` an inbound mention with no score (as the outer join returns it)."""
    frame = frame.copy()
    score_columns = [
        "partition_month",
        "text_hash",
        "label",
        "model_version",
        "p_negative",
        "p_neutral",
        "p_positive",
        "score",
    ]
    frame.loc[row, score_columns] = None
    frame.loc[row, "has_score"] = False
    return frame


def test_valid_scores_pass(gx_session):
    outcome = run(gx_session, scored(["negative", "neutral", "positive", "negative"]))
    assert outcome.failed_rules() == []


BREAKS = [
    (lambda f: unscored(f, 1), ["every inbound mention of the months has a score"]),
    (
        lambda f: set_cell(f, 2, "expected_score", False),
        ["only inbound mentions of the months are scored"],
    ),
    (
        lambda f: set_cell(f, 1, "mention_id", "m0"),
        ["a score (one per record) is unique (platform, mention_id)"],
    ),
    (
        lambda f: set_cell(f, 0, "source_month", pd.Timestamp("2010-02-01")),
        ["a score sits in the partition month of its record"],
    ),
    (
        lambda f: set_cell(f, 0, "label", "angry"),
        [
            "label is one of negative, neutral, positive",
            "label is the class with the highest probability",
        ],
    ),
    (
        lambda f: set_cell(f, 0, "label", "positive"),
        ["label is the class with the highest probability"],
    ),
    (
        lambda f: set_cell(set_cell(f, 0, "p_negative", 1.2), 0, "p_neutral", -0.25),
        [
            "p_negative is a probability in [0, 1]",
            "p_neutral is a probability in [0, 1]",
            "score = p_positive - p_negative",
        ],
    ),
    (
        lambda f: set_cell(f, 0, "p_neutral", 0.25),
        ["the three probabilities sum to 1 (within 0.001)"],
    ),
    (lambda f: set_cell(f, 3, "score", 0.5), ["score = p_positive - p_negative"]),
    (lambda f: set_cell(f, 2, "model_version", None), ["model_version is never null"]),
]


@pytest.mark.parametrize(("breaks", "failed"), BREAKS)
def test_score_rule_breaks(gx_session, breaks, failed):
    frame = breaks(scored(["negative", "neutral", "positive", "negative"]))
    outcome = run(gx_session, frame)
    assert sorted(outcome.failed_rules()) == sorted(failed)
    assert outcome.severity == "error"


def test_a_missing_score_names_the_mention(gx_session):
    outcome = run(gx_session, unscored(scored(["negative", "neutral", "positive"]), 1))
    [failure] = outcome.failures
    assert failure.examples == ({"has_score": False, "platform": "twitter", "mention_id": "m1"},)


def test_sum_within_tolerance_passes(gx_session):
    frame = set_cell(scored(["neutral", "positive"]), 0, "p_neutral", 0.7004)
    assert run(gx_session, frame).passed


def test_collapsed_labels_warn_without_blocking(gx_session):
    labels = ["positive"] * 99 + ["negative"] * 1 + ["neutral"] * 20
    frame = scored(labels)
    floor = _sentiment.class_share_floor(frame)
    assert floor == _sentiment.CLASS_SHARE_FLOOR
    outcome = run(gx_session, frame, floor)
    assert outcome.failed_rules() == [
        "at least 2% of the scores are negative (the labels have not collapsed)"
    ]
    assert outcome.severity == "warn"
    assert outcome.failures[0].observed == pytest.approx(1 / 120)


def test_few_scores_are_not_judged_for_collapse():
    assert _sentiment.class_share_floor(scored(["positive"] * 99)) is None


def test_nps_comment_scores_use_their_own_key(gx_session):
    frame = scored(["negative", "positive"]).drop(columns=["platform", "mention_id"])
    frame.insert(0, "response_id", ["r1", "r1"])
    outcome = gx_session.validate(
        scores_nps_comment_sentiment.prepare(frame),
        scores_nps_comment_sentiment.build_suite(None),
    )
    assert outcome.failed_rules() == ["a score (one per record) is unique (response_id)"]
    unscored_frame = frame.assign(response_id=["r1", "r2"])
    unscored_frame.loc[1, ["label", "p_negative", "p_neutral", "p_positive", "score"]] = np.nan
    unscored_frame.loc[1, "has_score"] = False
    outcome = gx_session.validate(
        scores_nps_comment_sentiment.prepare(unscored_frame),
        scores_nps_comment_sentiment.build_suite(None),
    )
    assert outcome.failed_rules() == ["every NPS response with a comment of the months has a score"]
