"""Alerts reach a webhook: each new spike alert and each failed run, once, never failing a run.

The webhook is a real HTTP server on 127.0.0.1 that records what is posted; the
snapshot is written by the real publish code (`publish_marts`), and the failed
run is a real `load_reference` run on a landed brands file it cannot read.
"""

import json
import socket
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.serving.publish import publish_marts
from orchestration import commands
from orchestration.alerts import (
    ATTEMPTS,
    FAILURE_SENSOR_NAME,
    LEDGER_FILE,
    OFF,
    SPIKE_SENSOR_NAME,
    build_alert_sensors,
    deliver,
    post_json,
    redact,
)
from orchestration.definitions import build_definitions
from orchestration.instance import open_instance
from warehouse.settings import ALERT_WEBHOOK_VARIABLE, Settings

SENSORS = {sensor.name: sensor for sensor in build_alert_sensors()}


ALERT_COLUMNS = (
    "brand varchar, reporting_date date, reporting_month date, negative_mentions bigint, "
    "baseline_days integer, baseline_mean double, baseline_stddev double, "
    "alert_threshold double, is_alert boolean"
)
# brand, day, negatives, baseline mean, threshold, is_alert
QUIET = ("tulpbank", date(2011, 3, 16), 4, 3.0, 9.5, False)
SPIKE = ("polderfoon", date(2011, 3, 17), 20, 1.2, 3.07, True)
SECOND_SPIKE = ("polderfoon", date(2011, 3, 18), 14, 2.0, 12.52, True)
LATER_SPIKE = ("tulpbank", date(2011, 4, 2), 25, 3.5, 11.0, True)


def publish(settings: Settings, rows: list[tuple]) -> None:
    """Write the spike mart and dim_brands to the live warehouse and publish them."""
    settings.home_path.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(settings.duckdb_path) as conn:
        conn.execute("create schema if not exists marts")
        conn.execute(
            "create or replace table marts.dim_brands as select * from (values "
            "('polderfoon', 'Polderfoon', 'telecom'), ('tulpbank', 'Tulpbank', 'bank')) "
            "as t(brand, display_name, sector)"
        )
        conn.execute(f"create or replace table marts.fct_negative_spike_alerts ({ALERT_COLUMNS})")
        conn.executemany(
            "insert into marts.fct_negative_spike_alerts values "
            "(?, ?, date_trunc('month', ?::date), ?, 28, ?, 1.0, ?, ?)",
            [
                (brand, day, day, n, mean, threshold, alert)
                for brand, day, n, mean, threshold, alert in rows
            ],
        )
        publish_marts(conn, settings.published_path, ["dim_brands", "fct_negative_spike_alerts"])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(tmp_path / "home")


def tick(settings: Settings, cursor: str | None = None) -> dg.SensorResult | dg.SkipReason:
    """One evaluation of the spike sensor on the home's Dagster instance."""
    with open_instance(settings) as instance:
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources={"settings": settings}
        )
        return SENSORS[SPIKE_SENSOR_NAME](context)


def ledger(settings: Settings) -> dict:
    path = settings.state_path / LEDGER_FILE
    return json.loads(path.read_text()) if path.exists() else {"sent": {}, "waiting_runs": []}


def test_each_spike_alert_is_posted_once(settings, webhook, webhook_secret):
    publish(settings, [QUIET, SPIKE, SECOND_SPIKE])

    first = tick(settings)

    assert [post["path"] for post in webhook.posts] == [f"/services/T01/B02/{webhook_secret}"] * 2
    assert {post["content_type"] for post in webhook.posts} == {"application/json; charset=utf-8"}
    assert all(set(post["json"]) == {"text"} for post in webhook.posts)
    snapshot = settings.published_path / "warehouse.duckdb"
    assert webhook.texts[0] == (
        "Negative spike: Polderfoon (polderfoon) on 2011-03-17: 20 negative messages, above "
        "the alert threshold of 3.1 (baseline mean 1.2 a day).\n"
        f'Detail: duckdb -readonly {snapshot} "from marts.fct_negative_spike_alerts where '
        "brand = 'polderfoon' and reporting_date = '2011-03-17'\""
    )
    assert "on 2011-03-18: 14 negative messages" in webhook.texts[1]
    assert set(ledger(settings)["sent"]) == {
        "spike:polderfoon:2011-03-17",
        "spike:polderfoon:2011-03-18",
    }
    assert first.skip_reason.skip_message == (
        "Alerts: posted 2 (spike polderfoon 2011-03-17, spike polderfoon 2011-03-18)"
    )

    # The next tick sees no new publication; a sensor whose cursor was reset, or a
    # republish of the same alerts, finds them in the ledger.
    assert isinstance(tick(settings, first.cursor), dg.SkipReason)
    assert tick(settings, None).skip_reason.skip_message == "Alerts: nothing new to post"
    publish(settings, [QUIET, SPIKE, SECOND_SPIKE])
    republished = tick(settings, first.cursor)
    assert republished.cursor != first.cursor
    assert len(webhook.posts) == 2

    # A new alert in a later publication is posted, once.
    publish(settings, [QUIET, SPIKE, SECOND_SPIKE, LATER_SPIKE])
    (settings.published_path / "report").mkdir(exist_ok=True)
    report = settings.published_path / "report" / "2011-04.html"
    report.write_text("<html></html>")
    later = tick(settings, republished.cursor)
    assert len(webhook.posts) == 3
    assert webhook.texts[2].startswith("Negative spike: Tulpbank (tulpbank) on 2011-04-02: 25 ")
    assert webhook.texts[2].endswith(f"\nReport: {report}")
    tick(settings, later.cursor)
    tick(settings, None)
    assert len(webhook.posts) == 3


