"""`webcare run` posts the spike alerts it published, and a webhook that is down fails
nothing (issue 15, alerts).

Sensors do not tick in process, so `webcare run` delivers itself after publishing.
One run on a copy of the faults suite's three-month demo (which publishes two
spike alerts) against a webhook answering 500: the run exits 0, says what failed
without the URL and records nothing; the alerts then go out once the webhook is
back.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration import commands
from orchestration.alerts import ATTEMPTS, deliver
from warehouse.settings import Settings


def test_a_dead_webhook_fails_no_run_and_the_alerts_wait_for_it(
    own_demo_home: Path, model_cache_env: None, webhook, webhook_secret: str, capsys
) -> None:
    snapshot = own_demo_home / "published" / "warehouse.duckdb"
    with duckdb.connect(str(snapshot), read_only=True) as conn:
        alerts = conn.execute(
            "select brand, reporting_date from marts.fct_negative_spike_alerts where is_alert "
            "order by reporting_date, brand"
        ).fetchall()
    assert len(alerts) == 2

    webhook.status = 500
    assert commands.run(home=str(own_demo_home)) == 0
    output = capsys.readouterr().out
    # The first alert was tried ATTEMPTS times; the second waits behind it.
    assert len(webhook.posts) == ATTEMPTS and webhook.texts == []
    alert_line = next(line for line in output.splitlines() if line.startswith("Alerts: "))
    assert "HTTP 500" in alert_line and "wait for the next delivery" in alert_line
    assert webhook_secret not in output and "127.0.0.1" not in output

    webhook.status = 200
    delivery = deliver(Settings.from_env(own_demo_home))
    assert delivery.complete and len(delivery.posted) == len(alerts)
    for text, (brand, day) in zip(webhook.texts, alerts, strict=True):
        assert f"({brand}) on {day.isoformat()}" in text
