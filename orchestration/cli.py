"""The `webcare` command line: demo data, runs, ingestion of exports, model and report commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from warehouse.settings import SOURCES


def _delegate(target: str) -> Callable[[list[str]], int]:
    module_name, function_name = target.split(":")

    def call(argv: list[str]) -> int:
        import importlib

        return int(getattr(importlib.import_module(module_name), function_name)(argv) or 0)

    return call


# Commands owned by other folders keep their own argument parsers.
DELEGATED: dict[str, tuple[str, str]] = {
    "demo-data": ("demo.cli:main", "generate the demo landing data"),
    "build-model": ("models.sentiment.cli:build_main", "build the default sentiment model"),
    "train-sentiment": ("models.sentiment.cli:train_main", "fine-tune the sentiment model"),
    "eval-sentiment": ("models.sentiment.cli:eval_main", "evaluate a model on a labelled CSV"),
    "report": ("assets.serving.report:main", "write the monthly HTML report"),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="webcare",
        description="webcare-warehouse: webcare and social-media monitoring research warehouse.",
        epilog="Other commands: "
        + "; ".join(f"{name} ({text})" for name, (_, text) in DELEGATED.items())
        + ". Use `webcare COMMAND --help`.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run",
        help="materialise every asset for the months that have landed data",
        description="Load, score, build the marts, check and publish every month with landed "
        "data in the home, then print a KPI summary and where the outputs are.",
    )
    run.add_argument("--home", help="data home (default $WEBCARE_HOME or ./data)")
    run.add_argument(
        "--months", metavar="FROM:TO", help="limit to these months, e.g. 2011-01:2011-12"
    )
    home = commands.add_parser(
        "dagster-home",
        help="create and print the home's DAGSTER_HOME (for `make dev`)",
        description="Create the Dagster instance folder of a home, with its concurrency "
        "pool settings, and print its path.",
    )
    home.add_argument("--home", help="data home (default $WEBCARE_HOME or ./data)")
    ingest = commands.add_parser(
        "ingest",
        help="land third-party exports and load every month they touch",
        description="Copy exports into the landing folder and materialise, through the same "
        "Dagster assets, every month the files touch.",
    )
    ingest.add_argument("--source", required=True, choices=[s for s in SOURCES])
    ingest.add_argument(
        "--format",
        required=True,
        help="canonical (the contract's columns) for every source; mentions: twcs "
        "(Customer Support on Twitter); complaints: cfpb (CFPB export, both header "
        "variants); stock_prices: daily_prices (per-ticker or long layout)",
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument("--home", help="data home (default $WEBCARE_HOME or ./data)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `webcare` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in DELEGATED:
        return _delegate(DELEGATED[args[0]][0])(args[1:])
    parsed = _parser().parse_args(args)
    from orchestration import commands

    if parsed.command == "run":
        return commands.run(home=parsed.home, months=parsed.months)
    if parsed.command == "dagster-home":
        from orchestration.instance import instance_dir
        from warehouse.settings import Settings

        print(instance_dir(Settings.from_env(parsed.home)))
        return 0
    return commands.ingest(
        source=parsed.source, fmt=parsed.format, paths=parsed.paths, home=parsed.home
    )


if __name__ == "__main__":
    raise SystemExit(main())
