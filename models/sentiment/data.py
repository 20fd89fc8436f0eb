"""Labelled sentiment data: reading CSV files and the fixed train / held-out split."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from models.sentiment.labels import LABEL_INDEX, LABELS
from models.sentiment.text import normalise_text

# Held-out share per language. The split hashes the normalised text with the seed, so
# duplicates and retweets of one text always land on the same side (no leakage), and
# the split does not depend on file order.
HELDOUT_FRACTION = 0.2
SPLIT_SEED = 20240601


class LabelledDataError(ValueError):
    """A labelled file cannot be used; the message names the file, line and column."""


@dataclass
class LabelledSet:
    """Parallel lists of texts, label indexes (see `LABELS`), languages and sources."""

    texts: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, text: str, label: int, language: str, source: str) -> None:
        """Append one example."""
        self.texts.append(text)
        self.labels.append(label)
        self.languages.append(language)
        self.sources.append(source)

    def subset(self, indexes: list[int]) -> LabelledSet:
        """A new set holding the given rows, in that order."""
        return LabelledSet(
            [self.texts[i] for i in indexes],
            [self.labels[i] for i in indexes],
            [self.languages[i] for i in indexes],
            [self.sources[i] for i in indexes],
        )


def read_labelled_csv(path: Path, default_language: str = "all") -> LabelledSet:
    """Read a CSV with columns ``text``, ``label`` and optionally ``language`` and ``source``.

    Labels must be negative/neutral/positive (case-insensitive). Any other value stops
    the read with the file, line and column, so a mislabelled file is never half-used.
    """
    path = Path(path)
    if not path.is_file():
        raise LabelledDataError(f"{path}: file not found")
    result = LabelledSet()
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise LabelledDataError(f"{path}: empty file, expected a header with text,label")
        columns = {name.strip().lower(): index for index, name in enumerate(header)}
        for required in ("text", "label"):
            if required not in columns:
                raise LabelledDataError(
                    f"{path}, line 1: missing column {required!r} (header: {header})"
                )
        line = reader.line_num + 1
        for row in reader:
            start, line = line, reader.line_num + 1
            if not row:
                continue
            if len(row) != len(header):
                raise LabelledDataError(
                    f"{path}, line {start}: {len(row)} fields, header has {len(header)}"
                )
            raw_label = row[columns["label"]].strip().lower()
            if raw_label not in LABEL_INDEX:
                column = columns["label"] + 1
                raise LabelledDataError(
                    f"{path}, line {start}, column {column} (label): {raw_label!r} is not one "
                    f"of {', '.join(LABELS)}"
                )
            language = row[columns["language"]].strip() if "language" in columns else ""
            source = row[columns["source"]].strip() if "source" in columns else path.stem
            result.add(
                row[columns["text"]], LABEL_INDEX[raw_label], language or default_language, source
            )
    return result


def read_labelled_dirs(data_dirs: list[Path]) -> LabelledSet:
    """Every ``*.csv`` of the given folders (each sorted by name), concatenated in that order."""
    combined = LabelledSet()
    for data_dir in map(Path, data_dirs):
        files = sorted(data_dir.glob("*.csv"))
        if not files:
            raise LabelledDataError(f"{data_dir}: no labelled *.csv files")
        for file in files:
            part = read_labelled_csv(file)
            for text, label, language, source in zip(
                part.texts, part.labels, part.languages, part.sources, strict=True
            ):
                combined.add(text, label, language, source)
    return combined


def is_heldout(text: str, seed: int = SPLIT_SEED, fraction: float = HELDOUT_FRACTION) -> bool:
    """Whether a text belongs to the held-out side of the fixed split."""
    digest = hashlib.sha256(f"{seed}:{normalise_text(text)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split(data: LabelledSet, seed: int = SPLIT_SEED) -> tuple[LabelledSet, LabelledSet]:
    """The fixed (train, held-out) split; about `HELDOUT_FRACTION` of every language is held out."""
    heldout = [i for i, text in enumerate(data.texts) if is_heldout(text, seed)]
    held = set(heldout)
    train = [i for i in range(len(data)) if i not in held]
    return data.subset(train), data.subset(heldout)


def default_data_dirs() -> list[Path]:
    """The real labelled tweets in ``<repo>/../shared/data``: ``sentiment/`` (the first
    training sources) and ``sentiment_extra/`` (general, brand, customer-service and
    multilingual tweets, Dutch review sentences; see MODEL_CARD.md)."""
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    return [shared / "sentiment", shared / "sentiment_extra"]
