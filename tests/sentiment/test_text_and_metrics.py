"""Text normalisation, the fixed split and the metrics, against hand-computed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.sentiment.data import LabelledDataError, is_heldout, read_labelled_csv
from models.sentiment.metrics import sentiment_report
from models.sentiment.text import normalise_text, text_hash


def test_normalise_text_collapses_case_space_and_retweets():
    assert normalise_text("  Great   SERVICE\n today ") == "great service today"
    assert normalise_text("RT @KLM: Great service today") == "great service today"
    assert normalise_text("rt @a: RT @b_2: hi") == "hi"
    assert normalise_text(None) == "" and normalise_text("   ") == ""
    assert text_hash("RT @x: Hello  World") == text_hash("hello world")
    assert text_hash("hello world") != text_hash("hello world!")


def test_split_keeps_duplicates_together():
    assert is_heldout("Hello World") == is_heldout("RT @x: hello   world")
    shares = [is_heldout(f"tweet number {i}") for i in range(4000)]
    assert 0.18 < sum(shares) / len(shares) < 0.22


def test_bad_label_names_file_line_and_column(tmp_path: Path):
    path = tmp_path / "labelled.csv"
    path.write_text('text,label\n"fine, thanks",positive\n"multi\nline",neutral\nmeh,angry\n')
    with pytest.raises(LabelledDataError, match=r"labelled.csv, line 5, column 2 \(label\)"):
        read_labelled_csv(path)


def test_missing_column_is_named(tmp_path: Path):
    path = tmp_path / "labelled.csv"
    path.write_text("tweet,label\nhi,positive\n")
    with pytest.raises(LabelledDataError, match="missing column 'text'"):
        read_labelled_csv(path)


def test_report_hand_computed():
    # true:  neg neg neg neu pos pos   predicted: neg neg neu neu neg pos
    true = [0, 0, 0, 1, 2, 2]
    predicted = [0, 0, 1, 1, 0, 2]
    report = sentiment_report(true, predicted, ["en"] * 4 + ["nl"] * 2)
    whole = report["all"]
    assert whole["n"] == 6 and whole["accuracy"] == pytest.approx(4 / 6)
    # recalls: neg 2/3, neu 1/1, pos 1/2; precisions: neg 2/3, neu 1/2, pos 1/1
    assert whole["macro_recall"] == pytest.approx((2 / 3 + 1 + 1 / 2) / 3)
    f1 = [2 / 3, 2 * 0.5 * 1 / 1.5, 2 * 1 * 0.5 / 1.5]
    assert whole["macro_f1"] == pytest.approx(sum(f1) / 3)
    assert whole["predicted_shares"] == pytest.approx(
        {"negative": 3 / 6, "neutral": 2 / 6, "positive": 1 / 6}
    )
    assert whole["true_shares"] == pytest.approx(
        {"negative": 3 / 6, "neutral": 1 / 6, "positive": 2 / 6}
    )
    assert report["en"]["n"] == 4 and report["nl"]["accuracy"] == pytest.approx(0.5)
