"""Throughput of sentiment scoring: a naive pipeline vs the asset's batched path.

``python bench/bench_sentiment.py`` (``make bench``) scores a fixed sample of real
customer tweets (the first inbound tweets of ``../shared/data/twcs/twcs_random5000.csv``)
and prints messages per second and peak memory for

(a) ``transformers.pipeline("text-classification")`` called one message at a time,
    with the same model and the same ``query: `` input prefix, and
(b) `SentimentModel.predict` as the scoring asset calls it with the default settings
    (length-sorted batches under ``torch.inference_mode``; int8 dynamic quantisation for
    the default model), and, for comparison, the same batched path in fp32.

Each path runs in a fresh subprocess so its peak resident memory is its own, and the
issue's target ((b) >= 150 messages/s and >= 3x (a)) is checked at the end. Timings vary
with machine load; nothing here asserts on them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE_FILE = REPO.parent / "shared" / "data" / "twcs" / "twcs_random5000.csv"
DEFAULT_MODEL = "webcare-e5-small-sentiment"
TARGET_RATE = 150  # messages per second, batched path, 2 cores (issue: sentiment scoring)
TARGET_SPEEDUP = 3.0  # batched vs naive (restated in the sentiment v2 issue: 5x is beyond this CPU)


def sample_tweets(count: int, path: Path = SAMPLE_FILE) -> list[str]:
    """The first `count` inbound (customer) tweets of the twcs sample, in file order."""
    if not path.is_file():
        raise SystemExit(f"bench: sample file not found: {path} (needs ../shared/data)")
    texts: list[str] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["inbound"] == "True" and row["text"].strip():
                texts.append(row["text"])
                if len(texts) == count:
                    break
    return texts


def _peak_mib() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_path(args: argparse.Namespace) -> dict[str, object]:
    """Inside a child process: time one path and report its numbers."""
    sys.path.insert(0, str(REPO))
    from models.sentiment.inference import SentimentModel, default_threads
    from warehouse.defaults import DEFAULT_BATCH_SIZE

    # SentimentModel.load gives torch this many threads
    threads = args.threads or default_threads()
    # naive and batched-fp32 load the plain model; batched is what the asset loads
    quantize = None if args.path == "batched" else False
    model = SentimentModel.load(args.model, args.cache_dir, threads=threads, quantize=quantize)
    if args.path == "naive":
        from transformers import pipeline

        texts = sample_tweets(args.naive_n)
        classify = pipeline("text-classification", model=model.model, tokenizer=model.tokenizer)
        classify(model.text_prefix + texts[0])  # warm-up, as the batched path gets one too
        started = time.perf_counter()
        for text in texts:
            classify(model.text_prefix + text, truncation=True, max_length=model.max_length)
        elapsed = time.perf_counter() - started
    else:
        texts = sample_tweets(args.n)
        batch_size = args.batch_size or DEFAULT_BATCH_SIZE
        model.predict(texts[:batch_size], batch_size=batch_size)  # warm-up
        started = time.perf_counter()
        model.predict(texts, batch_size=batch_size)
        elapsed = time.perf_counter() - started
    return {
        "path": args.path,
        "messages": len(texts),
        "seconds": round(elapsed, 2),
        "messages_per_second": round(len(texts) / elapsed, 1),
        "peak_rss_mib": round(_peak_mib(), 0),
        "threads": threads,
        "model_version": model.version,
    }


def main(argv: list[str] | None = None) -> int:
    """Run each path in its own process and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="tweets for the batched path")
    parser.add_argument("--naive-n", type=int, default=200, help="tweets for the naive path")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the asset's")
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: OMP_NUM_THREADS or all)"
    )
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(os.environ.get("WEBCARE_MODEL_CACHE_DIR", REPO / ".cache" / "models")),
    )
    parser.add_argument("--paths", default="naive,batched,batched-fp32")
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.path:
        print(json.dumps(_run_path(args)))
        return 0

    sys.path.insert(0, str(REPO))
    from models.sentiment.build import build_default_model

    if args.model == DEFAULT_MODEL:
        build_default_model(args.cache_dir)
    results = []
    for path in args.paths.split(","):
        command = [sys.executable, __file__, "--path", path, "--model", args.model]
        command += ["--cache-dir", str(args.cache_dir), "--n", str(args.n)]
        command += ["--naive-n", str(args.naive_n)]
        if args.batch_size:
            command += ["--batch-size", str(args.batch_size)]
        if args.threads:
            command += ["--threads", str(args.threads)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))

    by_path = {result["path"]: result for result in results}
    versions = sorted({str(result["model_version"]) for result in results})
    print(f"model {', '.join(versions)}, {results[0]['threads']} threads")
    print(f"{'path':<14}{'messages':>9}{'seconds':>9}{'msg/s':>9}{'peak MiB':>10}")
    for result in results:
        print(
            f"{result['path']:<14}{result['messages']:>9}{result['seconds']:>9}"
            f"{result['messages_per_second']:>9}{result['peak_rss_mib']:>10.0f}"
        )
    if "naive" in by_path:
        naive = float(by_path["naive"]["messages_per_second"])
        for name in ("batched", "batched-fp32"):
            if name in by_path:
                ratio = float(by_path[name]["messages_per_second"]) / naive
                by_path[name]["speedup_vs_naive"] = round(ratio, 2)
                print(f"speed-up {name} vs naive: {ratio:.1f}x")
    if "naive" in by_path and "batched" in by_path:
        rate = float(by_path["batched"]["messages_per_second"])
        ratio = float(by_path["batched"]["speedup_vs_naive"])
        verdict = "met" if rate >= TARGET_RATE and ratio >= TARGET_SPEEDUP else "missed"
        print(
            f"target (batched >= {TARGET_RATE} msg/s and >= {TARGET_SPEEDUP:.0f}x naive): "
            f"{verdict} ({rate:.0f} msg/s, {ratio:.1f}x)"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
