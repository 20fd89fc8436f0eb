"""What `webcare run` prints at the end: checks, KPI summary, where the outputs are."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import dagster as dg


def check_outcome(evaluation: dg.AssetCheckEvaluation) -> str:
    """pass, warn or fail for one check evaluation."""
    if evaluation.passed:
        return "pass"
    return "warn" if evaluation.severity == dg.AssetCheckSeverity.WARN else "fail"


def print_check_summary(results: Sequence[dg.ExecuteInProcessResult]) -> None:
    """Every check with pass/warn/fail: counts per kind, and each warning or failure by name."""
    evaluations = [e for result in results for e in result.get_asset_check_evaluations()]
    if not evaluations:
        return
    outcomes = Counter(check_outcome(e) for e in evaluations)
    print(
        f"Checks: {len(evaluations)} run, {outcomes['pass']} pass, "
        f"{outcomes['warn']} warn, {outcomes['fail']} fail"
    )
    for evaluation in sorted(
        evaluations, key=lambda e: (e.asset_key.to_user_string(), e.check_name)
    ):
        outcome = check_outcome(evaluation)
        if outcome == "pass" and evaluation.asset_key.path[0] not in ("raw", "scores", "published"):
            continue
        name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        print(f"  {outcome:<5}{name} {evaluation.description or ''}".rstrip())
