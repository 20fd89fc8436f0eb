"""Alerts that reach people: new negative-spike alerts and failed runs, posted to a webhook.

`deliver` is the one code path. It posts, to the incoming webhook named by
``$WEBCARE_ALERT_WEBHOOK_URL`` (Slack or Teams), one message per spike alert of
the published snapshot (``marts.fct_negative_spike_alerts`` where ``is_alert``)
and one per failed run, each at most once. Two sensors call it under the Dagster
daemon (``make dev``, the monthly schedule): `spike_alert_sensor` after each new
publication, `run_failure_alert_sensor` when a run fails. `webcare run` runs its
jobs in process, where sensors do not tick, so it calls `deliver` itself when
it is done.

At most once: what was posted is recorded in ``<state>/alerts/delivered.json``
(a spike alert by its mart grain, brand and day; a run by its id), written
after each post under a file lock, so the sensors and `webcare run` share one
record and a republish or a rerun posts nothing again. A post that fails is
retried a few times with backoff and short timeouts; then a log line says what
failed (never the URL, a secret that lets anyone post into the channel), the
alert stays unrecorded and goes out with the next delivery. A failed post
never fails a run: sensors are not runs, and `deliver` does not raise for it.
"""

import fcntl
import http.client
import json
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dagster as dg
import duckdb

from warehouse.partitions import PARTITION_TAG, RANGE_END_TAG, RANGE_START_TAG
from warehouse.settings import ALERT_WEBHOOK_VARIABLE, Settings

SPIKE_SENSOR_NAME = "spike_alert_sensor"
FAILURE_SENSOR_NAME = "run_failure_alert_sensor"
SPIKE_MART = "fct_negative_spike_alerts"
LEDGER_FILE = Path("alerts") / "delivered.json"
# Three tries, 0.5 s then 1 s apart, each waiting at most 5 s for the server: a dead
# webhook costs a sensor tick about 17 s, well inside Dagster's 60 s tick timeout.
ATTEMPTS = 3
TIMEOUT_SECONDS = 5.0
BACKOFF_SECONDS = 0.5
# A sensor tick starts no new post after this long; what is left goes out next tick.
SENSOR_BUDGET_SECONDS = 30.0
# An error message in a failed-run alert is put on one line and cut to this length.
MESSAGE_HEAD = 300
MAX_LISTED_STEPS = 3
OFF = f"alerts are off: {ALERT_WEBHOOK_VARIABLE} is not set"

_LOG = logging.getLogger("webcare.alerts")
Log = logging.Logger | dg.DagsterLogManager


class LedgerError(RuntimeError):
    """The record of delivered alerts cannot be read."""


@dataclass(frozen=True)
class Alert:
    """One message to post: its ledger key, a short label for logs and its text."""

    key: str
    label: str
    text: str

    def payload(self) -> dict[str, str]:
        """The JSON body: ``text`` is what both Slack and Teams incoming webhooks show.

        ``&``, ``<`` and ``>`` are escaped, as Slack requires (it reads ``<...>`` as a
        link or mention); Teams renders the entities as the characters.
        """
        escaped = self.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return {"text": escaped}


@dataclass(frozen=True)
class SpikeAlert:
    """A row of ``marts.fct_negative_spike_alerts`` with ``is_alert``: a brand's bad day."""

    brand: str
    display_name: str | None
    day: date
    negative_mentions: int
    alert_threshold: float
    baseline_mean: float | None

    @property
    def key(self) -> str:
        """The mart's grain: brand and reporting day."""
        return f"spike:{self.brand}:{self.day.isoformat()}"

    def alert(self, snapshot: Path, report: Path | None) -> Alert:
        """The message: brand, day, count, threshold, and where to see the detail."""
        name = self.display_name or self.brand
        if self.display_name and self.display_name != self.brand:
            name = f"{self.display_name} ({self.brand})"
        baseline = (
            f" (baseline mean {self.baseline_mean:.1f} a day)"
            if self.baseline_mean is not None
            else ""
        )
        brand = self.brand.replace("'", "''")
        lines = [
            f"Negative spike: {name} on {self.day.isoformat()}: {self.negative_mentions} "
            f"negative messages, above the alert threshold of {self.alert_threshold:.1f}"
            f"{baseline}.",
            f'Detail: duckdb -readonly {snapshot} "from marts.{SPIKE_MART} where '
            f"brand = '{brand}' and reporting_date = '{self.day.isoformat()}'\"",
        ]
        if report is not None:
            lines.append(f"Report: {report}")
        label = f"spike {self.brand} {self.day.isoformat()}"
        return Alert(self.key, label, "\n".join(lines))


