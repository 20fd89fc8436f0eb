"""Landing files: monthly layout, rotating formats, extra columns, the sprinkle of bad rows.

The plan (`plan_source`) decides every file's rows, their order and which of them the
loader must refuse, before anything is written; the truth's expected counts and the
list of bad rows with file and line come from the same plan, so they cannot drift
from the files. Writing is idempotent: a file is rewritten only when its bytes change
and stale demo files are removed.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

FORMATS: tuple[str, ...] = ("csv", "csv.gz", "jsonl", "parquet")
SOURCE_FORMAT_OFFSET = {"mentions": 0, "complaints": 1, "nps_responses": 2, "stock_prices": 3}
DEMO_FOLDER = "demo"
MIN_ROWS_FOR_BAD = 50
BAD_ROW_SHARE = 0.02  # at most this share of a file is planted bad (threshold is 5%)

CANONICAL: dict[str, dict[str, pl.DataType]] = {
    "mentions": {
        "mention_id": pl.Utf8,
        "platform": pl.Utf8,
        "created_at": pl.Utf8,
        "author_id": pl.Utf8,
        "text": pl.Utf8,
        "brand": pl.Utf8,
        "in_reply_to_id": pl.Utf8,
        "language": pl.Utf8,
        "author_followers": pl.Int64,
        "url": pl.Utf8,
        "deleted_at": pl.Utf8,
    },
    "complaints": {
        "complaint_id": pl.Utf8,
        "brand": pl.Utf8,
        "received_at": pl.Utf8,
        "channel": pl.Utf8,
        "category": pl.Utf8,
        "customer_id": pl.Utf8,
        "social_handle": pl.Utf8,
        "resolved_at": pl.Utf8,
        "is_timely_response": pl.Boolean,
    },
    "nps_responses": {
        "response_id": pl.Utf8,
        "brand": pl.Utf8,
        "answered_at": pl.Utf8,
        "score": pl.Int64,
        "respondent_id": pl.Utf8,
        "comment": pl.Utf8,
        "wave": pl.Utf8,
    },
    "stock_prices": {
        "ticker": pl.Utf8,
        "date": pl.Utf8,
        "open": pl.Float64,
        "high": pl.Float64,
        "low": pl.Float64,
        "close": pl.Float64,
        "adj_close": pl.Float64,
        "volume": pl.Int64,
        "currency": pl.Utf8,
    },
}
ID_COLUMN = {
    "mentions": "mention_id",
    "complaints": "complaint_id",
    "nps_responses": "response_id",
    "stock_prices": "date",
}
BAD_TYPES: dict[str, tuple[tuple[str, str], ...]] = {
    "mentions": (
        ("unparsable_timestamp", "created_at"),
        ("missing_required", "mention_id"),
        ("duplicate_id", "mention_id"),
        ("missing_required", "author_id"),
    ),
    "complaints": (
        ("unparsable_timestamp", "received_at"),
        ("missing_required", "brand"),
        ("duplicate_id", "complaint_id"),
        ("missing_required", "complaint_id"),
    ),
    "nps_responses": (
        ("score_out_of_range", "score"),
        ("unparsable_timestamp", "answered_at"),
        ("duplicate_id", "response_id"),
        ("score_out_of_range", "score"),
        ("missing_required", "response_id"),
    ),
    "stock_prices": (
        ("non_positive_close", "close"),
        ("duplicate_id", "date"),
        ("unparsable_timestamp", "date"),
    ),
}
BAD_TIMESTAMPS = (
    "{m}-32T10:15:00",
    "gisteren om 14:05",
    "{m}-15T25:61:00",
    "{m}-00T09:00:00Z",
    "onbekend",
)


@dataclass
class PlannedFile:
    """One landing file: its rows in order and what the loader must do with them."""

    source: str
    month: str
    relpath: str  # relative to the landing folder
    fmt: str
    frame: pl.DataFrame  # the columns written, in order
    bad_rows: list[dict] = field(default_factory=list)
    identical_duplicates: list[dict] = field(default_factory=list)

    def line(self, position: int) -> int:
        """1-based line of the record at `position` (CSV header is line 1)."""
        return position + (2 if self.fmt.startswith("csv") else 1)

    def to_bytes(self) -> bytes:
        """The file's content in its format (deterministic: no timestamps inside)."""
        buffer = io.BytesIO()
        if self.fmt == "parquet":
            self.frame.write_parquet(buffer, compression="zstd", statistics=True)
            return buffer.getvalue()
        if self.fmt == "jsonl":
            self.frame.write_ndjson(buffer)
            return buffer.getvalue()
        self.frame.write_csv(buffer)
        data = buffer.getvalue()
        return gzip.compress(data, compresslevel=6, mtime=0) if self.fmt == "csv.gz" else data