def test_a_failing_webhook_is_retried_logged_without_its_url_and_tried_again_later(
    settings, webhook, capfd, webhook_secret
):
    publish(settings, [SPIKE, SECOND_SPIKE])
    webhook.status = 500

    result = tick(settings)
    logged = "".join(capfd.readouterr())

    # The first alert was tried ATTEMPTS times; the second waits, untried.
    assert len(webhook.posts) == ATTEMPTS == 3
    assert all(
        post["json"]["text"].startswith("Negative spike: Polderfoon") for post in webhook.posts
    )
    assert ledger(settings)["sent"] == {}
    assert result.cursor is None
    problem = (
        "posting spike polderfoon 2011-03-17 to the webhook failed after 3 attempt(s): "
        "HTTP 500 Internal Server Error"
    )
    assert f"ERROR - alert webhook: {problem}; 2 alert(s) wait for the next delivery" in logged
    assert result.skip_reason.skip_message == f"Alerts: {problem}; 2 wait for the next delivery"
    assert webhook_secret not in logged
    assert "127.0.0.1" not in logged

    # The server is back: the next tick posts both.
    webhook.status = 200
    after = tick(settings, result.cursor)
    assert len(webhook.texts) == 2
    assert after.cursor is not None
    assert set(ledger(settings)["sent"]) == {
        "spike:polderfoon:2011-03-17",
        "spike:polderfoon:2011-03-18",
    }


def test_a_refused_connection_fails_nothing_and_names_no_url(
    settings, monkeypatch, capfd, webhook_secret
):
    publish(settings, [SPIKE])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more: every connection is refused.
    monkeypatch.setenv(ALERT_WEBHOOK_VARIABLE, f"http://127.0.0.1:{port}/hooks/{webhook_secret}")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")

    result = tick(settings)
    logged = "".join(capfd.readouterr())

    assert "failed after 3 attempt(s): ConnectionRefusedError" in logged
    assert webhook_secret not in logged and webhook_secret not in result.skip_reason.skip_message
    assert ledger(settings)["sent"] == {}


def test_a_refused_post_is_not_retried_and_urls_are_redacted(webhook, webhook_secret):
    webhook.status = 404
    result = post_json(webhook.url, {"text": "x"}, backoff=0)
    assert (result.ok, result.attempts, result.problem) == (
        False,
        1,
        "HTTP 404 Not Found, not retried",
    )
    assert redact(f"cannot open {webhook.url}", webhook.url) == "cannot open <webhook URL>"
    assert (
        redact(f"bad path /services/T01/B02/{webhook_secret}", webhook.url)
        == "bad path <webhook URL>"
    )


def test_without_a_webhook_url_the_sensors_do_nothing(settings, monkeypatch):
    monkeypatch.delenv(ALERT_WEBHOOK_VARIABLE, raising=False)
    publish(settings, [SPIKE])
    result = tick(settings)
    assert isinstance(result, dg.SkipReason) and result.skip_message == OFF
    assert deliver(settings).summary == f"Alerts: off ({ALERT_WEBHOOK_VARIABLE} is not set)"
    assert not (settings.state_path / LEDGER_FILE).exists()


def failed_load(settings: Settings) -> dg.ExecuteInProcessResult:
    """A real `load_reference` run that fails: its brands file has no brand column."""
    brands = settings.landing_path / "brands" / "export" / "brands.csv"
    brands.parent.mkdir(parents=True)
    brands.write_text("name,sector\nbankx,bank\n")
    with open_instance(settings) as instance:
        result = commands.execute(build_definitions(settings), instance, "load_reference")
    assert not result.success
    return result