@dataclass(frozen=True)
class FailedRun:
    """A failed run as its event log tells it: job, months, failed steps and their errors."""

    run_id: str
    job_name: str
    months: str | None
    steps: tuple[tuple[str, str], ...]
    message: str | None

    @property
    def key(self) -> str:
        """The run id."""
        return f"run:{self.run_id}"

    def alert(self, ui_url: str | None) -> Alert:
        """The message: job, months, run id, failing steps with their error, where to look."""
        months = f" for {self.months}" if self.months else ""
        lines = [f"Run failed: {self.job_name}{months} (run {self.run_id})"]
        for step, error in self.steps[:MAX_LISTED_STEPS]:
            lines.append(f"Step {step}: {_head(error)}")
        if len(self.steps) > MAX_LISTED_STEPS:
            lines.append(f"and {len(self.steps) - MAX_LISTED_STEPS} more failed steps")
        if not self.steps and self.message:
            lines.append(_head(self.message))
        if ui_url:
            lines.append(f"Run page: {ui_url.rstrip('/')}/runs/{self.run_id}")
        else:
            lines.append(f"Open run {self.run_id} in the Dagster UI (make dev).")
        return Alert(self.key, f"failed run {self.job_name} {self.run_id[:8]}", "\n".join(lines))


@dataclass(frozen=True)
class PostResult:
    """How one post went: delivered or not, after how many attempts, and why not."""

    ok: bool
    attempts: int
    problem: str | None = None


@dataclass
class Delivery:
    """What one `deliver` did: labels of the alerts posted and of those still waiting."""

    posted: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    off: bool = False
    problem: str | None = None

    @property
    def complete(self) -> bool:
        """Nothing is left to post (and nothing went wrong)."""
        return not self.waiting and self.problem is None

    @property
    def summary(self) -> str:
        """One line for people (never the URL)."""
        if self.off:
            return f"Alerts: off ({ALERT_WEBHOOK_VARIABLE} is not set)"
        parts = []
        if self.posted:
            parts.append(f"posted {len(self.posted)} ({', '.join(self.posted)})")
        if self.problem:
            parts.append(self.problem)
        if self.waiting:
            parts.append(f"{len(self.waiting)} wait for the next delivery")
        return "Alerts: " + ("; ".join(parts) if parts else "nothing new to post")


