"""What ``webcare demo-data`` does: write the demo landing files and truth.json into a home.

Its arguments are parsed in `orchestration.cli`.
"""

from __future__ import annotations

import sys
import time
from argparse import Namespace

from warehouse.settings import Settings


def demo_data(args: Namespace) -> int:
    """Run the generator for the parsed arguments; returns the process exit code."""
    from demo.generator import DemoDataError, generate

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
            sarcastic_share=args.sarcastic_share,
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