def failure_tick(settings: Settings, run_id: str) -> None:
    """One evaluation of the failed-run sensor for `run_id`, as the daemon makes it."""
    with open_instance(settings) as instance:
        run = instance.get_run_by_id(run_id)
        [failure] = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        context = dg.build_run_status_sensor_context(
            sensor_name=FAILURE_SENSOR_NAME,
            dagster_event=failure.dagster_event,
            dagster_instance=instance,
            dagster_run=run,
            resources={"settings": settings},
        ).for_run_failure()
        SENSORS[FAILURE_SENSOR_NAME](context)


def test_a_failed_run_is_posted_once_with_its_step_and_error(settings, webhook, monkeypatch):
    monkeypatch.setenv("WEBCARE_DAGSTER_UI_URL", "http://127.0.0.1:3000/")
    settings = Settings.from_env(settings.home)
    run = failed_load(settings)

    failure_tick(settings, run.run_id)

    [text] = webhook.texts
    assert text == (
        f"Run failed: load_reference (run {run.run_id})\n"
        "Step raw__brands: raw/brands failed; nothing was written. brands/export/brands.csv: "
        "cannot tell which brands format this is; columns seen: name, sector. Expected one "
        "of: canonical needs brand. Missing required column(s) for the contract: brand\n"
        f"Run page: http://127.0.0.1:3000/runs/{run.run_id}"
    )
    # The daemon seeing it again, or `webcare run` delivering after it, posts nothing.
    failure_tick(settings, run.run_id)
    with open_instance(settings) as instance:
        assert deliver(settings, instance, [run.run_id]).posted == []
    assert len(webhook.posts) == 1


def test_a_failed_run_whose_post_failed_goes_out_with_the_next_tick(settings, webhook):
    run = failed_load(settings)
    webhook.status = 503
    with open_instance(settings) as instance:
        delivery = deliver(settings, instance, [run.run_id])
    assert delivery.posted == [] and len(delivery.waiting) == 1
    assert ledger(settings)["waiting_runs"] == [run.run_id]

    webhook.status = 200
    result = tick(settings)

    [text] = webhook.texts
    assert text.startswith(f"Run failed: load_reference (run {run.run_id})\nStep raw__brands: ")
    assert text.endswith(f"Open run {run.run_id} in the Dagster UI (make dev).")
    assert ledger(settings)["waiting_runs"] == []
    assert result.skip_reason.skip_message == (
        f"Alerts: posted 1 (failed run load_reference {run.run_id[:8]})"
    )


def test_a_ledger_that_cannot_be_read_is_reported_not_raised(settings, webhook):
    publish(settings, [SPIKE])
    path = settings.state_path / LEDGER_FILE
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    delivery = deliver(settings)
    assert delivery.posted == [] and webhook.posts == []
    assert delivery.problem.startswith(f"LedgerError: {path} is not a record of delivered alerts")


def test_the_demo_spike_alerts_are_posted(demo_home, webhook, tmp_path):
    """The small demo's published alerts (its planted crisis) each reach the webhook once."""
    settings = Settings.from_env(demo_home, state_dir=str(tmp_path / "state"))
    with duckdb.connect(str(settings.published_path / "warehouse.duckdb"), read_only=True) as conn:
        alerts = conn.execute(
            "select brand, reporting_date, negative_mentions from marts.fct_negative_spike_alerts "
            "where is_alert order by reporting_date, brand"
        ).fetchall()
    crisis = json.loads((demo_home / "truth.json").read_text())["crisis"]
    crisis_days = {(crisis["brand"], day) for day in crisis["days"]}
    assert any((brand, day.isoformat()) in crisis_days for brand, day, _ in alerts)

    delivery = deliver(settings)
    deliver(settings)

    assert len(webhook.texts) == len(alerts)
    for text, (brand, day, negatives) in zip(webhook.texts, alerts, strict=True):
        assert f"({brand}) on {day.isoformat()}: {negatives} negative messages" in text
    assert delivery.complete


def test_the_sensors_are_defined_and_the_url_is_no_setting(tmp_path, webhook, webhook_secret):
    settings = Settings.from_env(tmp_path)
    repository = build_definitions(settings).get_repository_def()
    for name in (SPIKE_SENSOR_NAME, FAILURE_SENSOR_NAME):
        # On by default under the daemon: without the URL they do nothing.
        assert repository.get_sensor_def(name).default_status == dg.DefaultSensorStatus.RUNNING
    # The settings resource (its config shows in the Dagster UI) never holds the URL.
    assert settings.alert_webhook_url == webhook.url
    assert webhook_secret not in json.dumps(settings.model_dump())