def post_json(
    url: str,
    payload: dict[str, Any],
    *,
    attempts: int = ATTEMPTS,
    timeout: float = TIMEOUT_SECONDS,
    backoff: float = BACKOFF_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> PostResult:
    """POST `payload` as JSON to `url`, retrying timeouts, refused connections, HTTP 429 and 5xx.

    Another 4xx (a wrong or revoked webhook) is not retried. The problem named in
    the result never contains the URL.
    """
    body = json.dumps(payload).encode()
    problem = "not attempted"
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read(1024)
            return PostResult(True, attempt)
        except urllib.error.HTTPError as error:
            problem = f"HTTP {error.code} {error.reason}"
            if error.code != 429 and error.code < 500:
                return PostResult(False, attempt, redact(f"{problem}, not retried", url))
        except (OSError, http.client.HTTPException) as error:
            reason = error.reason if isinstance(error, urllib.error.URLError) else error
            problem = f"{type(reason).__name__}: {reason}"
        if attempt < attempts:
            sleep(backoff * 2 ** (attempt - 1))
    return PostResult(False, attempts, redact(problem, url))


def redact(text: str, url: str) -> str:
    """`text` without the webhook URL or its path (where Slack and Teams keep the secret)."""
    parts = urlsplit(url)
    secrets = [url, parts.path + (f"?{parts.query}" if parts.query else ""), parts.query]
    for secret in sorted((s for s in secrets if len(s) > 1), key=len, reverse=True):
        text = text.replace(secret, "<webhook URL>")
    return text


def deliver(
    settings: Settings,
    instance: dg.DagsterInstance | None = None,
    failed_runs: Sequence[str] = (),
    *,
    log: Log | None = None,
    budget_seconds: float | None = None,
) -> Delivery:
    """Post every spike alert and failed run not posted before; what was posted is recorded.

    `failed_runs` are ids of runs that just failed (read from `instance`); runs
    whose post failed earlier are tried again. Failed runs go first, then spike
    alerts by day. The first post that fails stops the delivery: the webhook is
    down, and what is left waits for the next one. With `budget_seconds`, no new
    post starts after that long. Never raises for a webhook, snapshot or ledger
    problem: it is logged and returned in `Delivery.problem`.
    """
    log = log or _LOG
    url = settings.alert_webhook_url
    if url is None:
        log.debug(OFF)
        return Delivery(off=True)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problem = f"{ALERT_WEBHOOK_VARIABLE} is not an http(s) URL, nothing was posted"
        log.error(f"alert webhook: {problem}")
        return Delivery(problem=problem)
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    delivery = Delivery()
    try:
        with _open_ledger(settings) as ledger:
            ledger.expect_runs(failed_runs)
            queue = [
                *(
                    failed_run(instance, run_id).alert(settings.dagster_ui_url)
                    for run_id in ledger.waiting_runs
                ),
                *(alert for alert in spike_messages(settings) if not ledger.was_sent(alert.key)),
            ]
            for index, alert in enumerate(queue):
                if deadline is not None and time.monotonic() > deadline:
                    delivery.waiting = [item.label for item in queue[index:]]
                    log.info(
                        f"alert webhook: {len(delivery.waiting)} alert(s) left for the next "
                        "delivery (time budget of this one spent)"
                    )
                    break
                result = post_json(url, alert.payload())
                if not result.ok:
                    delivery.waiting = [item.label for item in queue[index:]]
                    delivery.problem = (
                        f"posting {alert.label} to the webhook failed after {result.attempts} "
                        f"attempt(s): {result.problem}"
                    )
                    log.error(
                        f"alert webhook: {delivery.problem}; {len(delivery.waiting)} alert(s) "
                        "wait for the next delivery"
                    )
                    break
                ledger.record(alert.key)
                delivery.posted.append(alert.label)
                log.info(f"alert webhook: posted {alert.label}")
    except (LedgerError, duckdb.Error, OSError) as error:
        delivery.problem = redact(f"{type(error).__name__}: {error}", url)
        log.error(f"alert webhook: nothing more was posted: {delivery.problem}")
    return delivery


def spike_messages(settings: Settings) -> list[Alert]:
    """The messages of every spike alert in the published snapshot (none before a publish)."""
    from assets.serving import published_paths
    from assets.serving.snapshot import SnapshotMissingError

    paths = published_paths(settings)
    try:
        alerts = read_spike_alerts(settings)
    except SnapshotMissingError:
        return []
    messages = []
    for spike in alerts:
        report = paths["report"] / f"{spike.day:%Y-%m}.html"
        messages.append(spike.alert(paths["snapshot"], report if report.exists() else None))
    return messages


def read_spike_alerts(settings: Settings) -> list[SpikeAlert]:
    """The rows of ``marts.fct_negative_spike_alerts`` with ``is_alert``, by day and brand,
    from the published snapshot (raises `SnapshotMissingError` before the first publish)."""
    from assets.serving.snapshot import open_snapshot

    with open_snapshot(settings) as snapshot:
        marts = snapshot.marts()
        if SPIKE_MART not in marts:
            return []
        name = "b.display_name" if "dim_brands" in marts else "null"
        joined = "left join marts.dim_brands as b using (brand)" if "dim_brands" in marts else ""
        rows = snapshot.rows(
            f"select a.brand, {name}, a.reporting_date, a.negative_mentions, "
            f"a.alert_threshold, a.baseline_mean from marts.{SPIKE_MART} as a {joined} "
            "where a.is_alert order by a.reporting_date, a.brand"
        )
    return [SpikeAlert(*row) for row in rows]


def failed_run(instance: dg.DagsterInstance | None, run_id: str) -> FailedRun:
    """What the event log of `instance` says about the failed run `run_id`."""
    from orchestration.commands import failure_message

    run = instance.get_run_by_id(run_id) if instance is not None else None
    if run is None:
        return FailedRun(run_id, "a job", None, (), "the run is not in this Dagster instance")
    steps = tuple(
        (entry.dagster_event.step_key or "?", failure_message(entry.dagster_event))
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
        if entry.dagster_event is not None
    )
    failures = [
        entry.dagster_event.message or entry.user_message
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        if entry.dagster_event is not None
    ]
    tags = run.tags
    months = tags.get(PARTITION_TAG)
    if months is None and RANGE_START_TAG in tags:
        months = f"{tags[RANGE_START_TAG]}..{tags.get(RANGE_END_TAG, tags[RANGE_START_TAG])}"
    return FailedRun(run_id, run.job_name, months, steps, failures[-1] if failures else None)


def _head(message: str) -> str:
    """`message` on one line, cut to `MESSAGE_HEAD` characters."""
    text = " ".join(line.strip() for line in message.splitlines() if line.strip()) or "failed"
    return text if len(text) <= MESSAGE_HEAD else text[: MESSAGE_HEAD - 3] + "..."


@dataclass
class _Ledger:
    """``<state>/alerts/delivered.json``: what was posted (key -> UTC time) and the failed
    runs still waiting to be posted."""

    path: Path
    sent: dict[str, str]
    waiting_runs: list[str]

    @classmethod
    def read(cls, path: Path) -> "_Ledger":
        if not path.exists():
            return cls(path, {}, [])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            sent = {str(key): str(when) for key, when in data["sent"].items()}
            waiting = [str(run_id) for run_id in data["waiting_runs"]]
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise LedgerError(
                f"{path} is not a record of delivered alerts ({error}); remove it to post "
                "every alert of the snapshot again"
            ) from error
        return cls(path, sent, waiting)

    def was_sent(self, key: str) -> bool:
        return key in self.sent

    def expect_runs(self, run_ids: Sequence[str]) -> None:
        """Queue the failed runs not posted yet (written at once: a run is never forgotten)."""
        new = [
            run_id
            for run_id in dict.fromkeys(run_ids)
            if not self.was_sent(f"run:{run_id}") and run_id not in self.waiting_runs
        ]
        if new:
            self.waiting_runs.extend(new)
            self.save()

    def record(self, key: str) -> None:
        """Mark `key` posted, now, and write the ledger (before the next post is tried)."""
        self.sent[key] = datetime.now(UTC).isoformat(timespec="seconds")
        if key.startswith("run:"):
            self.waiting_runs = [r for r in self.waiting_runs if f"run:{r}" != key]
        self.save()

    def save(self) -> None:
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(
            json.dumps({"sent": self.sent, "waiting_runs": self.waiting_runs}, indent=1) + "\n",
            encoding="utf-8",
        )
        os.replace(temporary, self.path)


@contextmanager
def _open_ledger(settings: Settings) -> Iterator[_Ledger]:
    """The ledger, locked for the block: the sensors and `webcare run` never post twice."""
    path = settings.state_path / LEDGER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield _Ledger.read(path)


def _waiting_runs(settings: Settings) -> list[str]:
    """Failed runs whose post is still due (read without the lock: a hint for the sensor)."""
    try:
        return _Ledger.read(settings.state_path / LEDGER_FILE).waiting_runs
    except LedgerError:
        return []


def _publication_stamp(settings: Settings) -> str:
    """Identifies the current publication: the snapshot file is replaced by every publish."""
    from assets.serving import published_paths

    try:
        stat = published_paths(settings)["snapshot"].stat()
    except FileNotFoundError:
        return "unpublished"
    return f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"


def build_alert_sensors() -> list[dg.SensorDefinition]:
    """`spike_alert_sensor` (new publications) and `run_failure_alert_sensor` (failed runs).

    Both run by default under the daemon: without ``$WEBCARE_ALERT_WEBHOOK_URL``
    they do nothing.
    """

    @dg.sensor(
        name=SPIKE_SENSOR_NAME,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Posts each new negative-spike alert of the published snapshot (and any "
        f"failed run still waiting) to ${ALERT_WEBHOOK_VARIABLE}, once.",
    )
    def spike_alert_sensor(
        context: dg.SensorEvaluationContext, settings: Settings
    ) -> dg.SensorResult | dg.SkipReason:
        """Deliver when the snapshot was replaced since the last complete delivery, or a
        failed run is still waiting; the cursor is the publication last delivered in full."""
        if settings.alert_webhook_url is None:
            context.log.debug(OFF)
            return dg.SkipReason(OFF)
        stamp = _publication_stamp(settings)
        if context.cursor == stamp and not _waiting_runs(settings):
            return dg.SkipReason("No new publication and no alert waiting.")
        delivery = deliver(
            settings, context.instance, log=context.log, budget_seconds=SENSOR_BUDGET_SECONDS
        )
        # A delivery cut short keeps the old cursor, so the next tick tries again.
        cursor = stamp if delivery.complete else context.cursor
        return dg.SensorResult(skip_reason=delivery.summary, cursor=cursor)

    @dg.run_failure_sensor(
        name=FAILURE_SENSOR_NAME,
        # `webcare run` executes its jobs in process, outside any code location: without
        # this the sensor would see only the runs the daemon launched.
        monitor_all_code_locations=True,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Posts each failed run (job, months, failed steps) to "
        f"${ALERT_WEBHOOK_VARIABLE}, once.",
    )
    def run_failure_alert_sensor(context: dg.RunFailureSensorContext, settings: Settings) -> None:
        """Deliver the failed run (and whatever else is waiting); a failed post leaves the run
        waiting in the ledger for `spike_alert_sensor`'s next tick."""
        if settings.alert_webhook_url is None:
            context.log.debug(OFF)
            return
        deliver(
            settings,
            context.instance,
            [context.dagster_run.run_id],
            log=context.log,
            budget_seconds=SENSOR_BUDGET_SECONDS,
        )

    return [spike_alert_sensor, run_failure_alert_sensor]
