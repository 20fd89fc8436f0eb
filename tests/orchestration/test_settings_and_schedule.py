"""Settings, partitions and the monthly schedule: pure logic, no warehouse."""

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from orchestration.jobs import build_jobs
from orchestration.schedules import build_monthly_schedule, previous_month_key
from warehouse.partitions import month_start, monthly_partitions
from warehouse.settings import Settings, SettingsError, settings_table


def test_settings_from_env_reads_prefixed_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("WEBCARE_REJECT_THRESHOLD", "0.1")
    monkeypatch.setenv("WEBCARE_SOURCE_FORMATS", '{"mentions": "twcs"}')
    monkeypatch.setenv("WEBCARE_PSEUDONYMISATION_KEY", "secret")
    settings = Settings.from_env(tmp_path)
    assert settings.reject_threshold == 0.1
    assert settings.source_formats == {"mentions": "twcs"}
    assert settings.pseudonymisation_key == "secret"
    assert settings.duckdb_path == str(tmp_path / "warehouse.duckdb")
    assert settings.landing_dir == str(tmp_path / "landing")


def test_the_key_is_no_config_value_the_dagster_ui_could_show(tmp_path, monkeypatch):
    """The resource's config (what the UI and run records show) holds no key, from the
    environment or from the home's key file; the key is read when an asset uses it."""
    monkeypatch.setenv("WEBCARE_PSEUDONYMISATION_KEY", "s3cret-from-env")
    settings = Settings.from_env(tmp_path)
    assert settings.pseudonymisation_key == "s3cret-from-env"
    assert "s3cret-from-env" not in json.dumps(settings.model_dump())
    monkeypatch.delenv("WEBCARE_PSEUDONYMISATION_KEY")
    from_file = Settings.from_env(tmp_path)
    key = from_file.pseudonymisation_key
    assert key == (tmp_path / ".pseudonymisation.key").read_text().strip()
    assert key not in json.dumps(from_file.model_dump())
    # What Dagster rebuilds the resource from (its config) still finds the key.
    rebuilt = Settings(**from_file.model_dump())
    assert rebuilt.pseudonymisation_key == key


