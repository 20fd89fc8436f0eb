"""Adjusted sentiment shares: the arithmetic, the calibration file, the command, and the
correction of a shifted class mix on labelled tweets the shares would otherwise get wrong."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.sentiment.build import CALIBRATION_FILE
from models.sentiment.calibration import (
    ALL,
    MIN_PER_CLASS,
    Calibration,
    CalibrationError,
    adjust,
    measure,
)
from models.sentiment.data import read_labelled_dirs, split
from orchestration import cli

from .conftest import require_shared_sentiment

# Rows true negative / neutral / positive, columns predicted: 100 examples per class.
COUNTS = np.array([[80, 15, 5], [10, 70, 20], [5, 15, 80]])


def calibration(**counts: np.ndarray) -> Calibration:
    return Calibration("m@1", "sample.csv@abc", {ALL: COUNTS, **counts})


def test_adjusting_the_expected_predictions_gives_back_the_true_shares():
    cal = calibration()
    rates = COUNTS / 100
    for true in ((0.6, 0.25, 0.15), (0.2, 0.5, 0.3), (1 / 3, 1 / 3, 1 / 3)):
        predicted = rates.T @ np.array(true)  # what the model's labels show on average
        result = adjust(cal, [("en", predicted * 10_000)])
        assert result.shares == pytest.approx(true, abs=1e-12)
        assert np.abs(predicted - true).max() > 0.015  # the raw shares are off


def test_the_interval_adds_the_variance_of_the_messages_and_of_the_calibration():
    """Var(A q) = A Cov(q) A^T for multinomial q, plus, to first order, what the
    calibration's own estimate of C adds: A (sum_t p_t^2 Cov(C[t]) / m_t) A^T, each row
    C[t] a multinomial estimate from m_t examples (written out here with matrices; the
    code and the SQL use the equivalent sums)."""
    cal = calibration()
    counts = np.array([50, 30, 20])
    n = counts.sum()
    q = counts / n
    inverse = cal.inverse("en")
    p = inverse @ q
    rates = COUNTS / COUNTS.sum(axis=1, keepdims=True)
    messages = inverse @ ((np.diag(q) - np.outer(q, q)) / n) @ inverse.T
    samples = sum(
        p[t] ** 2 * (np.diag(rates[t]) - np.outer(rates[t], rates[t])) / COUNTS[t].sum()
        for t in range(3)
    )
    standard_error = np.sqrt(np.diag(messages + inverse @ samples @ inverse.T))
    result = adjust(cal, [("en", counts)])
    assert result.upper - result.shares == pytest.approx(1.96 * standard_error, abs=1e-12)
    assert result.shares - result.lower == pytest.approx(1.96 * standard_error, abs=1e-12)


def test_the_intervals_hold_the_truth_when_the_calibration_sample_is_small():
    """Simulated: a model with known confusion rates, a user's calibration of 300
    labelled messages (100 per class) and 600 scored ones of a 30/40/30 mix. With the
    calibration's error in them the 95% intervals held all three true shares in 94.5% of
    400 runs; with the messages' variance alone in 69.5%."""
    rates = COUNTS / 100
    truth = np.array([0.3, 0.4, 0.3])
    rng = np.random.default_rng(5)
    held, held_without = 0, 0
    runs = 400
    for _ in range(runs):
        sample = np.array([rng.multinomial(100, rates[t]) for t in range(3)])
        cal = Calibration("m@1", "sample.csv@abc", {ALL: sample})
        true_classes = rng.choice(3, size=600, p=truth)
        predicted = np.array([rng.choice(3, p=rates[t]) for t in true_classes])
        observed = np.bincount(true_classes, minlength=3) / 600
        result = adjust(cal, [("en", np.bincount(predicted, minlength=3))])
        held += bool(((result.lower <= observed) & (observed <= result.upper)).all())
        shares = cal.inverse("en") @ (np.bincount(predicted, minlength=3) / 600)
        q = np.bincount(predicted, minlength=3) / 600
        inverse = cal.inverse("en")
        margin = 1.96 * np.sqrt(np.maximum((inverse**2) @ q - shares**2, 0) / 600)
        held_without += bool(((shares - margin <= observed) & (observed <= shares + margin)).all())
    assert held / runs >= 0.90, held / runs
    assert held_without / runs < 0.80, held_without / runs


