"""From parsed files to what one partition (or a reference table) writes.

For a month of a partitioned source: gather the files touching it, look for
duplicates over all their rows (in file and line order), keep the month's
rows, enrich them, and collect the month's refused rows with the record as
read. Before anything is written every file's share of refused rows is
checked against the threshold (`check_threshold`); a run with a file over it
writes nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import polars as pl

from assets.raw.adapters import EXTRA
from assets.raw.enrich import (
    Reference,
    enrich_mentions,
    pseudonymise_columns,
    pseudonymise_records,
)
from assets.raw.landing import LandedFile, LandingIndex
from assets.raw.opening_hours import OpeningHoursError, parse_opening_hours
from assets.raw.parsing import ParsedFile, parse_landed_file, records_as_json
from assets.raw.readers import LINE
from assets.raw.schemas import SCHEMAS, SourceSchema
from assets.raw.validation import COLUMN, PARTITION, REASON, find_duplicates, rejected_schema
from assets.raw.writer import TABLES
from warehouse.partitions import month_start
from warehouse.settings import Settings

FILE = "__file"
# A refused row of a month whose own timestamp dates it there (see prepare_month).
DATED_IN_MONTH = "__dated_in_month"
KEEP = "__keep"
EXACT = "__exact"
_SAMPLE_REJECTS = 20


@dataclass
class FileMonthStats:
    """Counts for one file within one partition (or the whole reference table).

    `rows`/`rejected` count the file's rows in the partition; `file_rows` /
    `file_rejected` count the whole file, every month of it, whichever months
    a run loads.
    """

    file: str
    rows: int = 0
    rejected: int = 0
    duplicates: int = 0
    file_rows: int = 0
    file_rejected: int = 0

    @property
    def rejected_share(self) -> float:
        """Refused rows / rows of the file in the partition."""
        return self.rejected / self.rows if self.rows else 0.0

    @property
    def file_rejected_share(self) -> float:
        """Refused rows / rows of the whole file."""
        return self.file_rejected / self.file_rows if self.file_rows else 0.0


@dataclass
class Batch:
    """What one write replaces: the rows per table and the refused rows.

    `notes` are lines for the user about what was read but not loaded (an
    unnamed column); `warnings` say what the loaded data lacks (no reference
    rows at all).
    """

    source: str
    month: str | None
    tables: dict[str, pl.DataFrame]
    rejected: pl.DataFrame
    files: list[FileMonthStats] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        """Rows written to the source's own table."""
        return self.tables[self.source].height

    @property
    def rows_rejected(self) -> int:
        """Refused rows recorded for this partition."""
        return self.rejected.height

    @property
    def duplicates(self) -> int:
        """Exact duplicate rows loaded once."""
        return sum(stats.duplicates for stats in self.files)


@dataclass(frozen=True)
class ThresholdProblem:
    """One file over the reject threshold: the line saying so and the refusals behind it.

    `whole_file` is true when the whole file's share is over the threshold, so
    every month the file touches fails the same way.
    """

    file: str
    line: str
    whole_file: bool
    samples: tuple[dict[str, object], ...]
    reasons: tuple[tuple[str, int], ...]


class RejectThresholdError(Exception):
    """Files refused more than the allowed share of their rows; nothing was written.

    `samples` lists refused rows (file, line, column, reason) so a user can
    see why without opening the warehouse.
    """

    def __init__(self, source: str, problems: list[ThresholdProblem]):
        self.source = source
        self.problems = problems
        self.samples = [sample for problem in problems for sample in problem.samples]
        reasons: Counter[str] = Counter()
        for problem in problems:
            reasons.update(dict(problem.reasons))
        self.reasons = dict(reasons.most_common())
        super().__init__(
            f"{source}: {len(problems)} file(s) refused more rows than allowed; "
            "nothing was written.\n" + "\n".join(problem.line for problem in problems)
        )

    def without_files(self, files: set[str]) -> RejectThresholdError | None:
        """This error less the whole-file problems of `files` (already reported); None if empty.

        A file over the threshold as a whole fails every month it touches; a run
        over many months says so once.
        """
        left = [p for p in self.problems if not (p.whole_file and p.file in files)]
        return RejectThresholdError(self.source, left) if left else None


