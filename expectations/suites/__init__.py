"""One suite module per boundary table, built in code (GX 1.x).

Every module exposes ``build_suite(...) -> gx.ExpectationSuite`` and, where the
suite needs columns computed from the table (the month of a timestamp, the
arg-max label), ``prepare(frame, ...) -> frame`` that adds them. Every
expectation carries ``meta={"severity": "error" | "warn"}``: a failed
error-level expectation blocks what is downstream, a failed warn-level one only
warns.
"""

from expectations.suites._common import ERROR, SEVERITIES, WARN

__all__ = ["ERROR", "SEVERITIES", "WARN"]