def test_estimates_outside_zero_one_are_clipped_and_renormalised():
    cal = calibration()
    # Predicted shares the rates cannot produce from any mix: the neutral estimate < 0.
    result = adjust(cal, [("en", np.array([60, 0, 40]))])
    raw = cal.inverse("en") @ np.array([0.6, 0.0, 0.4])
    assert raw[1] < 0
    expected = np.clip(raw, 0, 1) / np.clip(raw, 0, 1).sum()
    assert result.shares == pytest.approx(expected, abs=1e-12)
    assert result.shares.sum() == pytest.approx(1.0, abs=1e-12)
    assert (result.lower >= 0).all() and (result.upper <= 1).all()


def test_languages_are_weighted_by_their_messages():
    dutch = np.array([[25, 0, 0], [0, 25, 0], [0, 0, 25]])
    cal = calibration(nl=dutch)
    result = adjust(cal, [("nl", np.array([30, 0, 10])), ("en", np.array([0, 0, 0]))])
    assert result.shares == pytest.approx([0.75, 0.0, 0.25], abs=1e-12)
    mixed = adjust(cal, [("nl", np.array([30, 0, 10])), ("de", np.array([0, 0, 40]))])
    german = cal.inverse("de") @ np.array([0.0, 0.0, 1.0])
    expected = (np.array([0.75, 0.0, 0.25]) * 40 + german * 40) / 80
    expected = np.clip(expected, 0, 1) / np.clip(expected, 0, 1).sum()
    assert mixed.shares == pytest.approx(expected, abs=1e-12)


def test_a_language_needs_enough_examples_of_every_class_for_rates_of_its_own():
    few = np.array([[MIN_PER_CLASS, 0, 0], [0, MIN_PER_CLASS, 0], [0, 0, MIN_PER_CLASS - 1]])
    enough = few + np.diag([0, 0, 1])
    pooled = COUNTS + few + enough
    cal = Calibration("m", "s", {ALL: pooled, "de": few, "nl": enough})
    assert cal.languages() == ["nl", ALL]
    # German and unknown languages share the '*' rates of the examples routed there.
    assert cal.rates("de") == pytest.approx(cal.rates(ALL))
    assert cal.rates(ALL) == pytest.approx((COUNTS + few) / (COUNTS + few).sum(1, keepdims=True))
    assert cal.rates("nl") == pytest.approx(np.eye(3))
    rows = cal.rows()
    assert {row["language"] for row in rows} == {"nl", ALL}
    assert sum(row["labelled_count"] for row in rows if row["language"] == ALL) == 300 + 59


def test_measure_counts_per_language_and_pooled():
    true = [0, 0, 1, 2] * 30
    predicted = [0, 1, 1, 2] * 30
    languages = ["en", "nl", "all", ""] * 30
    cal = measure("m", "s", true, predicted, languages)
    assert cal.counts[ALL].tolist() == [[30, 30, 0], [0, 30, 0], [0, 0, 30]]
    assert cal.counts["en"].tolist() == [[30, 0, 0], [0, 0, 0], [0, 0, 0]]
    assert sorted(cal.counts) == [ALL, "en", "nl"]
    with pytest.raises(CalibrationError, match="at least 20 labelled examples of every class"):
        measure("m", "s", [0, 1, 2], [0, 1, 2], ["en"] * 3)


def test_a_calibration_file_round_trips_and_a_bad_one_is_named(tmp_path: Path):
    cal = calibration(nl=np.eye(3, dtype=int) * 30)
    again = Calibration.from_json(cal.to_json())
    assert again.calibration_id == "sample.csv@abc for m@1"
    assert again.rows() == cal.rows()
    with pytest.raises(CalibrationError, match=r"mine\.json: not a sentiment calibration"):
        Calibration.from_json('{"name": "x"}', "mine.json")
    singular = json.loads(cal.to_json())
    singular["counts"][ALL] = [[10, 10, 0], [10, 10, 0], [0, 0, 20]]
    with pytest.raises(CalibrationError, match="cannot be inverted"):
        Calibration.from_json(json.dumps(singular))


