"""`dbt build` of the whole project on the fixture warehouse: every node runs and passes."""

from __future__ import annotations

from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

MART_NAMES = {
    "fct_sentiment_monthly",
    "fct_inbound_messages",
    "fct_webcare_response_monthly",
    "fct_complaint_channels_monthly",
    "fct_nps_monthly",
    "fct_sentiment_nps_monthly",
    "fct_sentiment_nps_correlation",
    "fct_sentiment_stock_monthly",
    "fct_sentiment_stock_correlation",
    "fct_webcare_roi_monthly",
    "fct_brand_benchmark_monthly",
    "fct_negative_spike_alerts",
    "fct_repeat_complainers_monthly",
    "dim_brands",
    "dim_webcare_accounts",
    "dim_months",
}


def _results(fixture_build):
    assert fixture_build.result.exception is None, fixture_build.result.exception
    return fixture_build.result.result.results


def test_every_model_test_and_unit_test_passes(fixture_build):
    """No node of the build failed, errored or was skipped."""
    failures = [
        f"{r.node.unique_id}: {r.status} {r.message}"
        for r in _results(fixture_build)
        # dbt reports the exposures (who reads the marts) as no-op nodes
        if str(r.status) not in ("success", "pass")
        and not (r.node.resource_type == "exposure" and str(r.status) == "no-op")
    ]
    assert failures == []
    assert fixture_build.result.success


def test_build_covers_every_model_file_and_the_kpi_unit_tests(fixture_build):
    """Each .sql model file was built, and the KPI unit tests and data tests ran."""
    results = _results(fixture_build)
    built_models = {r.node.name for r in results if r.node.resource_type == "model"}
    model_files = {p.stem for p in Path(DBT_PROJECT_DIR, "models").rglob("*.sql")}
    assert built_models == model_files
    assert built_models >= MART_NAMES
    unit_tests = {r.node.name for r in results if r.node.resource_type == "unit_test"}
    assert {
        "nps_and_margin_of_error",
        "sentiment_shares_polar_net_sentiment_and_share_of_voice",
        "net_sentiment_over_all_mentions",
        "opening_windows_keep_local_hours_across_dst",
        "business_minutes_weekend_dst_and_sla",
        "response_rate_sla_and_percentiles_with_unanswered_messages",
        "personalisation_detection",
        "brand_reply_counts_in_the_month_of_the_reply",
        "first_response_skips_bots_automated_and_early_replies",
        "message_naming_two_brands_is_answered_by_each",
        "message_linked_only_by_a_brand_reply_is_addressed_via_response",
        "automated_and_bot_replies_address_but_never_answer",
        "addressed_via_precedence_reply_handle_response",
        "personalisation_rate_leaves_automated_replies_out",
        "complaint_ratios_and_channel_escalation",
        "escalation_within_the_window_after_the_complaint",
        "recovery_of_contacted_and_uncontacted_posters",
        "recovery_uplift_value_and_roi",
        "contact_is_a_human_reply_of_the_brand",
        "deletion_counts_only_after_the_human_reply",
        "webcare_cost_counts_human_replies_in_the_reply_month",
        "spike_rule",
        "repeat_complainers",
        "correlation_with_hand_computed_r",
    } <= unit_tests
    data_tests = [r for r in results if r.node.resource_type == "test"]
    tested_models = {dep.split(".")[-1] for r in data_tests for dep in r.node.depends_on.nodes}
    assert model_files <= tested_models, "every model needs at least a primary-key test"


def test_marts_live_in_their_schemas(fixture_build):
    """Custom schema names are used as-is: staging views, intermediate, marts tables."""
    with fixture_build.connect() as con:
        tables = con.execute(
            "select table_schema, table_name, table_type from information_schema.tables"
        ).fetchall()
    by_name = {name: (schema, kind) for schema, name, kind in tables}
    for mart in MART_NAMES:
        assert by_name[mart] == ("marts", "BASE TABLE")
    assert by_name["stg_raw__mentions"] == ("staging", "VIEW")
    assert by_name["int_mentions_enriched"][0] == "intermediate"


def test_dbt_by_hand_sends_no_usage_events(dbt_invoke, tmp_path, monkeypatch):
    """dbt run by hand on the project (no dagster-dbt, which turns tracking off for its
    own runs, and no DBT_SEND_ANONYMOUS_USAGE_STATS) sends dbt Labs no usage events:
    the project's flags say so."""
    monkeypatch.delenv("DBT_SEND_ANONYMOUS_USAGE_STATS", raising=False)
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    result = dbt_invoke(["parse", "--quiet"], tmp_path / "warehouse.duckdb", tmp_path)
    assert result.success, result.exception
    assert result.result.metadata.send_anonymous_usage_stats is False