def _extras(
    source: str, month_idx: int, frame: pl.DataFrame, rng: np.random.Generator
) -> dict[str, pl.Series]:
    """Non-canonical columns some exports carry; the loader must keep them in `extra`."""
    n = frame.height
    extras: dict[str, pl.Series] = {}
    if source == "mentions":
        extras["is_automated"] = frame["is_automated"]
        if month_idx % 4 == 2:
            campaigns = np.array(
                [None, "zomeractie", "overstapweken", "webcare-pilot"], dtype=object
            )
            extras["campaign"] = pl.Series(
                campaigns[rng.choice(4, n, p=[0.85, 0.05, 0.05, 0.05])].tolist(), dtype=pl.Utf8
            )
            devices = np.array(["iPhone", "Android", "web", "BlackBerry"], dtype=object)
            device = devices[rng.integers(0, 4, n)]
            device[frame["platform"].to_numpy() != "twitter"] = None
            extras["device"] = pl.Series(device.tolist(), dtype=pl.Utf8)
    elif source == "complaints" and month_idx % 5 == 0:
        teams = np.array(["team-noord", "team-zuid", "team-digitaal"], dtype=object)
        extras["agent_team"] = pl.Series(teams[rng.integers(0, 3, n)].tolist(), dtype=pl.Utf8)
    elif source == "nps_responses" and month_idx % 3 == 0:
        channels = np.array(["email", "sms", "web"], dtype=object)
        extras["survey_channel"] = pl.Series(
            channels[rng.integers(0, 3, n)].tolist(), dtype=pl.Utf8
        )
    elif source == "stock_prices" and month_idx % 6 == 3:
        extras["exchange"] = pl.Series(["XAMS"] * n, dtype=pl.Utf8)
    return extras


def _bad_row(
    source: str,
    reason: str,
    column: str,
    template: dict,
    month: str,
    k: int,
    rng: np.random.Generator,
) -> dict:
    """A copy of `template` broken in exactly one way (or, for duplicates, changed in content)."""
    row = dict(template)
    new_id = {
        "mentions": f"{90_000_000_000 + k}"
        if not str(row.get("mention_id", "")).startswith("fb_")
        else f"fb_{90_000_000_000 + k}",
        "complaints": f"C{9_000_000_000 + k}",
        "nps_responses": f"NPS-{9_900_000 + k}",
        "stock_prices": None,
    }[source]
    id_col = ID_COLUMN[source]
    if reason == "duplicate_id":
        if source == "mentions":
            row["text"] = row["text"] + (" (aangepast)" if "(" not in row["text"] else " ...")
        elif source == "complaints":
            row["channel"] = "letter" if row["channel"] != "letter" else "email"
            row["category"] = "overig"
        elif source == "nps_responses":
            row["score"] = (row["score"] + 3) % 11
        else:
            row["close"] = round(row["close"] * 1.013 + 0.01, 2)
        return row
    if source != "stock_prices":
        row[id_col] = new_id
    if reason == "unparsable_timestamp":
        if source == "stock_prices":
            row["date"] = f"{month}-32"
        else:
            row[column] = BAD_TIMESTAMPS[k % len(BAD_TIMESTAMPS)].format(m=month)
    elif reason == "missing_required":
        row[column] = None
    elif reason == "score_out_of_range":
        row["score"] = (11, -1, 12)[k % 3]
    return row


def plan_source(
    source: str,
    frame: pl.DataFrame,
    months: list[str],
    rng: np.random.Generator,
) -> tuple[list[PlannedFile], set[int]]:
    """Files of one partitioned source, and the `_row`s rejected in place (bad close prices)."""
    canonical = CANONICAL[source]
    planned: list[PlannedFile] = []
    rejected_in_place: set[int] = set()
    counter = 0
    for month_idx, month in enumerate(months):
        rows = frame.filter(pl.col("_month") == month)
        base = (month_idx + SOURCE_FORMAT_OFFSET[source]) % len(FORMATS)
        if source == "mentions" and month_idx % 3 == 1 and rows.height >= 2:
            half = rows.height // 2
            parts = [
                (rows.slice(0, half), FORMATS[base], "-part1"),
                (rows.slice(half), FORMATS[(base + 1) % 4], "-part2"),
            ]
        else:
            parts = [(rows, FORMATS[base], "")]
        for part, fmt, suffix in parts:
            relpath = f"{source}/{DEMO_FOLDER}/{month}/{source}{suffix}.{fmt}"
            extras = _extras(source, month_idx, part, rng)
            written = part.select([pl.col(c).cast(t) for c, t in canonical.items()]).with_columns(
                **extras
            )
            written = written.with_columns(
                pl.Series("_pos", np.arange(part.height, dtype=np.float64)), part["_row"]
            )
            plan = PlannedFile(source, month, relpath, fmt, written)
            counter = _plant(plan, source, month_idx, month, rng, counter, rejected_in_place, part)
            planned.append(plan)
    return planned, rejected_in_place