class ParsedFiles:
    """Parses files on first use and keeps them for the rest of the run."""

    def __init__(self, settings: Settings, index: LandingIndex) -> None:
        self._settings = settings
        self._parsed: dict[str, ParsedFile] = dict(index.parsed)

    def get(self, landed: LandedFile) -> ParsedFile:
        """The parsed file; raises `LandingFileError` when it cannot be read."""
        if landed.problem is not None and landed.format is None:
            raise landed.error()
        if landed.relative_path not in self._parsed:
            # The bytes must be those the index saw: a file rewritten since fails
            # ("changed while it was read") instead of loading part of itself.
            self._parsed[landed.relative_path] = parse_landed_file(
                landed.path,
                landed.relative_path,
                landed.source,
                self._settings,
                expected_sha256=landed.sha256,
            )
        return self._parsed[landed.relative_path]


def _without_copied_refusals(parsed: list[ParsedFile], copies: dict[str, str]) -> list[ParsedFile]:
    """The files, where a byte-for-byte copy of an earlier file refuses nothing of its own.

    Its rows are exact duplicates and load once; its refused rows are the
    original's and are recorded there, once.
    """
    return [
        replace(p, rejected=p.rejected.clear()) if p.relative_path in copies else p for p in parsed
    ]


def prepare_month(
    source: str,
    month: str,
    index: LandingIndex,
    parsed_files: ParsedFiles,
    settings: Settings,
    reference: Reference | None,
    loaded_at: datetime,
) -> Batch:
    """The rows and refused rows one month of a partitioned source writes.

    The first partition (settings.first_month) also records the rows dated
    before it as refused: no partition holds them, and dropping them would
    leave no trace. They do not count towards the reject threshold: they are
    outside the configured window, not broken.
    """
    # Rows before the first partition have no month of their own: the first takes them.
    takes_early = month == settings.first_month
    landed = [
        item
        for item in index.files_for(source)
        if month in item.months or (takes_early and any(m < month for m in item.months))
    ]
    for item in landed:
        if item.problem is not None:
            raise item.error()
    parsed = _without_copied_refusals(
        [parsed_files.get(item) for item in landed], index.copies(source)
    )
    homes = {item.relative_path: item.home_month for item in landed}
    first_day = month_start(month)

    in_month = pl.col(PARTITION) == first_day
    marked, conflicts = _deduplicate(parsed, SCHEMAS[source])
    early = (
        _before_first_partition(source, parsed, marked, homes, month)
        if takes_early
        else _empty_rejects()
    )
    validation_rejects = pl.concat(
        [
            _empty_rejects(),
            *(
                p.rejected.filter(
                    in_month
                    | (pl.col(PARTITION).is_null() & pl.lit(homes[p.relative_path] == month))
                )
                .with_columns(pl.lit(p.relative_path).alias(FILE))
                .select(FILE, LINE, COLUMN, REASON)
                for p in parsed
            ),
        ]
    )
    # The whole files' refusals (every month) decide the file share, whichever
    # months this run loads.
    file_rejected = pl.concat([_validation_rejects(parsed), conflicts]).sort(FILE, LINE)
    marked = marked.filter(in_month)
    conflicts = conflicts.join(marked.select(FILE, LINE), on=[FILE, LINE], how="semi")
    rejected = pl.concat([validation_rejects, conflicts]).sort(FILE, LINE)
    stats = _file_stats(parsed, marked, validation_rejects, conflicts, file_rejected)
    check_threshold(
        source,
        month,
        stats,
        rejected,
        file_rejected,
        settings.reject_threshold,
        settings.reject_min_month_rows,
    )
    rows = marked.filter(pl.col(KEEP))
    rejected = pl.concat([rejected, early]).sort(FILE, LINE)
    # Refused rows filed in this month although their own date does not put them
    # here: undatable (or too far ahead) ones under their file's month, early ones
    # under the first partition. They count for their file, not for the month.
    elsewhere = pl.concat(
        [
            _empty_rejects().select(FILE, LINE),
            early.select(FILE, LINE),
            *(
                p.rejected.filter(pl.col(PARTITION).is_null())
                .with_columns(pl.lit(p.relative_path).alias(FILE))
                .select(FILE, LINE)
                for p in parsed
            ),
        ]
    )
    rejected = rejected.with_columns(
        pl.struct(FILE, LINE)
        .is_in(elsewhere.select(pl.struct(FILE, LINE)).to_series().implode())
        .not_()
        .alias(DATED_IN_MONTH)
    )

    rows = _enrich(source, rows, reference, settings)
    tables = {source: _finish_rows(source, rows, loaded_at)}
    return Batch(
        source=source,
        month=month,
        tables=tables,
        rejected=_finish_rejected(
            source, rejected, parsed, first_day, loaded_at, reference, settings.pseudonymisation_key
        ),
        files=stats,
        notes=_notes(parsed),
    )


