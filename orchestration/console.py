"""The console logger of webcare runs: Dagster's coloured lines, one line per failure.

A failed step reaches the console as Dagster's ~20-line stack trace in front of
the one line that says what is wrong. On the console the trace is cut after the
message's first line (`webcare run` prints what failed, and why, at the end);
the run's event log keeps it whole, for `make dev` and the Dagster UI.
"""

from __future__ import annotations

import logging

import dagster as dg
from dagster._utils.log import create_console_logger

TRACE_MARKER = "Stack Trace:"


class FirstLineOfTraces(logging.Filter):
    """Keep only the first line of a record whose message carries a stack trace."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Shorten the record in place; never drops one."""
        message = record.getMessage()
        if TRACE_MARKER in message:
            record.msg = message.split("\n", 1)[0] + " (stack trace in the Dagster run log)"
            record.args = ()
        return True


@dg.logger(
    {
        "log_level": dg.Field(str, is_required=False, default_value="INFO"),
        "name": dg.Field(str, is_required=False, default_value="dagster"),
    },
    description="Dagster's coloured console logger, with failures cut to their first line.",
)
def console_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    """The console logger every webcare job uses (the event log keeps full stack traces)."""
    logger = create_console_logger(
        name=init_context.logger_config["name"], level=init_context.logger_config["log_level"]
    )
    logger.addFilter(FirstLineOfTraces())
    return logger