def test_numbers_booleans_and_dicts_are_validated_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("WEBCARE_REJECT_THRESHOLD", "a lot")
    with pytest.raises(ValueError, match="reject_threshold"):
        Settings.from_env(tmp_path)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        # Dagster's partition calendar failed on it, with a stack trace
        ("WEBCARE_FIRST_MONTH", "2010-13", "first_month (WEBCARE_FIRST_MONTH): must be a month"),
        # polars failed on it while indexing the landing folder
        (
            "WEBCARE_REPORTING_TIMEZONE",
            "Mars/Base",
            "must be an IANA time zone (e.g. Europe/Amsterdam), got 'Mars/Base'",
        ),
        ("WEBCARE_SOURCE_TIMEZONE", "CET2", "source_timezone (WEBCARE_SOURCE_TIMEZONE)"),
        # every file failed: "0 of 13 rows refused (0.0%); over the -10.0% threshold"
        ("WEBCARE_REJECT_THRESHOLD", "-0.1", "must be between 0 and 1, got -0.1"),
        ("WEBCARE_SCORING_BATCH_SIZE", "0", "(WEBCARE_SCORING_BATCH_SIZE): must be at least 1"),
        ("WEBCARE_VOLUME_ANOMALY_FACTOR", "0.5", "must be at least 1, got 0.5"),
        ("WEBCARE_SOURCE_FORMATS", "{bad", "valid dictionary, got '{bad'"),
    ],
)
def test_a_bad_setting_is_one_line_naming_its_variable(
    tmp_path, monkeypatch, capsys, variable, value, message
):
    from orchestration import cli

    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_env(tmp_path)
    assert cli.main(["run", "--home", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("webcare run: invalid settings: ")
    assert message in error and error.count("\n") == 1


def test_the_range_of_a_number_setting_is_written_once(tmp_path):
    from warehouse.settings import NUMBER_RANGES

    assert Settings.from_env(tmp_path, reject_threshold=1, max_future_days=0).reject_threshold == 1
    for name, (low, high) in NUMBER_RANGES.items():
        with pytest.raises(SettingsError, match=name):
            Settings.from_env(tmp_path, **{name: low - 1})
        if high is not None:
            with pytest.raises(SettingsError, match=name):
                Settings.from_env(tmp_path, **{name: high + 0.5})
    table = settings_table()
    assert "| `WEBCARE_REJECT_THRESHOLD` | `0.05` |" in table
    assert "Between 0 and 1. |" in table and "Texts per inference batch. At least 1. |" in table


def test_sentiment_int8_is_unset_unless_the_environment_says(tmp_path, monkeypatch):
    monkeypatch.delenv("WEBCARE_SENTIMENT_INT8", raising=False)
    assert Settings.from_env(tmp_path).sentiment_int8 is None
    monkeypatch.setenv("WEBCARE_SENTIMENT_INT8", "false")
    assert Settings.from_env(tmp_path).sentiment_int8 is False
    monkeypatch.setenv("WEBCARE_SENTIMENT_INT8", "true")
    assert Settings.from_env(tmp_path).sentiment_int8 is True


def test_demo_key_is_created_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("WEBCARE_PSEUDONYMISATION_KEY", raising=False)
    first = Settings.from_env(tmp_path).pseudonymisation_key
    second = Settings.from_env(tmp_path).pseudonymisation_key
    assert first == second
    assert len(first) == 64
    assert (tmp_path / ".pseudonymisation.key").stat().st_mode & 0o777 == 0o600


def test_overrides_beat_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("WEBCARE_REPORTING_TIMEZONE", "Europe/London")
    settings = Settings.from_env(tmp_path, reporting_timezone="UTC")
    assert settings.reporting_timezone == "UTC"


def test_monthly_partitions_use_reporting_timezone_and_month_keys(tmp_path):
    settings = Settings.from_env(tmp_path, reporting_timezone="Europe/Amsterdam")
    partitions = monthly_partitions(settings)
    keys = partitions.get_partition_keys(current_time=datetime(2011, 1, 15))
    assert keys[:3] == ["2010-01", "2010-02", "2010-03"]
    # The running month and, for rows up to max_future_days (1) ahead, the next one.
    assert keys[-1] == "2011-02"
    ahead = monthly_partitions(Settings.from_env(tmp_path, max_future_days=40))
    assert ahead.get_partition_keys(current_time=datetime(2011, 1, 15))[-1] == "2011-03"
    window = partitions.time_window_for_partition_key("2010-10")
    assert window.start == datetime(2010, 10, 1, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert month_start("2010-10").isoformat() == "2010-10-01"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [(datetime(2011, 1, 1, 6), "2010-12"), (datetime(2011, 7, 1, 6), "2011-06")],
)
def test_previous_month_key(moment, expected):
    assert previous_month_key(moment) == expected


def test_monthly_schedule_requests_the_month_that_just_ended(tmp_path):
    settings = Settings.from_env(tmp_path)
    jobs = build_jobs()
    schedule = build_monthly_schedule(jobs["monthly_research"], settings)
    assert schedule.cron_schedule == "0 6 1 * *"
    assert schedule.execution_timezone == "Europe/Amsterdam"
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2011, 3, 1, 6, tzinfo=ZoneInfo("Europe/Amsterdam"))
    )
    request = schedule(context)
    assert request.partition_key == "2011-02"
    assert request.run_key == "scheduled-2011-02"


def test_the_readme_settings_table_is_made_from_the_fields():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("-->\n", readme.index("<!-- settings table")) + len("-->\n")
    end = readme.index("\n<!-- end of settings table -->")
    assert readme[start:end] == settings_table(), (
        "README settings table is stale: replace it with `python -m warehouse.settings`"
    )
