"""The three sentiment classes, in the order every probability array uses."""

from __future__ import annotations

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
LABEL_INDEX: dict[str, int] = {label: index for index, label in enumerate(LABELS)}
