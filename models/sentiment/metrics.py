"""Classification metrics per language: accuracy, macro-F1, macro-recall, class shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np

from models.sentiment.labels import LABELS

ALL = "all"


def _metrics(true: np.ndarray, pred: np.ndarray) -> dict[str, object]:
    n_classes = len(LABELS)
    recalls, f1s = [], []
    for label in range(n_classes):
        true_positive = int(np.sum((true == label) & (pred == label)))
        actual = int(np.sum(true == label))
        predicted = int(np.sum(pred == label))
        # A class absent from both truth and predictions is left out of the macro means
        # (it says nothing); absent from truth only, it counts as F1 0 (false alarms).
        if actual == 0 and predicted == 0:
            continue
        recall = true_positive / actual if actual else 0.0
        precision = true_positive / predicted if predicted else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if actual:
            recalls.append(recall)
        f1s.append(f1)
    n = len(true)
    return {
        "n": n,
        "accuracy": float(np.mean(true == pred)) if n else 0.0,
        "macro_f1": float(np.mean(f1s)) if f1s else 0.0,
        "macro_recall": float(np.mean(recalls)) if recalls else 0.0,
        "predicted_shares": {
            label: float(np.mean(pred == i)) if n else 0.0 for i, label in enumerate(LABELS)
        },
        "true_shares": {
            label: float(np.mean(true == i)) if n else 0.0 for i, label in enumerate(LABELS)
        },
    }


def sentiment_report(
    true: Sequence[int], predicted: Sequence[int], groups: Sequence[str]
) -> dict[str, dict[str, object]]:
    """Metrics per group (usually the language) and for ``all`` rows together.

    Labels are indexes into `LABELS`. Each entry holds n, accuracy, macro_f1,
    macro_recall, predicted_shares and true_shares (fractions per label).
    """
    true_array = np.asarray(true, dtype=np.int64)
    pred_array = np.asarray(predicted, dtype=np.int64)
    group_array = np.asarray(groups, dtype=object)
    if not len(true_array) == len(pred_array) == len(group_array):
        raise ValueError("true, predicted and groups must have the same length")
    report = {
        str(group): _metrics(true_array[group_array == group], pred_array[group_array == group])
        for group in sorted(set(group_array.tolist()))
        if group != ALL
    }
    report[ALL] = _metrics(true_array, pred_array)
    return report


def format_report(report: dict[str, dict[str, object]]) -> str:
    """A fixed-width table of a `sentiment_report`, one line per group."""
    header = (
        f"{'group':<10}{'n':>7}{'acc':>8}{'macroF1':>9}{'macroR':>9}"
        "   predicted share neg/neu/pos   true share neg/neu/pos"
    )
    lines = [header]
    for group, values in report.items():
        predicted = cast(dict[str, float], values["predicted_shares"])
        actual = cast(dict[str, float], values["true_shares"])
        lines.append(
            f"{group:<10}{values['n']:>7}{values['accuracy']:>8.3f}{values['macro_f1']:>9.3f}"
            f"{values['macro_recall']:>9.3f}   "
            + "/".join(f"{predicted[label]:.2f}" for label in LABELS)
            + "                "
            + "/".join(f"{actual[label]:.2f}" for label in LABELS)
        )
    return "\n".join(lines)
