"""Index of the landing folder: which files each source has and which months each touches.

A file's months are the calendar months (reporting time zone) of its rows'
partition timestamps, so a month is re-loaded exactly when one of its files
is new or changed. Refused rows that cannot be dated belong to the file's
*home month*: the ``YYYY-MM`` folder it lies in, else the first month of its
datable rows. A file that cannot be read is listed with its problem and
touches its folder's month (so that month's run fails and says why).

A readable file without any month holds no rows at all (a header only): it is
listed with ``records == 0`` so a run can warn about it. An unreadable file
outside a ``YYYY-MM`` folder touches no month: `LandingIndex.unplaced` lists
it, and every load of its source fails on it, since no month can be
trusted while one of its exports cannot be read.

The index is cached in ``<state_dir>/landing_index.json``. A file is parsed
again only when its content (sha256) or what decides its parsing (sidecar or
configured format, time zones) changed; a file whose size and mtime are
unchanged is not even hashed. Scanning a landing folder that did not change
therefore reads no data.

The cache also remembers *stale* months: months a file fed the last time it
was indexed that no file feeds any more, because the file was removed or
changed. They stay in the cache until the raw asset has written them again
(`forget_stale`), so a removal is not forgotten by an index that did not
reload anything (the sensor's, a failed run's).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assets.raw.errors import LandingFileError
from assets.raw.parsing import ParsedFile, folder_month, forced_format, parse_landed_file
from assets.raw.readers import FileChangedError, is_landing_candidate, unreadable_problem
from warehouse.settings import PARTITIONED_SOURCES, SOURCES, Settings

INDEX_FILE = "landing_index.json"
# Bump when the way months are computed changes, so old caches are recomputed.
# 2: date-only values start their day in the reporting time zone; unnamed
# columns are ignored; a file with no datable row cannot be read.
# 3: entries carry the content hash and the number of records.
INDEX_VERSION = 3


@dataclass(frozen=True)
class LandedFile:
    """One file under ``<landing>/<source>/``.

    `fingerprint` changes when the content or the chosen format changes;
    `months` are the ``YYYY-MM`` partitions it touches (empty for reference
    sources); `problem` says why it cannot be read (None when it can).
    `sha256` is the hash of its bytes (None when they cannot be read) and
    `records` the records read from it, loaded or refused (None when it cannot
    be parsed).
    """

    source: str
    path: Path
    relative_path: str
    fingerprint: str
    size: int
    mtime_ns: int
    format: str | None
    months: tuple[str, ...]
    home_month: str | None
    problem: str | None
    sha256: str | None = None
    records: int | None = None

    def error(self) -> LandingFileError:
        """The problem as the error a loader raises: file, line (when recorded) and problem."""
        problem = self.problem or "cannot be read"
        found = re.match(rf"{re.escape(self.relative_path)}(?:, line (\d+))?: (.*)", problem, re.S)
        if found is None:
            return LandingFileError(self.relative_path, problem)
        line = int(found.group(1)) if found.group(1) else None
        return LandingFileError(self.relative_path, found.group(2), line=line)


@dataclass
class LandingIndex:
    """Every landed file per source. `parsed` holds files parsed while indexing (when asked).

    `stale[source][month]` lists the files (removed, or changed so that they no
    longer touch the month) whose rows the month held when they were last indexed.
    """

    files: dict[str, list[LandedFile]]
    parsed: dict[str, ParsedFile] = field(default_factory=dict, repr=False)
    stale: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)

    def months(self, source: str | None = None) -> list[str]:
        """Sorted months touched by the files of `source` (or of every partitioned source)."""
        sources = [source] if source is not None else list(self.files)
        return sorted(
            {month for name in sources for f in self.files.get(name, []) for month in f.months}
        )

    def files_for(self, source: str, month: str | None = None) -> list[LandedFile]:
        """Files of `source` touching `month` (every file when `month` is None), by path."""
        return [f for f in self.files.get(source, []) if month is None or month in f.months]

    def problems(self) -> list[LandedFile]:
        """Files that cannot be read, or whose refused rows belong to no month."""
        return [f for files in self.files.values() for f in files if f.problem is not None]

    def unplaced(self, source: str | None = None) -> list[LandedFile]:
        """Files with a problem that touch no month, so no monthly load would read them."""
        return [
            f
            for name in ([source] if source is not None else list(self.files))
            if name in PARTITIONED_SOURCES
            for f in self.files.get(name, [])
            if f.problem is not None and not f.months
        ]

    def empty_files(self, source: str | None = None) -> list[LandedFile]:
        """Readable files without a single record (a header only)."""
        return [
            f
            for name in ([source] if source is not None else list(self.files))
            for f in self.files.get(name, [])
            if f.problem is None and f.records == 0
        ]

    def copies(self, source: str) -> dict[str, str]:
        """Files whose bytes and format equal an earlier file's (path order): copy -> original.

        The same export landed twice (re-ingested under another name) loads its
        rows once; its refused rows must be recorded once too.
        """
        first: dict[tuple[str, str], str] = {}
        copies: dict[str, str] = {}
        for f in self.files.get(source, []):
            if f.sha256 is None or f.format is None:
                continue
            original = first.setdefault((f.sha256, f.format), f.relative_path)
            if original != f.relative_path:
                copies[f.relative_path] = original
        return copies

    def stale_months(self, source: str | None = None) -> list[str]:
        """Sorted months that lost files since they were loaded (of `source`, or of any)."""
        sources = [source] if source is not None else list(self.stale)
        return sorted({month for name in sources for month in self.stale.get(name, {})})

    def month_fingerprint(self, source: str, month: str | None = None) -> str:
        """One hash of the files feeding a partition: changes when any of them changes."""
        parts = [f"{f.relative_path}:{f.fingerprint}" for f in self.files_for(source, month)]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def empty_file_warning(landed: LandedFile) -> str:
    """The line a run prints for a file that holds no record (a header only)."""
    return (
        f"{landed.relative_path}: holds a header but no rows; nothing is loaded from it "
        "(remove it if the export should have had rows)"
    )


def index_landing(
    settings: Settings, sources: Iterable[str] | None = None, keep_parsed: bool = False
) -> LandingIndex:
    """Scan the landing folder for `sources` (default all) and return the index, updating its cache.

    With `keep_parsed`, files parsed during the scan stay in `LandingIndex.parsed`
    (keyed by relative path) so a loader does not parse them twice.
    """
    landing = settings.landing_path
    cache_path = settings.state_path / INDEX_FILE
    cache, stale = _read_cache(cache_path)
    chosen = list(sources) if sources is not None else list(SOURCES)
    index = LandingIndex(files={})
    for source in chosen:
        folder = landing / source
        paths, unlisted = _scan(folder)
        entries = [_unlisted_entry(source, error, landing) for error in unlisted]
        unlisted_paths = [Path(error.filename) for error in unlisted]
        seen = set()
        for path in paths:
            relative = path.relative_to(landing).as_posix()
            seen.add(relative)
            before = cache.get(relative)
            entry, record, parsed = _entry(path, relative, source, settings, before)
            if record is not None:
                cache[relative] = record
                # Months the file no longer touches still hold its old rows.
                if before is not None:
                    _mark_stale(stale, source, set(before["months"]) - set(entry.months), relative)
            entries.append(entry)
            if keep_parsed and parsed is not None:
                index.parsed[relative] = parsed
        prefix = f"{source}/"
        for relative in [name for name in cache if name.startswith(prefix) and name not in seen]:
            # A file under a folder that cannot be listed is not known to be gone.
            if any((landing / relative).is_relative_to(path) for path in unlisted_paths):
                continue
            _mark_stale(stale, source, set(cache.pop(relative)["months"]), relative)
        index.files[source] = sorted(entries, key=lambda entry: entry.relative_path)
        if stale.get(source):
            index.stale[source] = {
                month: tuple(files) for month, files in sorted(stale[source].items())
            }
    _write_cache(cache_path, cache, stale)
    return index


def forget_stale(settings: Settings, source: str, done: Mapping[str, Iterable[str]]) -> None:
    """Drop the stale months of `source` that were written again: `done` maps month -> files.

    Only the files the writer knew about are dropped, so a file removed while
    the month was being written still makes it stale.
    """
    if not done:
        return
    cache_path = settings.state_path / INDEX_FILE
    cache, stale = _read_cache(cache_path)
    months = stale.get(source, {})
    for month, files in done.items():
        left = sorted(set(months.get(month, ())) - set(files))
        if left:
            months[month] = left
        else:
            months.pop(month, None)
    _write_cache(cache_path, cache, stale)


def _mark_stale(
    stale: dict[str, dict[str, list[str]]], source: str, months: set[str], relative: str
) -> None:
    for month in months:
        files = stale.setdefault(source, {}).setdefault(month, [])
        if relative not in files:
            files.append(relative)
            files.sort()


def _scan(folder: Path) -> tuple[list[Path], list[OSError]]:
    """Candidate files under `folder` (hidden names skipped) and the folders it cannot list.

    `Path.rglob` skips a folder it may not list without a word; its files would
    then look removed.
    """
    if not folder.is_dir():
        return [], []
    unlisted: list[OSError] = []
    paths: list[Path] = []
    for root, folders, names in os.walk(folder, onerror=unlisted.append):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in names:
            path = Path(root) / name
            if not name.startswith(".") and is_landing_candidate(path):
                paths.append(path)
    return sorted(paths), unlisted


def _unlisted_entry(source: str, error: OSError, landing: Path) -> LandedFile:
    """A folder that cannot be listed, shown as a file that cannot be read (it may hold exports)."""
    path = Path(error.filename)
    relative = path.relative_to(landing).as_posix()
    home = folder_month(f"{relative}/file")
    reason = error.strerror or type(error).__name__
    return _failed(
        source,
        path,
        relative,
        home,
        f"folder cannot be listed ({reason}); give the webcare user access to it or move it "
        "out of the landing folder",
    )


def _parse_key(path: Path, relative: str, source: str, settings: Settings) -> str:
    try:
        forced = forced_format(path, relative, source, settings)
    except LandingFileError as error:
        forced = f"invalid sidecar: {error.problem}"
    return json.dumps(
        [
            INDEX_VERSION,
            forced,
            settings.source_timezone,
            settings.reporting_timezone,
            settings.max_future_days,
        ]
    )


def _entry(
    path: Path, relative: str, source: str, settings: Settings, cached: dict | None
) -> tuple[LandedFile, dict | None, ParsedFile | None]:
    """The index entry of one file, its cache record, and the parsed file when it was parsed.

    The record is None when nothing about the file may be remembered (it could
    not be read, or it changed while it was read): the next scan looks again.
    """
    home = folder_month(relative)
    try:
        stat = path.stat()
        parse_key = _parse_key(path, relative, source, settings)
        same_key = cached is not None and cached.get("parse_key") == parse_key
        if same_key and cached["size"] == stat.st_size and cached["mtime_ns"] == stat.st_mtime_ns:
            return _from_cache(cached, path, source), cached, None
        digest = _sha256(path)
    except OSError as error:
        return _failed(source, path, relative, home, unreadable_problem(error)), None, None
    if same_key and cached["sha256"] == digest:
        cached = {**cached, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        return _from_cache(cached, path, source), cached, None
    fingerprint = hashlib.sha256(f"{digest}|{parse_key}".encode()).hexdigest()[:32]
    base = {
        "source": source,
        "path": path,
        "relative_path": relative,
        "fingerprint": fingerprint,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": digest,
    }
    parsed: ParsedFile | None = None
    try:
        # The bytes parsed must be the bytes hashed, and the file must not have
        # moved on since: a half-written export would load as a quiet part of itself.
        parsed = parse_landed_file(path, relative, source, settings, expected_sha256=digest)
        after = path.stat()
        if (after.st_size, after.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            raise FileChangedError(relative)
    except FileChangedError as error:
        return _failed(source, path, relative, home, error.problem), None, None
    except LandingFileError as error:
        months = (home,) if home and source in PARTITIONED_SOURCES else ()
        entry = LandedFile(**base, format=None, months=months, home_month=home, problem=str(error))
        return entry, _to_cache(entry, digest, parse_key), None
    except OSError as error:
        return _failed(source, path, relative, home, unreadable_problem(error)), None, None
    problem = None
    months: tuple[str, ...] = ()
    if source in PARTITIONED_SOURCES:
        datable = parsed.datable_months()
        home = home or (datable[0] if datable else None)
        found = set(datable)
        if parsed.undatable_rows:
            if home is None:
                problem = (
                    f"{relative}: none of its {parsed.undatable_rows} refused rows can be dated "
                    "and the file is not in a YYYY-MM folder, so it belongs to no month"
                )
            else:
                found.add(home)
        months = tuple(sorted(found))
    entry = LandedFile(
        **base,
        format=parsed.format,
        months=months,
        home_month=home,
        problem=problem,
        records=parsed.rows.height + parsed.rejected.height,
    )
    return entry, _to_cache(entry, digest, parse_key), parsed


def _failed(source: str, path: Path, relative: str, home: str | None, problem: str) -> LandedFile:
    """The entry of a file that could not be read this time (not remembered in the cache)."""
    return LandedFile(
        source=source,
        path=path,
        relative_path=relative,
        fingerprint="",
        size=0,
        mtime_ns=0,
        format=None,
        months=(home,) if home and source in PARTITIONED_SOURCES else (),
        home_month=home,
        problem=f"{relative}: {problem}",
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _to_cache(entry: LandedFile, digest: str, parse_key: str) -> dict:
    record = asdict(entry)
    record.pop("path")
    record.pop("source")
    record["months"] = list(entry.months)
    record["sha256"] = digest
    record["parse_key"] = parse_key
    return record


def _from_cache(cached: dict, path: Path, source: str) -> LandedFile:
    return LandedFile(
        source=source,
        path=path,
        relative_path=cached["relative_path"],
        fingerprint=cached["fingerprint"],
        size=cached["size"],
        mtime_ns=cached["mtime_ns"],
        format=cached["format"],
        months=tuple(cached["months"]),
        home_month=cached["home_month"],
        problem=cached["problem"],
        sha256=cached["sha256"],
        records=cached.get("records"),
    )


def _read_cache(path: Path) -> tuple[dict[str, dict], dict[str, dict[str, list[str]]]]:
    """The cached file records and stale months (empty when there is no readable cache).

    Records of an older index version are kept: their parse key never matches
    (it holds the version), so they are parsed again, but their months still
    tell which months a file removed since then fed.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, {}
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return {}, {}
    files = {
        relative: record
        for relative, record in data["files"].items()
        if isinstance(record, dict) and isinstance(record.get("months"), list)
    }
    stale = data.get("stale") if data.get("version") == INDEX_VERSION else None
    return files, stale if isinstance(stale, dict) else {}


def _write_cache(
    path: Path, cache: dict[str, dict], stale: dict[str, dict[str, list[str]]]
) -> None:
    """Write the cache atomically: file records and the stale months still to be reloaded."""
    stale = {source: dict(sorted(months.items())) for source, months in stale.items() if months}
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(
        json.dumps(
            {"version": INDEX_VERSION, "files": dict(sorted(cache.items())), "stale": stale},
            indent=1,
        )
    )
    temporary.replace(path)
