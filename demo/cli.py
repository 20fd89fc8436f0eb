"""``webcare demo-data``: write the demo landing files and truth.json into a data home."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from demo.catalogue import SIZES


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``webcare demo-data``."""
    parser = argparse.ArgumentParser(
        prog="webcare demo-data",
        description="Generate deterministic demo landing files for every source, with planted "
        "truths in <home>/truth.json. Re-running with the same arguments rewrites nothing.",
    )
    parser.add_argument(
        "--home", type=Path, default=None, help="data home (default $WEBCARE_HOME or ./data)"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--size", choices=sorted(SIZES), default="default", help="volume preset (default: default)"
    )
    parser.add_argument("--start", default="2010-01", help="first month YYYY-MM (default 2010-01)")
    parser.add_argument("--months", type=int, default=24, help="number of months (default 24)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the generator for the parsed arguments; returns the process exit code."""
    from demo.generator import DemoDataError, generate
    from warehouse.settings import Settings

    args = build_parser().parse_args(argv)
    settings = Settings.from_env(home=args.home)
    landing = settings.landing_path
    truth_path = settings.home_path / "truth.json"
    started = time.perf_counter()
    try:
        truth = generate(
            landing,
            truth_path,
            seed=args.seed,
            size=args.size,
            start=args.start,
            months=args.months,
            reporting_timezone=settings.reporting_timezone,
        )
    except DemoDataError as error:
        print(f"webcare demo-data: {error}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    counts = truth["expected_counts"]
    print(
        f"demo data ({args.size}, seed {args.seed}, {truth['months'][0]}..{truth['months'][-1]}) "
        f"in {landing} ({elapsed:.1f}s)"
    )
    for source, by_month in counts.items():
        rows = sum(m["rows_in_files"] for m in by_month.values())
        rejected = sum(m["rejected"] for m in by_month.values())
        files = sum(len(m["files"]) for m in by_month.values())
        print(f"  {source:<15} {rows:>8,} rows in {files:>3} files ({rejected} planted bad rows)")
    print(f"  truth: {truth_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
