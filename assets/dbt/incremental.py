"""Which months a dbt build must rebuild, and when it must rebuild everything.

The month-incremental models (``incremental_strategy: replace_months``, see
dbt_project/macros/incremental_months.sql) rebuild the months from the one in
``WEBCARE_REBUILD_FROM_MONTH`` (or ``var('rebuild_from_month')`` by hand) on. This
module decides that month once per build, so every model rebuilds the same months:

- ``F`` is the first month whose rows the marts read (the monthly raw and scores
  tables) differ from what the last finished build read: each build records a
  signature of every month of those tables, so a month an earlier `webcare ingest`
  or a run of the load job alone changed is rebuilt too, and a month loaded again
  with the same rows is not. Without a recorded build (a home built before the
  signatures) F is the first month the run loaded. When no month changed, F is the
  newest month. Every later month is rebuilt too: what looks back (the spike
  alerts' 28-day baseline, month-over-month changes) reaches forward from F, never
  back.
- What looks forward reaches back before F, and those months are rebuilt as well:
  a complaint escalates when a negative post follows within
  ``escalation_window_days`` (and a message counts as answered within
  ``response_window_hours``), so the months those windows span before F; a
  thread gets a new reply, which changes the first response, the resolved brand
  and the contact of every message in it, so the months of every thread a new
  message belongs to or now heads (a reply can be loaded before its message); a
  negative poster recovers when their next message follows within
  ``recovery_window_days`` of the brand's reply, so the months of journeys whose
  window reaches F; a message id loaded again replaces its earlier copy, so that
  copy's month.
- Anything that holds for every month (the dbt code, the vars, brands, webcare
  accounts, opening hours and the sentiment calibration) is fingerprinted; when
  the fingerprint differs from the last successful build, or that build did not
  finish, everything is rebuilt (``--full-refresh``).

The correlations, the sentiment-NPS and sentiment-stock panels, the dimensions and
the calendars are plain tables rebuilt every time: they are one row per brand-month
or smaller, and they read every month.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import yaml

from warehouse.contract import PARTITION_MONTH, RAW_TABLES, SCORE_TABLES
from warehouse.resource import table_exists

# The month to rebuild from, as `dbt build` reads it (incremental_months.sql).
REBUILD_MONTH_ENV = "WEBCARE_REBUILD_FROM_MONTH"
STATE_SCHEMA = "main"
STATE_TABLE = "webcare_dbt_build_state"
# The signature of every month of MONTHLY_INPUTS that the last finished build read.
MONTHS_TABLE = "webcare_dbt_build_months"
# Tables whose rows hold for every month: a change rebuilds every month.
EVERY_MONTH_INPUTS = {
    ("raw", "brands"): RAW_TABLES["brands"],
    ("raw", "webcare_accounts"): RAW_TABLES["webcare_accounts"],
    ("raw", "webcare_account_opening_hours"): RAW_TABLES["webcare_account_opening_hours"],
    ("scores", "sentiment_calibration"): SCORE_TABLES["sentiment_calibration"],
}
# When a row was loaded: a reference table is replaced whole, so every row of it holds
# the same load time, and a new load of the same rows changes nothing. Where a row came
# from (file and line) is hashed: it decides which of two copies of a key staging keeps.
LOAD_COLUMNS = ("_loaded_at", "loaded_at")
# The monthly tables the marts read, compared month by month with the last build.
MONTHLY_INPUTS = {
    ("raw", name): RAW_TABLES[name]
    for name in ("mentions", "complaints", "nps_responses", "stock_prices")
} | {
    ("scores", name): SCORE_TABLES[name] for name in ("mention_sentiment", "nps_comment_sentiment")
}
# Bookkeeping of a load or a scoring run, not content the marts read.
BOOKKEEPING_COLUMNS = ("_loaded_at", "scored_at")
# Reply chains are followed this many steps up (as int_message_threads does).
MAX_THREAD_DEPTH = 100
# A window of d days starting in a month ends at most ceil(d / 28) months later.
SHORTEST_MONTH_DAYS = 28


@dataclass(frozen=True)
class BuildPlan:
    """What the next `dbt build` rebuilds: ``rebuild_from_month`` None means every month."""

    fingerprint: str
    full_refresh: bool
    rebuild_from_month: str | None
    reason: str
    # (table, month, signature) of every month of MONTHLY_INPUTS this build reads
    months: tuple[tuple[str, str, str], ...] = field(default=(), repr=False)

    def dbt_args(self, dbt_vars: dict[str, Any]) -> list[str]:
        """``build [--vars ...] [--full-refresh]`` for this plan; the month to rebuild
        from travels in the environment (`dbt_env`).

        An incremental build leaves out dbt's unit tests: they test the SQL on fixed
        rows, never the data, and the fingerprint (which holds the models, macros and
        unit tests) equals that of the last finished build, which ran them. Data
        tests always run."""
        args = ["build", *vars_args(dbt_vars)]
        if self.full_refresh:
            return [*args, "--full-refresh"]
        return [*args, "--exclude-resource-type", "unit_test"]

    def dbt_env(self) -> dict[str, str]:
        """The environment of this plan's `dbt build`: the month to rebuild from, empty
        for every month.

        Not a var: dbt re-parses the whole project when the vars of a run differ from
        those of its saved parse (about 1.5 s of every incremental build, more than its
        new month's queries at 1M mentions); the macros read this variable only while
        executing, so the parse never depends on it."""
        return {REBUILD_MONTH_ENV: self.rebuild_from_month or ""}


def vars_args(dbt_vars: dict[str, Any]) -> list[str]:
    """``--vars <json>`` for a dbt command, nothing for no vars. A parse and the builds
    after it must pass the same, or each build parses the whole project again."""
    return ["--vars", json.dumps(dbt_vars, sort_keys=True)] if dbt_vars else []


def project_vars(project_dir: Path, overrides: dict[str, Any]) -> dict[str, Any]:
    """dbt_project.yml's vars with the overrides a build passes."""
    declared = yaml.safe_load((project_dir / "dbt_project.yml").read_text()).get("vars") or {}
    return {**declared, **overrides}


def margin_months(variables: dict[str, Any]) -> int:
    """Months before the first loaded one that forward-looking windows reach into."""
    days = max(
        float(variables["escalation_window_days"]),
        float(variables["response_window_hours"]) / 24,
    )
    return math.ceil(days / SHORTEST_MONTH_DAYS)


def _month_minus(month: str, months: int) -> str:
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month_key(value: date) -> str:
    return value.strftime("%Y-%m")


def fingerprint(conn: duckdb.DuckDBPyConnection, manifest_path: Path, variables: dict) -> str:
    """A hash of everything that holds for every month: dbt code, vars, reference data."""
    manifest = json.loads(Path(manifest_path).read_text())
    digest = hashlib.sha256(json.dumps(variables, sort_keys=True, default=str).encode())
    for kind in ("nodes", "macros"):
        for unique_id, node in sorted(manifest.get(kind, {}).items()):
            if unique_id.startswith(("model.", "macro.webcare_warehouse.")):
                digest.update(f"{unique_id}={node.get('checksum', {}).get('checksum')}".encode())
    # Unit tests run only on full builds (BuildPlan.dbt_args): a changed one forces one.
    for unique_id, test in sorted(manifest.get("unit_tests", {}).items()):
        digest.update(f"{unique_id}={test.get('checksum')}".encode())
    for (schema, table), spec in EVERY_MONTH_INPUTS.items():
        if table_exists(conn, schema, table):
            columns = ", ".join(
                column.name for column in spec.columns if column.name not in LOAD_COLUMNS
            )
            (content,) = conn.execute(
                f"select md5(coalesce(string_agg(row_text, '|' order by row_text), '')) "
                f"from (select cast(row({columns}) as varchar) as row_text from {schema}.{table})"
            ).fetchone()
            digest.update(f"{schema}.{table}={content}".encode())
    return digest.hexdigest()


def month_signatures(conn: duckdb.DuckDBPyConnection) -> tuple[tuple[str, str, str], ...]:
    """(table, month, signature) of every month of MONTHLY_INPUTS: its row count and
    the sum of its rows' hashes, load bookkeeping left out (a month loaded again with
    the same rows keeps its signature).

    Except where the load time decides which copy of a key the staging views keep
    (`latest_rows`: the latest load wins): for a key held by more than one month, its
    rows' load time is part of their hash, so loading one of those months again
    changes its signature even with the same rows."""
    found = []
    for (schema, table), spec in MONTHLY_INPUTS.items():
        if not table_exists(conn, schema, table):
            continue
        names = [column.name for column in spec.columns]
        (load_time,) = [name for name in names if name in BOOKKEEPING_COLUMNS]
        content = [name for name in names if name not in (load_time, PARTITION_MONTH)]
        keys = ", ".join(f'"{key}"' for key in spec.primary_key)
        joined = " and ".join(f'rows."{key}" = repeated."{key}"' for key in spec.primary_key)
        hashed = ", ".join(f'rows."{name}"' for name in content)
        found += conn.execute(
            f"""
            with repeated as (
                select {keys}, true as held_twice from {schema}.{table}
                group by {keys} having count(distinct {PARTITION_MONTH}) > 1
            )
            select '{schema}.{table}', strftime(rows.{PARTITION_MONTH}, '%Y-%m'),
                count(*) || ':' || sum(cast(hash({hashed}, case when held_twice
                    then rows."{load_time}" end) as hugeint))
            from {schema}.{table} as rows
            left join repeated on {joined}
            group by all order by all
            """
        ).fetchall()
    return tuple(found)


def first_changed_month(
    before: tuple[tuple[str, str, str], ...], now: tuple[tuple[str, str, str], ...]
) -> str | None:
    """The first month some table holds other rows in `now` than in `before` (rows
    added, changed or removed), None when every month is as it was."""
    old = {(table, month): signature for table, month, signature in before}
    new = {(table, month): signature for table, month, signature in now}
    changed = [key[1] for key in old.keys() | new.keys() if old.get(key) != new.get(key)]
    return min(changed, default=None)


def _last_months(conn: duckdb.DuckDBPyConnection) -> tuple[tuple[str, str, str], ...] | None:
    """The month signatures the last finished build recorded, None when none did."""
    if not table_exists(conn, STATE_SCHEMA, MONTHS_TABLE):
        return None
    return tuple(
        conn.execute(
            f"select input_table, month, signature from {STATE_SCHEMA}.{MONTHS_TABLE} order by all"
        ).fetchall()
    )


def _last_build(conn: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    if not table_exists(conn, STATE_SCHEMA, STATE_TABLE):
        return None
    row = conn.execute(f"select fingerprint, status from {STATE_SCHEMA}.{STATE_TABLE}").fetchone()
    return (row[0], row[1]) if row else None


def earliest_affected_month(
    conn: duckdb.DuckDBPyConnection, first_loaded: str, variables: dict[str, Any]
) -> str:
    """The first month whose rows can change when months from `first_loaded` on changed."""
    earliest = _month_minus(first_loaded, margin_months(variables))
    start = date.fromisoformat(f"{first_loaded}-01")
    candidates = [earliest]
    if table_exists(conn, "raw", "mentions"):
        month = _earliest_thread_month(conn, start)
        if month is not None:
            candidates.append(_month_key(month))
    if table_exists(conn, "intermediate", "int_negative_poster_journeys"):
        (month,) = conn.execute(
            "select min(reporting_month) from intermediate.int_negative_poster_journeys "
            "where journey_start_at + to_days(cast(? as integer)) >= ?",
            [int(variables["recovery_window_days"]), start],
        ).fetchone()
        if month is not None:
            candidates.append(_month_key(month))
    return min(candidates)


def _earliest_thread_month(conn: duckdb.DuckDBPyConnection, start: date) -> date | None:
    """The first month of a message that shares a thread with a message loaded from
    `start` on, or is an earlier copy of one (None when nothing was loaded).

    The loaded messages are walked up their reply chains; every thread the last build
    left (int_message_threads) that holds a message of those chains, or a reply to
    one (a reply loaded before the message it answers started a thread of its own),
    is affected whole. With those threads only the loaded messages need walking (an
    older message's ancestors are its thread), so the query scans the raw messages
    (three streaming scans, no copy of them) instead of joining every one at each step
    of the walk; without those threads every message is walked."""
    threads = table_exists(conn, "intermediate", "int_message_threads")
    in_threads = (
        """
        union
        select threads.mention_key
        from intermediate.int_message_threads as threads
        where threads.thread_key in (
            select thread_key from intermediate.int_message_threads
            where mention_key in (select mention_key from chain)
                or mention_key in (
                    select mention_key from mentions
                    where parent_key in (select mention_key from chain)
                )
        )"""
        if threads
        else ""
    )
    (month,) = conn.execute(
        f"""
        with recursive mentions as not materialized (
            select
                platform || ':' || mention_id as mention_key,
                case when nullif(trim(in_reply_to_id), '') is not null
                    then platform || ':' || trim(in_reply_to_id) end as parent_key,
                {PARTITION_MONTH} as month
            from raw.mentions
        ),
        loaded as (
            select mention_key, parent_key from mentions where month >= ?
        ),
        links as (
            select mention_key, parent_key from {"loaded" if threads else "mentions"}
            where parent_key is not null
        ),
        chain(mention_key, steps) as (
            select mention_key, 0 from loaded
            union
            select links.parent_key, chain.steps + 1
            from chain
            inner join links on links.mention_key = chain.mention_key
            where chain.steps < {MAX_THREAD_DEPTH}
        ),
        affected as (
            select mention_key from chain{in_threads}
        )
        select min(month) from mentions
        where mention_key in (select mention_key from affected)
        """,
        [start],
    ).fetchone()
    return month


def plan_build(
    conn: duckdb.DuckDBPyConnection,
    manifest_path: Path,
    variables: dict[str, Any],
    first_loaded: str | None,
    full_refresh: str | None = None,
) -> BuildPlan:
    """Decide what the next build rebuilds (see the module docstring); `full_refresh`,
    when given, is why every month must be rebuilt whatever the plan would say.
    `first_loaded` (the first month the run loaded) is used only when no finished
    build recorded what it read."""
    current = fingerprint(conn, manifest_path, variables)
    months = month_signatures(conn)
    last = _last_build(conn)
    if full_refresh:
        return BuildPlan(current, True, None, full_refresh, months)
    if last is None:
        return BuildPlan(current, True, None, "no earlier build recorded", months)
    if last[1] != "built":
        return BuildPlan(current, True, None, "the last build did not finish", months)
    if last[0] != current:
        return BuildPlan(
            current, True, None, "dbt code, vars, reference data or calibration changed", months
        )
    before = _last_months(conn)
    if before is None:
        if first_loaded is None:
            return BuildPlan(current, False, None, "no loaded month named: every month", months)
        changed, why = first_loaded, f"loaded from {first_loaded}"
    elif (changed := first_changed_month(before, months)) is not None:
        why = f"changed since the last build from {changed}"
    elif months:
        changed = max(month for _, month, _ in months)
        why = f"nothing changed since the last build; its newest month {changed}"
    else:
        return BuildPlan(current, False, None, "no monthly rows: every month", months)
    month = earliest_affected_month(conn, changed, variables)
    return BuildPlan(current, False, month, f"months from {month} on ({why})", months)


def record_build(conn: duckdb.DuckDBPyConnection, plan: BuildPlan, status: str) -> None:
    """Record the build's fingerprint as ``building`` before dbt runs, ``built`` after,
    and once built the month signatures it read (in one transaction)."""
    conn.execute("begin")
    conn.execute(
        f"create table if not exists {STATE_SCHEMA}.{STATE_TABLE} "
        "(fingerprint varchar not null, status varchar not null, "
        "rebuild_from_month varchar, recorded_at timestamp not null)"
    )
    conn.execute(f"delete from {STATE_SCHEMA}.{STATE_TABLE}")
    conn.execute(
        f"insert into {STATE_SCHEMA}.{STATE_TABLE} values (?, ?, ?, now())",
        [plan.fingerprint, status, plan.rebuild_from_month],
    )
    if status == "built":
        conn.execute(
            f"create or replace table {STATE_SCHEMA}.{MONTHS_TABLE} "
            "(input_table varchar not null, month varchar not null, signature varchar not null)"
        )
        if plan.months:
            conn.executemany(
                f"insert into {STATE_SCHEMA}.{MONTHS_TABLE} values (?, ?, ?)", list(plan.months)
            )
    conn.execute("commit")
