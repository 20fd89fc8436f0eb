"""The whole Definitions load, and the asset graph is one connected, documented picture."""

from pathlib import Path

import dagster as dg
import pytest

from assets.dbt import dbt_project, mart_primary_keys
from orchestration.definitions import build_definitions
from warehouse.settings import Settings


@pytest.fixture(scope="module")
def repository(tmp_path_factory):
    settings = Settings.from_env(tmp_path_factory.mktemp("home"))
    return build_definitions(settings).get_repository_def()


def test_every_job_schedule_and_sensor_resolves(repository):
    jobs = {job.name for job in repository.get_all_jobs()}
    assert {
        "load_reference",
        "load_raw",
        "load_and_score",
        "publish_marts",
        "monthly_research",
    } <= jobs
    schedule = repository.get_schedule_def("monthly_research_schedule")
    assert schedule.job_name == "monthly_research"
    sensor = repository.get_sensor_def("landing_sensor")
    assert {target.job_name for target in sensor.targets} == {"monthly_research", "load_reference"}


def test_monthly_research_covers_raw_to_published(repository):
    job = repository.get_job("monthly_research")
    keys = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    for expected in (
        "raw/mentions",
        "raw/complaints",
        "raw/nps_responses",
        "raw/stock_prices",
        "scores/mention_sentiment",
        "marts/fct_sentiment_monthly",
        "marts/fct_webcare_roi_monthly",
        "published/warehouse_snapshot",
        "published/monthly_report",
    ):
        assert expected in keys


def test_dbt_sources_are_the_python_assets(repository):
    graph = repository.asset_graph
    staging = graph.get(dg.AssetKey(["staging", "stg_raw__mentions"]))
    assert dg.AssetKey(["raw", "mentions"]) in staging.parent_keys
    scores = graph.get(dg.AssetKey(["staging", "stg_scores__mention_sentiment"]))
    assert dg.AssetKey(["scores", "mention_sentiment"]) in scores.parent_keys
    # No dangling source assets: every upstream of a dbt model is materialisable here.
    for key in graph.get_all_asset_keys():
        assert graph.get(key).is_materializable, f"{key.to_user_string()} has no definition"


def test_the_marts_and_their_grains_come_from_the_dbt_manifest(tmp_path):
    """One list of marts: every model in the marts schema, each with the grain dbt infers
    from its uniqueness tests; the mart checks and the publish asset follow it."""
    settings = Settings.from_env(tmp_path)
    grains = mart_primary_keys(dbt_project(settings))
    marts_folder = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts"
    assert sorted(grains) == sorted(path.stem for path in marts_folder.rglob("*.sql"))
    assert len(grains) == 16
    assert set(grains["fct_inbound_messages"]) == {"mention_key", "account_key"}
    assert set(grains["fct_negative_spike_alerts"]) == {"brand", "reporting_date"}
    assert set(grains["fct_sentiment_monthly"]) == {"brand", "reporting_month"}
    assert all(grains.values()), "every mart has a uniqueness test"
    definitions = build_definitions(settings)
    checked = {
        key.asset_key.path[-1]
        for key in definitions.get_repository_def().asset_graph.asset_check_keys
        if key.asset_key.path[0] == "marts" and key.name == "gx_expectations"
    }
    assert checked == set(grains)


def test_every_asset_has_a_description_and_a_layer_group(repository):
    graph = repository.asset_graph
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description, f"{key.to_user_string()} has no description"
        assert node.group_name == key.path[0], key.to_user_string()


def test_dbt_tests_and_gx_suites_are_asset_checks(repository):
    checks = repository.asset_graph.asset_check_keys
    by_asset: dict[str, set[str]] = {}
    for check in checks:
        by_asset.setdefault(check.asset_key.to_user_string(), set()).add(check.name)
    assert any(name.startswith("unique_") for name in by_asset["marts/fct_nps_monthly"])
    for raw in ("raw/mentions", "raw/complaints", "raw/nps_responses", "raw/stock_prices"):
        assert by_asset.get(raw), f"{raw} has no data-quality check"
    assert by_asset.get("scores/mention_sentiment")


def test_every_dbt_data_test_is_an_asset_check(repository, tmp_path):
    """A dbt test that is no asset check shows in Dagster only as an observation (and
    is missing from the run's check summary): each one must name its asset."""
    import json

    project = dbt_project(Settings.from_env(tmp_path / "home"))
    manifest = json.loads(Path(project.manifest_path).read_text())
    data_tests = {
        node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "test"
    }
    checks = {check.name for check in repository.asset_graph.asset_check_keys}
    assert "assert_calendar_covers_every_message" in data_tests
    assert data_tests - checks == set()
    calendar = dg.AssetKey(["intermediate", "int_calendar_days"])
    assert dg.AssetCheckKey(calendar, "assert_calendar_covers_every_message") in (
        repository.asset_graph.asset_check_keys
    )


def test_warehouse_writers_share_one_pool(repository):
    graph = repository.asset_graph
    for key in ("raw/mentions", "scores/mention_sentiment", "marts/fct_nps_monthly"):
        node = graph.get(dg.AssetKey(key.split("/")))
        assets_def = repository.assets_defs_by_key[node.key]
        pools = {assets_def.node_def.pool} if hasattr(assets_def.node_def, "pool") else set()
        assert pools == {"duckdb_warehouse"}, key


def test_dagster_definitions_validate_passes(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    dagster = Path(sys.executable).parent / "dagster"
    env = {**os.environ, "WEBCARE_HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path)}
    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "orchestration.definitions"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "All code locations passed validation" in completed.stdout + completed.stderr


def test_importing_the_definitions_is_free():
    import subprocess
    import sys

    probe = (
        "import sys, orchestration.definitions; "
        "print(sorted(m for m in ('torch', 'transformers', 'great_expectations') "
        "if m in sys.modules))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert completed.stdout.strip() == "[]"


def test_loading_the_definitions_warns_nothing(tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", dg.BetaWarning)
        warnings.simplefilter("error", dg.PreviewWarning)
        build_definitions(Settings.from_env(tmp_path))


def test_a_failed_step_is_one_line_on_the_console_and_whole_in_the_run_log(repository, capsys):
    """Every job logs to the console through `console_logger`, which cuts stack traces."""
    from orchestration.commands import QUIET_LOGS
    from orchestration.console import console_logger

    assert all(job.loggers["console"] is console_logger for job in repository.get_all_jobs())

    @dg.op
    def broken():
        raise dg.Failure(description="landing/x.csv, line 3: not a date")

    @dg.job(logger_defs={"console": console_logger})
    def failing():
        broken()

    instance = dg.DagsterInstance.ephemeral()
    result = failing.execute_in_process(
        instance=instance, run_config=QUIET_LOGS, raise_on_error=False
    )
    console = capsys.readouterr().err
    assert not result.success
    assert "Stack Trace" not in console
    failure = [line for line in console.splitlines() if "STEP_FAILURE" in line]
    assert len(failure) == 1
    assert failure[0].endswith(
        'Execution of step "broken" failed. (stack trace in the Dagster run log)'
    )
    [logged] = [
        entry.dagster_event.step_failure_data
        for entry in instance.all_logs(result.run_id)
        if entry.dagster_event and entry.dagster_event.event_type_value == "STEP_FAILURE"
    ]
    assert logged.user_failure_data.description == "landing/x.csv, line 3: not a date"
    assert len(logged.error.stack) > 3
