"""What ``webcare train-sentiment``, ``eval-sentiment`` and ``build-model`` do.

The arguments are parsed in one place, `orchestration.cli`; each function here takes
the parsed arguments and returns the process exit code.
"""

from __future__ import annotations

import json
import sys
import time
from argparse import Namespace
from pathlib import Path

from models.sentiment.build import (
    ModelWeightsError,
    build_default_model,
    default_model_version,
)
from models.sentiment.data import (
    SPLIT_SEED,
    LabelledDataError,
    LabelledSet,
    default_data_dirs,
    read_labelled_csv,
    read_labelled_dirs,
    split,
)
from models.sentiment.e5_convert import PACKED_SHA256, QUERY_PREFIX, ConversionError


def _subsample(data: LabelledSet, limit: int, seed: int) -> LabelledSet:
    """At most `limit` rows per language, chosen with `seed` (for quick trial runs)."""
    import random

    rng = random.Random(seed)
    chosen: list[int] = []
    for language in sorted(set(data.languages)):
        rows = [i for i, lang in enumerate(data.languages) if lang == language]
        rng.shuffle(rows)
        chosen.extend(sorted(rows[:limit]))
    return data.subset(sorted(chosen))


def training_sets(
    data_dirs: list[Path], exclude_sources: list[str] | None = None
) -> tuple[LabelledSet, LabelledSet]:
    """The training and held-out split of `data_dirs`, without the rows of `exclude_sources`
    (a leave-one-source-out run: train without X, then evaluate on all of X)."""
    data = read_labelled_dirs(data_dirs)
    excluded = set(exclude_sources or ())
    unknown = excluded - set(data.sources)
    if unknown:
        raise LabelledDataError(
            f"{', '.join(map(str, data_dirs))}: no rows of source {', '.join(sorted(unknown))} "
            f"(sources: {', '.join(sorted(set(data.sources)))})"
        )
    if excluded:
        data = data.subset([i for i, s in enumerate(data.sources) if s not in excluded])
    return split(data)


def train(args: Namespace) -> int:
    """``webcare train-sentiment``: fine-tune and write the small weights file."""
    import torch

    from models.sentiment.train import TrainConfig, build_training_model, save_trained, train

    if args.threads:
        torch.set_num_threads(args.threads)
    data_dirs = args.data_dir or default_data_dirs()
    cache_dir = args.cache_dir
    try:
        train_set, heldout = training_sets(data_dirs, args.exclude_source)
    except LabelledDataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.exclude_source:
        print(
            f"left out of training and held-out: {', '.join(args.exclude_source)} "
            f"({len(train_set)} training rows remain); evaluate on it with "
            "`webcare eval-sentiment FILE --by source`",
            flush=True,
        )
    if args.limit:
        train_set = _subsample(train_set, args.limit, args.seed)
        heldout = _subsample(heldout, max(args.limit // 4, 20), args.seed)
    config = TrainConfig(
        layers=args.layers,
        trainable_layers=args.trainable_layers,
        epochs=args.epochs,
        max_length=args.max_length,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        seed=args.seed,
    )
    try:
        model, tokenizer = build_training_model(cache_dir, config.seed, config.layers)
    except ConversionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    metadata = {
        "base_sha256": PACKED_SHA256,
        "text_prefix": QUERY_PREFIX,
        "labels": "negative,neutral,positive",
        "split_seed": str(SPLIT_SEED),
        "train_rows": str(len(train_set)),
        "data_files": ",".join(
            sorted(p.name for data_dir in data_dirs for p in Path(data_dir).glob("*.csv"))
        ),
    }
    started = time.monotonic()

    def save(trained_model: object, epoch: int) -> None:
        path = save_trained(trained_model, config, args.output, {**metadata, "epoch": str(epoch)})
        print(f"saved {path} after epoch {epoch} ({path.stat().st_size / 1e6:.1f} MB)", flush=True)

    train(
        model,
        tokenizer,
        train_set,
        config,
        QUERY_PREFIX,
        save,
        heldout=heldout,
        state_cache=cache_dir / "train-states",
    )
    print(f"training finished in {(time.monotonic() - started) / 60:.1f} min", flush=True)
    return 0


def build(args: Namespace) -> int:
    """``webcare build-model``: build the default model into the cache (fast when built)."""
    cache_dir = args.cache_dir
    started = time.monotonic()
    try:
        path = build_default_model(cache_dir, args.weights, force=args.force, verify=True)
        version = default_model_version(args.weights)
    except (ModelWeightsError, ConversionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{version} ready in {path} ({time.monotonic() - started:.1f} s)")
    return 0


def evaluate(args: Namespace) -> int:
    """``webcare eval-sentiment``: metrics per language or source for a labelled CSV."""
    from models.sentiment.inference import SentimentModel
    from models.sentiment.metrics import format_report, sentiment_report

    try:
        if args.heldout:
            data = split(read_labelled_dirs(args.data_dir or default_data_dirs()))[1]
        else:
            data = read_labelled_csv(args.file)
        label_map = json.loads(args.label_map) if args.label_map else None
        model = SentimentModel.load(args.model, args.cache_dir, label_map, quantize=args.quantize)
    except (LabelledDataError, ModelWeightsError, ConversionError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    started = time.monotonic()
    probabilities = model.predict(data.texts, batch_size=args.batch_size)
    elapsed = time.monotonic() - started
    groups = data.languages if args.by == "language" else data.sources
    report = sentiment_report(data.labels, probabilities.argmax(axis=1).tolist(), groups)
    if args.json:
        print(json.dumps(report, sort_keys=True))
    else:
        print(f"model {model.version}, {len(data)} texts in {elapsed:.1f} s")
        print(format_report(report))
    return 0


def calibrate(args: Namespace) -> int:
    """``webcare calibrate-sentiment``: the model's confusion rates on a labelled sample.

    Scores the sample with the model exactly as the scoring asset does (same spec, label
    map and precision), counts per language how each true class was predicted, and writes
    the calibration the marts correct class shares with.
    """
    from models.sentiment.calibration import (
        ALL,
        CalibrationError,
        measure,
        require_every_class,
        sample_name,
    )
    from models.sentiment.inference import SentimentModel

    try:
        if args.heldout:
            data = split(read_labelled_dirs(args.data_dir or default_data_dirs()))[1]
            name = "heldout"
        else:
            data = read_labelled_csv(args.file)
            name = sample_name(args.file)
        require_every_class(name, data.labels)
        model = SentimentModel.load(
            args.model, args.cache_dir, args.label_map or None, quantize=args.quantize
        )
        predicted = model.predict(data.texts, batch_size=args.batch_size).argmax(axis=1)
        calibration = measure(model.version, name, data.labels, predicted, data.languages)
    except (LabelledDataError, ModelWeightsError, ConversionError, CalibrationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(calibration.to_json() + "\n", encoding="utf-8")
    print(f"calibration {calibration.calibration_id}: {len(data)} labelled texts")
    for language in calibration.languages():
        counts = calibration.counts[language] if language != ALL else calibration.pooled_counts()
        accuracy = counts.trace() / counts.sum()
        rates = calibration.rates(language)
        recalls = ", ".join(
            f"{label} {rates[i, i]:.2f}" for i, label in enumerate(("neg", "neu", "pos"))
        )
        print(
            f"  {language:<4} n={int(counts.sum()):>5}  accuracy {accuracy:.3f}  recall {recalls}"
        )
    skipped = sorted(set(calibration.counts) - set(calibration.languages()))
    if skipped:
        print(f"  too few examples of a class, pooled rates used: {', '.join(skipped)}")
    print(f"written to {args.output}")
    return 0