def prepare_reference(
    source: str,
    index: LandingIndex,
    parsed_files: ParsedFiles,
    settings: Settings,
    loaded_at: datetime,
) -> Batch:
    """The rows and refused rows of a reference source (all its files, replaced whole)."""
    landed = index.files_for(source)
    parsed = _without_copied_refusals(
        [parsed_files.get(item) for item in landed], index.copies(source)
    )
    if source == "webcare_accounts":
        parsed = [_check_opening_hours(p) for p in parsed]
    marked, conflicts = _deduplicate(parsed, SCHEMAS[source])
    validation_rejects = _validation_rejects(parsed)
    rejected = pl.concat([validation_rejects, conflicts]).sort(FILE, LINE)
    stats = _file_stats(parsed, marked, validation_rejects, conflicts, rejected)
    check_threshold(
        source,
        None,
        stats,
        rejected,
        rejected,
        settings.reject_threshold,
        settings.reject_min_month_rows,
    )
    rows = marked.filter(pl.col(KEEP))

    tables: dict[str, pl.DataFrame] = {}
    if source == "webcare_accounts":
        # Without any file the frame has no contract columns to fill: the
        # tables are written empty (`_finish_rows` takes their columns from TABLES).
        if rows.height:
            rows = rows.with_columns(
                pl.col("is_bot").fill_null(False),
                pl.col("timezone").fill_null(settings.source_timezone),
            )
            tables["webcare_account_opening_hours"] = _opening_hours_rows(rows, loaded_at)
        else:
            tables["webcare_account_opening_hours"] = _finish_rows(
                "webcare_account_opening_hours", rows, loaded_at
            )
    tables[source] = _finish_rows(source, rows, loaded_at)
    return Batch(
        source=source,
        month=None,
        tables=tables,
        rejected=_finish_rejected(
            source, rejected, parsed, None, loaded_at, None, settings.pseudonymisation_key
        ),
        files=stats,
        notes=_notes(parsed),
        warnings=[] if rows.height else [_empty_reference_warning(source, bool(landed))],
    )


# What each reference source feeds: said when it is empty, so empty KPIs are not a mystery.
_EMPTY_REFERENCE_EFFECTS = {
    "webcare_accounts": "brand accounts are known only where an export marks them (twcs "
    "inbound = False) and the response KPIs (first response times, promises kept) will be "
    "empty",
    "brands": "brands found in the data get sector 'unassigned' and no ticker, and the "
    "share-price KPIs will be empty",
}


def _empty_reference_warning(source: str, files_landed: bool) -> str:
    what = source.replace("_", " ")
    if files_landed:
        return (
            f"no {what} loaded: the files under landing/{source}/ hold no rows, so raw.{source} "
            f"is empty and {_EMPTY_REFERENCE_EFFECTS[source]}."
        )
    return (
        f"no {what} landed: raw.{source} is empty, so {_EMPTY_REFERENCE_EFFECTS[source]}. "
        f"Land them under landing/{source}/ to fill it."
    )


def _before_first_partition(
    source: str,
    parsed: list[ParsedFile],
    marked: pl.DataFrame,
    homes: dict[str, str | None],
    first_month: str,
) -> pl.DataFrame:
    """Refused rows (file, line, column, reason) for everything dated before `first_month`.

    Valid rows before it are refused for that reason; rows already refused,
    whose month (or, undatable, whose file's home month) is before it, keep
    their own reason. Exact duplicates and conflicting rows are left out:
    their first occurrence is recorded.
    """
    first_day = month_start(first_month)
    column = SCHEMAS[source].partition_column
    labels = {p.relative_path: p.labels.get(column, column) for p in parsed}
    early_rows = marked.filter((pl.col(PARTITION) < first_day) & pl.col(KEEP))
    refused = [
        {
            FILE: file,
            LINE: line,
            COLUMN: labels[file],
            REASON: f"{labels[file]}: {day:%Y-%m} is before the first partition {first_month} "
            f"(setting WEBCARE_FIRST_MONTH); set it to {day:%Y-%m} or earlier to load this row",
        }
        for file, line, day in early_rows.select(FILE, LINE, PARTITION).iter_rows()
    ]
    already = [
        p.rejected.filter(
            (pl.col(PARTITION) < first_day)
            | (pl.col(PARTITION).is_null() & pl.lit(_before(homes[p.relative_path], first_month)))
        )
        .with_columns(pl.lit(p.relative_path).alias(FILE))
        .select(FILE, LINE, COLUMN, REASON)
        for p in parsed
    ]
    return pl.concat(
        [_empty_rejects(), pl.DataFrame(refused, schema=_empty_rejects().schema), *already]
    )


