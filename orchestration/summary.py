"""What `webcare run` prints at the end: checks, KPI summary, where the outputs are."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import dagster as dg

from warehouse.settings import Settings


def check_outcome(evaluation: dg.AssetCheckEvaluation) -> str:
    """pass, warn or fail for one check evaluation."""
    if evaluation.passed:
        return "pass"
    return "warn" if evaluation.severity == dg.AssetCheckSeverity.WARN else "fail"


# The checks written in Python (Great Expectations, volume, freshness), listed one by one;
# every other check is a dbt test.
PYTHON_CHECKS = ("gx_expectations", "volume_anomaly", "source_freshness")


def print_check_summary(results: Sequence[dg.ExecuteInProcessResult]) -> None:
    """Every check with pass/warn/fail.

    The Python checks (Great Expectations, volume, freshness) are listed one by one;
    the hundreds of dbt tests are counted, and only a warning or failure is named.
    """
    evaluations = [e for result in results for e in result.get_asset_check_evaluations()]
    if not evaluations:
        return
    outcomes = Counter(check_outcome(e) for e in evaluations)
    print(
        f"Checks: {len(evaluations)} run, {outcomes['pass']} pass, "
        f"{outcomes['warn']} warn, {outcomes['fail']} fail"
    )
    dbt_tests = Counter(check_outcome(e) for e in evaluations if e.check_name not in PYTHON_CHECKS)
    print(
        f"  dbt tests: {sum(dbt_tests.values())} run, {dbt_tests['pass']} pass, "
        f"{dbt_tests['warn']} warn, {dbt_tests['fail']} fail"
    )
    for evaluation in sorted(evaluations, key=lambda e: (e.asset_key.path, e.check_name)):
        outcome = check_outcome(evaluation)
        if outcome == "pass" and evaluation.check_name not in PYTHON_CHECKS:
            continue
        name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
        print(f"  {outcome:<5}{name} {evaluation.description or ''}".rstrip())


KPI_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (mart column, header, format)
    ("net_sentiment", "net sent.", "{:+.2f}"),
    ("share_of_voice", "SoV", "{:.0%}"),
    ("median_first_response_minutes", "median FRT", "{:.0f} min"),
    ("sla_attainment", "SLA", "{:.0%}"),
    ("complaint_to_online_ratio", "compl/online", "{:.1f}"),
    ("nps", "NPS", "{:+.0f}"),
)


def _fmt(value: object, pattern: str) -> str:
    return "-" if value is None else pattern.format(value)


# What each correlation line needs, in correlation_line's order.
CORRELATION_COLUMNS = (
    "lag_months, n_brand_months, pearson_r, pearson_r_ci_lower_95, pearson_r_ci_upper_95"
)


def correlation_line(
    label: str,
    lag: int,
    n: int,
    r: float | None,
    lower: float | None,
    upper: float | None,
) -> str:
    """One all-brands correlation of the marts, with its 95% interval or why it has none."""
    from assets.serving.report.formatting import correlation_interval, correlation_without_r

    when = "same month" if lag == 0 else f"sentiment {lag} month before"
    if r is None:
        return f"Net sentiment vs {label} ({when}): {correlation_without_r(n)}"
    return (
        f"Net sentiment vs {label} ({when}): r = {r:+.2f} over {n} brand-months"
        + correlation_interval(n, r, lower, upper)
    )


# The summary lists at most this many brands, those with the most mentions.
SUMMARY_BRANDS = 30


def print_kpi_summary(settings: Settings, month: str) -> None:
    """Headline KPIs of `month` for the brands with data that month (at most
    `SUMMARY_BRANDS`, the most mentioned), and how sentiment relates to NPS and returns.

    Reads the published snapshot, the same file BI tools read; without one it
    says so and prints no figures (it never reads the live warehouse).
    """
    from assets.serving.report.queries import BRANDS_WITH_DATA
    from assets.serving.snapshot import SnapshotMissingError, open_snapshot

    month_start = f"{month}-01"
    try:
        with open_snapshot(settings) as snapshot:
            columns = ", ".join(f"b.{column}" for column, _, _ in KPI_COLUMNS)
            # most mentions first, for the cut; printed by sector and brand
            ranked = snapshot.rows(
                f"select b.sector, b.brand, {columns} "
                "from marts.fct_brand_benchmark_monthly b "
                "join marts.fct_sentiment_monthly s using (brand, reporting_month) "
                f"where b.reporting_month = $month and b.brand in ({BRANDS_WITH_DATA}) "
                "order by s.mentions desc, b.brand",
                {"month": month_start},
            )
            (brands,) = snapshot.rows(
                "select count(*) from marts.fct_brand_benchmark_monthly where reporting_month = ?",
                [month_start],
            )[0]
            nps_r = snapshot.rows(
                f"select {CORRELATION_COLUMNS} from marts.fct_sentiment_nps_correlation "
                "where scope_type = 'all' and sentiment_measure = 'net_sentiment' "
                "and outcome_measure = 'nps' order by lag_months"
            )
            stock_r = snapshot.rows(
                f"select {CORRELATION_COLUMNS} from marts.fct_sentiment_stock_correlation "
                "where scope_type = 'all' and reporting_month is null "
                "and sentiment_measure = 'net_sentiment' and outcome_measure = 'monthly_return' "
                "order by lag_months"
            )
    except SnapshotMissingError as error:
        print(f"\nKPI summary {month}: no published snapshot, {error}")
        return
    print(f"\nKPI summary {month} (from {snapshot.path})")
    header = f"{'sector':<10}{'brand':<22}" + "".join(f"{h:>14}" for _, h, _ in KPI_COLUMNS)
    print(header)
    rows = sorted(ranked[:SUMMARY_BRANDS], key=lambda row: (row[0] or "", row[1]))
    for sector, brand, *values in rows:
        cells = "".join(
            f"{_fmt(v, pattern):>14}"
            for v, (_, _, pattern) in zip(values, KPI_COLUMNS, strict=True)
        )
        print(f"{sector or '-':<10}{brand:<22}{cells}")
    if len(ranked) > SUMMARY_BRANDS:
        print(
            f"({SUMMARY_BRANDS} of the {len(ranked)} brands with data in {month}, those with "
            "the most mentions; all in marts.fct_brand_benchmark_monthly and the report)"
        )
    if brands > len(ranked):
        without = brands - len(ranked)
        print(
            f"({without} brand{'s' if without != 1 else ''} without mentions, complaints or "
            f"NPS answers in {month} not listed)"
        )
    for label, found in (("NPS", nps_r), ("monthly return", stock_r)):
        for row in found:
            print(correlation_line(label, *row))


def print_outputs(settings: Settings, month: str) -> None:
    """Where the outputs are: warehouse, snapshot, Parquet, report and Data Docs."""
    from assets.serving import published_paths
    from expectations.runner import data_docs_index

    paths = published_paths(settings)
    print("\nOutputs")
    print(f"  live warehouse   {settings.duckdb_path}  (pipeline only; BI tools read the snapshot)")
    print(f"  snapshot         {paths['snapshot']}")
    print(f"  Parquet marts    {paths['parquet']}/")
    print(f"  report           {paths['report'] / f'{month}.html'}")
    print(f"  Data Docs        {data_docs_index(settings)}")
    print(f"  Dagster UI       make dev  (DAGSTER_HOME={settings.state_path / 'dagster'})")