def _plant(
    plan: PlannedFile,
    source: str,
    month_idx: int,
    month: str,
    rng: np.random.Generator,
    counter: int,
    rejected_in_place: set[int],
    part: pl.DataFrame,
) -> int:
    """Insert this file's bad rows and identical duplicates; fix their lines."""
    frame = plan.frame
    n = frame.height
    additions: list[dict] = []
    marks: list[tuple[float, str, str | None, str]] = []  # (_pos, kind, reason, column)
    types = BAD_TYPES[source]
    budget = int(BAD_ROW_SHARE * n) if n >= MIN_ROWS_FOR_BAD else 0
    n_bad = min(budget, len(types)) if month_idx % 3 != 2 else 0
    # Templates are customer messages for mentions (the bad copy of a reply would still
    # reference a real thread) and rows that are not a month's last trading day for prices.
    eligible = np.arange(n)
    if source == "mentions":
        eligible = np.nonzero(~part["_is_brand"].to_numpy())[0]
    if source == "stock_prices":
        month_end = part["date"] == part["date"].max()
        eligible = np.nonzero(~month_end.to_numpy())[0]
    if len(eligible) == 0:
        return counter
    used: set[int] = set()
    for j in range(n_bad):
        reason, column = types[(month_idx + j) % len(types)]
        pick = int(eligible[rng.integers(0, len(eligible))])
        while pick in used:
            pick = int(eligible[rng.integers(0, len(eligible))])
        used.add(pick)
        template = frame.row(pick, named=True)
        counter += 1
        if reason == "non_positive_close":
            value = (0.0, -1.25)[counter % 2]
            frame = frame.with_columns(
                pl.when(pl.col("_pos") == pick)
                .then(pl.lit(value))
                .otherwise(pl.col("close"))
                .alias("close")
            )
            rejected_in_place.add(int(template["_row"]))
            marks.append((float(pick), "bad", reason, column))
            continue
        row = _bad_row(source, reason, column, template, month, counter, rng)
        # The second occurrence of a duplicate id is the bad one, so it goes after the first.
        if reason == "duplicate_id":
            row["_pos"] = pick + 0.05 + 0.9 * rng.random()
        else:
            row["_pos"] = int(rng.integers(0, n)) - 0.95 + 0.9 * rng.random()
        row["_row"] = -1
        additions.append(row)
        marks.append((row["_pos"], "bad", reason, column))
    n_dup = (1 + (n >= 1000)) if (month_idx % 4 == 1 and n >= 20) else 0
    for _ in range(n_dup):
        pick = int(eligible[rng.integers(0, len(eligible))])
        while pick in used:
            pick = int(eligible[rng.integers(0, len(eligible))])
        used.add(pick)
        row = frame.row(pick, named=True)
        row["_pos"] = pick + 0.05 + 0.9 * rng.random()
        row["_row"] = -1
        additions.append(row)
        marks.append((row["_pos"], "dup", str(pick), None))
    if additions:
        frame = pl.concat([frame, pl.DataFrame(additions, schema=frame.schema)])
    frame = frame.sort("_pos")
    positions = {p: i for i, p in enumerate(frame["_pos"].to_list())}
    id_col = ID_COLUMN[source]
    for pos, kind, reason, column in marks:
        i = positions[pos]
        record = frame.row(i, named=True)
        if kind == "bad":
            plan.bad_rows.append(
                {
                    "source": source,
                    "month": month,
                    "file": plan.relpath,
                    "line": plan.line(i),
                    "column": column,
                    "reason": reason,
                    "id": record[id_col]
                    if source != "stock_prices"
                    else f"{record['ticker']}:{record['date']}",
                }
            )
        else:
            original = positions[float(reason)]
            plan.identical_duplicates.append(
                {
                    "source": source,
                    "month": month,
                    "file": plan.relpath,
                    "line": plan.line(i),
                    "duplicate_of_line": plan.line(original),
                }
            )
    plan.bad_rows.sort(key=lambda r: r["line"])
    plan.identical_duplicates.sort(key=lambda r: r["line"])
    plan.frame = frame.drop("_pos", "_row")
    return counter


def write_files(landing: Path, files: dict[str, bytes], sources: tuple[str, ...]) -> dict[str, int]:
    """Write `files` (relative path -> bytes) idempotently; drop stale files of the demo folders.

    Returns counts of files written, unchanged and removed. A file whose bytes did not
    change keeps its modification time, so a landing sensor sees nothing new.
    """
    stats = {"written": 0, "unchanged": 0, "removed": 0}
    for relpath in sorted(files):
        path = landing / relpath
        data = files[relpath]
        if path.is_file() and path.read_bytes() == data:
            stats["unchanged"] += 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        stats["written"] += 1
    wanted = {(landing / p).resolve() for p in files}
    for source in sources:
        folder = landing / source / DEMO_FOLDER
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*"), reverse=True):
            if path.is_file() and path.resolve() not in wanted:
                path.unlink()
                stats["removed"] += 1
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return stats