def _before(month: str | None, first_month: str) -> bool:
    return month is not None and month < first_month


def _validation_rejects(parsed: list[ParsedFile]) -> pl.DataFrame:
    """Every refused row of the files (all months), with the file."""
    return pl.concat(
        [
            _empty_rejects(),
            *(
                p.rejected.with_columns(pl.lit(p.relative_path).alias(FILE)).select(
                    FILE, LINE, COLUMN, REASON
                )
                for p in parsed
            ),
        ]
    )


def _notes(parsed: list[ParsedFile]) -> list[str]:
    """What the files held that is not loaded (unnamed columns), one line each."""
    return [note for p in parsed for note in p.raw.ignored_notes()]


def _deduplicate(
    parsed: list[ParsedFile], schema: SourceSchema
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """All valid rows of the files (file, line order) marked KEEP / EXACT, and the conflicts.

    Conflicts come back as refused rows (file, line, column, reason) pointing
    at the first occurrence of their key.
    """
    frames = [p.rows.with_columns(pl.lit(p.relative_path).alias(FILE)) for p in parsed]
    empty_rejects = _empty_rejects()
    if not frames:
        empty = pl.DataFrame(
            schema={
                FILE: pl.String,
                LINE: pl.Int64,
                PARTITION: pl.Date,
                KEEP: pl.Boolean,
                EXACT: pl.Boolean,
            }
        )
        return empty, empty_rejects
    # Adapters may add hint columns (twcs): files without them get nulls.
    combined = pl.concat(frames, how="diagonal_relaxed")
    content = [column for column in combined.columns if column not in (LINE, PARTITION, FILE)]
    duplicates = find_duplicates(combined, schema, content, FILE)
    marked = combined.with_columns(duplicates.keep.alias(KEEP), duplicates.exact.alias(EXACT))
    labels = {p.relative_path: p.labels for p in parsed}
    # A platform only namespaces ids; a real composite key (ticker, date) is named in full.
    what = (
        "id"
        if len(schema.key) == 1 or schema.key[0] == "platform"
        else f"({', '.join(schema.key)})"
    )
    rows = []
    for file, line, first_file, first_line, shared, value in duplicates.conflicts.iter_rows():
        where = f"line {first_line}" if first_file == file else f"{first_file}, line {first_line}"
        label = labels[file].get(shared or schema.key[-1], shared or schema.key[-1])
        reason = (
            f"{label}: duplicate {what} with different content (first seen at {where})"
            if shared is None
            else f"{label}: '{value}' is already the {shared} of another row (first seen "
            f"at {where}); no two rows may share it"
        )
        rows.append({FILE: file, LINE: line, COLUMN: label, REASON: reason})
    conflicts = pl.DataFrame(rows, schema=empty_rejects.schema) if rows else empty_rejects
    return marked, conflicts


def _empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(
        schema={FILE: pl.String, LINE: pl.Int64, COLUMN: pl.String, REASON: pl.String}
    )


def _file_stats(
    parsed: list[ParsedFile],
    valid: pl.DataFrame,
    validation_rejects: pl.DataFrame,
    conflicts: pl.DataFrame,
    file_rejected: pl.DataFrame,
) -> list[FileMonthStats]:
    """Per file: rows (valid + refused by validation), refused (+ conflicts), exact duplicates.

    `valid`, `validation_rejects` and `conflicts` are the partition's; the
    whole file's rows come from the parsed file and its refusals from
    `file_rejected`.
    """
    valid_counts = dict(valid.group_by(FILE).len().iter_rows())
    exact_counts = dict(valid.filter(pl.col(EXACT)).group_by(FILE).len().iter_rows())
    refused_counts = Counter(validation_rejects[FILE].to_list())
    conflict_counts = Counter(conflicts[FILE].to_list())
    file_refused = Counter(file_rejected[FILE].to_list())
    return [
        FileMonthStats(
            file=p.relative_path,
            rows=valid_counts.get(p.relative_path, 0) + refused_counts.get(p.relative_path, 0),
            rejected=refused_counts.get(p.relative_path, 0)
            + conflict_counts.get(p.relative_path, 0),
            duplicates=exact_counts.get(p.relative_path, 0),
            file_rows=p.rows.height + p.rejected.height,
            file_rejected=file_refused.get(p.relative_path, 0),
        )
        for p in parsed
    ]


def check_threshold(
    source: str,
    month: str | None,
    stats: list[FileMonthStats],
    rejected: pl.DataFrame,
    file_rejected: pl.DataFrame,
    threshold: float,
    min_month_rows: int,
) -> None:
    """Raise `RejectThresholdError` for every file that refused more than `threshold`.

    A file fails when the share of its refused rows over the whole file is
    above the threshold, or (partitioned sources) when its share within
    `month` is, provided it has at least `min_month_rows` rows in that month:
    a month holding two rows of a large export is not judged on them alone.
    `rejected` holds the month's refusals, `file_rejected` the whole files'.
    """
    problems = []
    for item in stats:
        over_file = item.file_rows > 0 and item.file_rejected_share > threshold
        month_checked = month is not None and item.rows >= min_month_rows
        over_month = month_checked and item.rejected_share > threshold
        if not (over_file or over_month):
            continue
        refused = (file_rejected if over_file else rejected).filter(pl.col(FILE) == item.file)
        kinds = Counter(_reason_kind(reason) for reason in refused[REASON].to_list())
        top = "; ".join(f"{count} x {kind}" for kind, count in kinds.most_common(3))
        problems.append(
            ThresholdProblem(
                file=item.file,
                line=f"{item.file}: {_shares(item, month, threshold, min_month_rows)}; "
                f"top reasons: {top}",
                whole_file=over_file,
                samples=tuple(
                    {"file": file, "line": line, "column": column, "reason": reason}
                    for file, line, column, reason in refused.head(_SAMPLE_REJECTS).iter_rows()
                ),
                reasons=tuple(kinds.most_common()),
            )
        )
    if problems:
        raise RejectThresholdError(source, problems)


def _shares(item: FileMonthStats, month: str | None, threshold: float, min_rows: int) -> str:
    """Both figures and which one failed, e.g. ``2 of 20 rows refused in the whole file ...``."""
    if month is None:
        return (
            f"{item.file_rejected:,} of {item.file_rows:,} rows refused "
            f"({item.file_rejected_share:.1%}); over the {threshold:.1%} threshold"
        )
    over_file = item.file_rows > 0 and item.file_rejected_share > threshold
    return (
        f"{item.file_rejected:,} of {item.file_rows:,} rows refused in the whole file "
        f"({item.file_rejected_share:.1%}), {item.rejected:,} of {item.rows:,} in {month} "
        f"({item.rejected_share:.1%}); over the {threshold:.1%} threshold "
        f"{'for the whole file' if over_file else f'in {month}'} "
        f"(a month is judged on its own from {min_rows:,} rows)"
    )


def _reason_kind(reason: str) -> str:
    """A reason without the quoted value, so similar refusals group together."""
    head, _, rest = reason.partition(": ")
    if "'" in rest:
        before, _, after = rest.partition("'")
        rest = before + "'...'" + after.partition("'")[2]
    return f"{head}: {rest}" if rest else head


def _enrich(
    source: str, rows: pl.DataFrame, reference: Reference | None, settings: Settings
) -> pl.DataFrame:
    key = settings.pseudonymisation_key
    if rows.height == 0:
        return rows
    if source == "mentions":
        return enrich_mentions(rows, reference or Reference.empty(), key)
    return pseudonymise_columns(rows, SCHEMAS[source].pseudonymised, key)


def _finish_rows(source: str, rows: pl.DataFrame, loaded_at: datetime) -> pl.DataFrame:
    table = TABLES[source]
    if rows.height == 0:
        return pl.DataFrame({name: [] for name in table.column_names})
    rows = rows.sort(FILE, LINE).with_columns(
        pl.col(FILE).alias("_source_file"),
        pl.col(LINE).alias("_source_line"),
        pl.lit(loaded_at, dtype=pl.Datetime("us")).alias("_loaded_at"),
        pl.col(EXTRA).alias("extra"),
    )
    missing = [name for name in table.column_names if name not in rows.columns]
    rows = rows.with_columns(pl.lit(None).alias(name) for name in missing)
    return rows.select(table.column_names)


def _finish_rejected(
    source: str,
    rejected: pl.DataFrame,
    parsed: list[ParsedFile],
    first_day: date | None,
    rejected_at: datetime,
    reference: Reference | None,
    key: str,
) -> pl.DataFrame:
    """The refused rows as raw.rejected_rows stores them, each with its record as read.

    People's ids in a record are pseudonymised as in a loaded row (`pseudonymise_records`):
    the table is as private as the raw tables.
    """
    records: dict[tuple[str, int], str] = {}
    for p in parsed:
        lines = rejected.filter(pl.col(FILE) == p.relative_path)[LINE].to_list()
        if lines:
            found = pseudonymise_records(
                source,
                records_as_json(p.raw, lines),
                p.raw,
                p.format,
                p.labels,
                reference or Reference.empty(),
                key,
            )
            for line, record in found.items():
                records[(p.relative_path, line)] = record
    record_column = [
        records.get((file, line)) for file, line in rejected.select(FILE, LINE).iter_rows()
    ]
    return rejected.select(
        pl.lit(source).alias("source"),
        pl.col(FILE).alias("file"),
        pl.col(LINE).alias("line"),
        pl.col(COLUMN).alias("column"),
        pl.col(REASON).alias("reason"),
        pl.Series("record", record_column, dtype=pl.String),
        pl.lit(first_day, dtype=pl.Date).alias("partition_month"),
        (
            pl.col(DATED_IN_MONTH)
            if DATED_IN_MONTH in rejected.columns
            else pl.lit(None, dtype=pl.Boolean)
        ).alias("is_dated_in_month"),
        pl.lit(rejected_at, dtype=pl.Datetime("us")).alias("rejected_at"),
    )


def _opening_hours_text(value: str | None) -> str | None:
    """Opening hours as one string; a YAML list of clauses is joined with ``;``."""
    if value is None or not value.startswith("["):
        return value
    try:
        items = json.loads(value)
    except json.JSONDecodeError:
        return value
    return "; ".join(str(item) for item in items) if isinstance(items, list) else value


def _check_opening_hours(parsed: ParsedFile) -> ParsedFile:
    """Refuse account rows whose opening hours cannot be read; normalise list values to text."""
    label = parsed.labels.get("opening_hours", "opening_hours")
    rows = parsed.rows.with_columns(
        pl.col("opening_hours").map_elements(_opening_hours_text, return_dtype=pl.String)
    )
    problems: list[tuple[int, str]] = []
    for line, text in rows.select(LINE, "opening_hours").iter_rows():
        try:
            parse_opening_hours(text)
        except OpeningHoursError as error:
            problems.append((line, f"{label}: {error}"))
    if not problems:
        return replace(parsed, rows=rows)
    bad_lines = [line for line, _ in problems]
    refused = pl.DataFrame(
        {
            LINE: bad_lines,
            COLUMN: [label] * len(problems),
            REASON: [reason for _, reason in problems],
            PARTITION: [None] * len(problems),
        },
        schema=rejected_schema(),
    )
    return replace(
        parsed,
        rows=rows.filter(~pl.col(LINE).is_in(bad_lines)),
        rejected=pl.concat([parsed.rejected, refused]).sort(LINE),
    )


def _opening_hours_rows(accounts: pl.DataFrame, loaded_at: datetime) -> pl.DataFrame:
    records = []
    for handle, platform, text, file, line in accounts.select(
        "handle", "platform", "opening_hours", FILE, LINE
    ).iter_rows():
        for window in parse_opening_hours(text):
            records.append(
                {
                    "handle": handle,
                    "platform": platform,
                    "weekday": window.weekday,
                    "opens_at": window.opens_at,
                    "closes_at": window.closes_at,
                    "_source_file": file,
                    "_source_line": line,
                }
            )
    schema = {
        "handle": pl.String,
        "platform": pl.String,
        "weekday": pl.Int32,
        "opens_at": pl.Time,
        "closes_at": pl.Time,
        "_source_file": pl.String,
        "_source_line": pl.Int64,
    }
    frame = pl.DataFrame(records, schema=schema)
    return frame.with_columns(pl.lit(loaded_at, dtype=pl.Datetime("us")).alias("_loaded_at"))