def test_calibrate_sentiment_refuses_a_sample_without_enough_of_every_class(tmp_path: Path, capsys):
    sample = tmp_path / "sample.csv"
    sample.write_text("text,label\ngreat,positive\nawful,negative\n", encoding="utf-8")
    code = cli.main(["calibrate-sentiment", "--home", str(tmp_path / "home"), str(sample)])
    assert code == 2
    assert "at least 20 labelled examples of every class" in capsys.readouterr().err
    assert not (tmp_path / "home" / "sentiment_calibration.json").exists()


@pytest.mark.slow
@pytest.mark.shared_data
def test_calibrate_sentiment_writes_the_homes_calibration(
    tmp_path: Path, model_cache_dir: Path, built_model_dir: Path, monkeypatch, capsys
):
    monkeypatch.setenv("WEBCARE_MODEL_CACHE_DIR", str(model_cache_dir))
    _train, heldout = split(read_labelled_dirs(require_shared_sentiment()))
    sample = tmp_path / "labelled.csv"
    rows = ["text,label,language"]
    for text, label, language in list(
        zip(heldout.texts, heldout.labels, heldout.languages, strict=True)
    )[:400]:
        quoted = text.replace('"', '""')
        rows.append(f'"{quoted}",{("negative", "neutral", "positive")[label]},{language}')
    sample.write_text("\n".join(rows) + "\n", encoding="utf-8")
    home = tmp_path / "home"
    assert cli.main(["calibrate-sentiment", "--home", str(home), str(sample)]) == 0
    written = Calibration.from_json((home / "sentiment_calibration.json").read_text())
    assert written.name.startswith("labelled.csv@")
    assert written.model_version.endswith("+int8r")
    assert int(written.counts[ALL].sum()) == 400
    assert "written to" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.shared_data
def test_adjusted_shares_correct_a_shifted_class_mix_the_raw_shares_get_wrong(
    sentiment_model, heldout_scores
):
    """The shipped calibration (the model card's held-out split, in the asset's int8 path)
    on that split resampled to other class mixes: the raw shares follow the model's
    errors, the adjusted ones the truth. Over ten resamples of 3,000 messages per mix the
    adjusted shares are within 2 points of the truth per class on average, the raw ones
    are not, and the 95% intervals hold the truth in most of them."""
    shipped = Calibration.from_json(CALIBRATION_FILE.read_text(encoding="utf-8"))
    assert shipped.model_version == sentiment_model.version, (
        "the shipped calibration belongs to another model: `webcare calibrate-sentiment "
        "--heldout` measures it again"
    )
    heldout, predicted = heldout_scores
    labels, languages = np.array(heldout.labels), np.array(heldout.languages)
    assert (
        shipped.counts[ALL].tolist()
        == measure("", "", labels.tolist(), predicted, languages.tolist()).counts[ALL].tolist()
    ), "the shipped calibration is not this model's on the held-out split"
    index = np.arange(len(labels))
    for mix in ((0.6, 0.25, 0.15), (0.2, 0.5, 0.3)):
        adjusted_errors, raw_errors, covered = [], [], 0
        for seed in range(10):
            rng = np.random.default_rng(seed)
            chosen = np.concatenate(
                [
                    rng.choice(index[labels == k], size=round(3000 * share), replace=True)
                    for k, share in enumerate(mix)
                ]
            )
            groups = [
                (
                    language,
                    np.bincount(predicted[chosen][languages[chosen] == language], minlength=3),
                )
                for language in sorted(set(languages[chosen]))
            ]
            result = adjust(shipped, groups)
            adjusted_errors.append(np.abs(result.shares - mix))
            raw_errors.append(np.abs(np.bincount(predicted[chosen], minlength=3) / 3000 - mix))
            covered += bool(((result.lower <= mix) & (np.array(mix) <= result.upper)).all())
        assert np.mean(adjusted_errors, axis=0).max() <= 0.02, (mix, adjusted_errors)
        assert np.mean(raw_errors, axis=0).max() > 0.04, (mix, raw_errors)
        assert covered >= 8, (mix, covered)
