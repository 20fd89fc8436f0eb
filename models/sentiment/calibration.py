"""Correcting class shares for the classifier's known errors (adjusted classify-and-count).

A classifier's share of "negative" is not the share of negative messages: it also
counts the neutral and positive messages it mistakes for negative, and misses the
negatives it calls something else. With the confusion rates measured on labelled data,
``C[i][j] = P(predicted j | true i)``, the expected predicted shares are
``q = C^T p`` for true shares ``p``. The adjusted estimate inverts that:

    p = A q,   A = (C^T)^-1

(Forman 2008's adjusted classify-and-count, for three classes). Per language, since the
model errs differently in each; messages of a language with too few labelled examples
of a class, or without a language, use the ``'*'`` rates, measured on the examples
routed the same way (`Calibration.pooled_counts`). For ``n`` messages, ``q`` is
multinomial, so

    Var_messages(p_i) = (sum_j A_ij^2 q_j - p_i^2) / n

(the delta method is exact here: p is linear in q). The rates themselves are measured
on ``m_t`` labelled examples of each true class t, so each row of C is a multinomial
estimate too; to first order (``dp = -A dC^T p``, and ``sum_j A_ij C_tj`` is 1 for
i = t, else 0):

    Var_calibration(p_i) = sum_t p_t^2 (sum_j A_ij^2 C_tj - [i = t]) / m_t

The interval adds the two (the scored messages and the calibration sample are
independent). Without the second term, a user's calibration of 300 Dutch tweets gave
intervals that held all three true shares in 11 of 20 splits (MODEL_CARD.md).

The warehouse applies the arithmetic in SQL (``int_sentiment_prevalence``) from the
rows `Calibration.rows` gives; `adjust` here is the same arithmetic in numpy, for the
tests and for `webcare calibrate-sentiment`'s report.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.sentiment.labels import LABELS

ALL = "*"
# A language's own rates are used only when each class has at least this many labelled
# examples in it; otherwise its rows fall back to the pooled rates.
MIN_PER_CLASS = 20


class CalibrationError(ValueError):
    """A calibration cannot be measured or read (too few examples, singular rates, bad file)."""


@dataclass(frozen=True)
class Calibration:
    """The confusion counts of one model on one labelled sample, per language and pooled."""

    model_version: str
    # What the rates were measured on, e.g. ``heldout`` or ``my_sample.csv@1a2b3c4d5e6f``.
    name: str
    # language (or ALL) -> 3x3 counts, rows true class, columns predicted class (LABELS order).
    counts: dict[str, np.ndarray]

    @property
    def calibration_id(self) -> str:
        """``<name>`` and the model it was measured for, as the marts show it."""
        return f"{self.name} for {self.model_version}"

    def languages(self) -> list[str]:
        """Languages with rates of their own (enough examples of every class), then ALL."""
        own = [
            language
            for language, counts in sorted(self.counts.items())
            if language != ALL and counts.sum(axis=1).min() >= MIN_PER_CLASS
        ]
        return [*own, ALL]

    def rates(self, language: str) -> np.ndarray:
        """``C[i][j] = P(predicted j | true i)`` for `language`; a language without rates of
        its own gets the rates of the examples routed the same way (`pooled_counts`)."""
        counts = (
            self.counts[language] if language in self.languages()[:-1] else self.pooled_counts()
        ).astype(float)
        return counts / counts.sum(axis=1, keepdims=True)

    def pooled_counts(self) -> np.ndarray:
        """The counts behind the ``'*'`` rates: the examples whose language has no rates of
        its own (or none given), the same messages the marts correct with them. When those
        are too few of a class, every example."""
        rest = self.counts[ALL] - sum(
            (self.counts[language] for language in self.languages()[:-1]),
            np.zeros((3, 3), dtype=np.int64),
        )
        return rest if rest.sum(axis=1).min() >= MIN_PER_CLASS else self.counts[ALL]

    def inverse(self, language: str) -> np.ndarray:
        """``A = (C^T)^-1``: true shares = A @ predicted shares."""
        try:
            return np.linalg.inv(self.rates(language).T)
        except np.linalg.LinAlgError as error:
            raise CalibrationError(
                f"calibration {self.calibration_id}: the confusion rates for {language!r} "
                "cannot be inverted (the model never tells two classes apart)"
            ) from error

    def calibration_weights(self, language: str) -> np.ndarray:
        """``B[i][t] = (sum_j A_ij^2 C_tj - [i = t]) / m_t``: the variance of the estimate
        of class i that the calibration sample adds is ``sum_t B[i][t] p_t^2``."""
        counts = (
            self.counts[language] if language in self.languages()[:-1] else self.pooled_counts()
        )
        examples = counts.sum(axis=1).astype(float)
        inverse = self.inverse(language)
        return ((inverse**2) @ self.rates(language).T - np.eye(3)) / examples[np.newaxis, :]

    def rows(self) -> list[dict[str, object]]:
        """One row per language, true and predicted class: count, rate and inverse entry."""
        rows = []
        for language in self.languages():
            rates, inverse = self.rates(language), self.inverse(language)
            counts = self.counts[language] if language != ALL else self.pooled_counts()
            for i, true in enumerate(LABELS):
                for j, predicted in enumerate(LABELS):
                    rows.append(
                        {
                            "calibration_id": self.calibration_id,
                            "model_version": self.model_version,
                            "language": language,
                            "true_label": true,
                            "predicted_label": predicted,
                            "labelled_count": int(counts[i, j]),
                            "confusion_rate": float(rates[i, j]),
                            "inverse_coefficient": float(inverse[i, j]),
                        }
                    )
        return rows

    def to_json(self) -> str:
        """The calibration as JSON (counts only: rates and inverses follow from them)."""
        return json.dumps(
            {
                "model_version": self.model_version,
                "name": self.name,
                "labels": list(LABELS),
                "counts": {k: v.astype(int).tolist() for k, v in sorted(self.counts.items())},
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str, source: str = "calibration") -> Calibration:
        """Read what `to_json` wrote; `source` names the file in errors."""
        try:
            data = json.loads(text)
            if tuple(data["labels"]) != LABELS:
                raise CalibrationError(f"{source}: labels {data['labels']} are not {list(LABELS)}")
            counts = {k: np.array(v, dtype=np.int64) for k, v in data["counts"].items()}
            calibration = cls(str(data["model_version"]), str(data["name"]), counts)
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, CalibrationError):
                raise
            raise CalibrationError(f"{source}: not a sentiment calibration ({error})") from error
        if ALL not in counts or any(v.shape != (3, 3) for v in counts.values()):
            raise CalibrationError(f"{source}: needs 3x3 counts per language and pooled ({ALL!r})")
        calibration.inverse(ALL)
        return calibration


def measure(
    model_version: str,
    name: str,
    true_labels: Sequence[int],
    predicted: Sequence[int] | np.ndarray,
    languages: Sequence[str],
) -> Calibration:
    """Confusion counts of `predicted` against `true_labels` (class indexes in LABELS order),
    per language; a language of '' or 'all' (a sample without a language column) counts
    in the pooled rates only."""
    counts: dict[str, np.ndarray] = {ALL: np.zeros((3, 3), dtype=np.int64)}
    for true, guess, language in zip(true_labels, predicted, languages, strict=True):
        row, column = int(true), int(guess)
        counts[ALL][row, column] += 1
        if language and language not in ("all", ALL):
            counts.setdefault(language, np.zeros((3, 3), dtype=np.int64))[row, column] += 1
    require_every_class(name, true_labels)
    calibration = Calibration(model_version, name, counts)
    calibration.inverse(ALL)
    return calibration


def require_every_class(name: str, true_labels: Sequence[int]) -> None:
    """Refuse a sample with fewer than MIN_PER_CLASS examples of a class (before scoring)."""
    found = np.bincount(np.asarray(true_labels, dtype=np.int64), minlength=3)
    if found.min() < MIN_PER_CLASS:
        raise CalibrationError(
            f"calibration {name}: needs at least {MIN_PER_CLASS} labelled examples of every "
            f"class, has {dict(zip(LABELS, found.tolist(), strict=True))}"
        )


def sample_name(path: Path) -> str:
    """``<file name>@<first 12 hex of its sha256>``: which sample, and which version of it."""
    return f"{path.name}@{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"


@dataclass(frozen=True)
class Adjusted:
    """Adjusted shares (LABELS order, clipped to [0, 1], summing to 1) and 95% intervals."""

    shares: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def adjust(calibration: Calibration, groups: Iterable[tuple[str, np.ndarray]]) -> Adjusted:
    """Adjusted shares of messages given as (language, predicted counts) groups.

    Per language ``p = A q`` and its variance (of the messages and of the calibration
    sample); languages are weighted by their messages; the result is clipped to [0, 1]
    and divided by its sum, and the interval is the estimate +- 1.96 standard errors,
    clipped to [0, 1]. The SQL in ``int_sentiment_prevalence`` does exactly this.
    """
    total = 0.0
    point = np.zeros(3)
    variance = np.zeros(3)
    for language, predicted in groups:
        n = float(np.sum(predicted))
        if n == 0:
            continue
        inverse = calibration.inverse(language)
        fractions = np.asarray(predicted, dtype=float) / n
        shares = inverse @ fractions
        point += n * shares
        variance += n * n * ((inverse**2) @ fractions - shares**2) / n
        variance += n * n * (calibration.calibration_weights(language) @ shares**2)
        total += n
    if total == 0:
        raise CalibrationError("no scored messages to adjust")
    point, variance = point / total, variance / total**2
    clipped = np.clip(point, 0.0, 1.0)
    shares = clipped / clipped.sum()
    error = 1.96 * np.sqrt(np.maximum(variance, 0.0))
    return Adjusted(shares, np.clip(shares - error, 0.0, 1.0), np.clip(shares + error, 0.0, 1.0))
