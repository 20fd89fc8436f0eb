"""Index of the landing folder: which files each source has and which months each touches.

A file's months are the calendar months (reporting time zone) of its rows'
partition timestamps, so a month is re-loaded exactly when one of its files
is new or changed. Refused rows that cannot be dated belong to the file's
*home month*: the ``YYYY-MM`` folder it lies in, else the first month of its
datable rows. A file that cannot be read is listed with its problem and
touches its folder's month (so that month's run fails and says why).

The index is cached in ``<state_dir>/landing_index.json``. A file is parsed
again only when its content (sha256) or what decides its parsing (sidecar or
configured format, time zones) changed; a file whose size and mtime are
unchanged is not even hashed. Scanning a landing folder that did not change
therefore reads no data.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assets.raw.errors import LandingFileError
from assets.raw.parsing import ParsedFile, folder_month, forced_format, parse_landed_file
from assets.raw.readers import is_landing_candidate
from orchestration.settings import PARTITIONED_SOURCES, SOURCES, Settings

INDEX_FILE = "landing_index.json"
# Bump when the way months are computed changes, so old caches are recomputed.
# 2: date-only values start their day in the reporting time zone; unnamed
# columns are ignored; a file with no datable row cannot be read.
INDEX_VERSION = 2


@dataclass(frozen=True)
class LandedFile:
    """One file under ``<landing>/<source>/``.

    `fingerprint` changes when the content or the chosen format changes;
    `months` are the ``YYYY-MM`` partitions it touches (empty for reference
    sources); `problem` says why it cannot be read (None when it can).
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


@dataclass
class LandingIndex:
    """Every landed file per source. `parsed` holds files parsed while indexing (when asked)."""

    files: dict[str, list[LandedFile]]
    parsed: dict[str, ParsedFile] = field(default_factory=dict, repr=False)

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

    def month_fingerprint(self, source: str, month: str | None = None) -> str:
        """One hash of the files feeding a partition: changes when any of them changes."""
        parts = [f"{f.relative_path}:{f.fingerprint}" for f in self.files_for(source, month)]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def index_landing(
    settings: Settings, sources: Iterable[str] | None = None, keep_parsed: bool = False
) -> LandingIndex:
    """Scan the landing folder for `sources` (default all) and return the index, updating its cache.

    With `keep_parsed`, files parsed during the scan stay in `LandingIndex.parsed`
    (keyed by relative path) so a loader does not parse them twice.
    """
    landing = settings.landing_path
    cache_path = settings.state_path / INDEX_FILE
    cache = _read_cache(cache_path)
    chosen = list(sources) if sources is not None else list(SOURCES)
    index = LandingIndex(files={})
    for source in chosen:
        folder = landing / source
        paths = sorted(
            path
            for path in (folder.rglob("*") if folder.is_dir() else [])
            if not any(part.startswith(".") for part in path.relative_to(folder).parts)
            and is_landing_candidate(path)
        )
        entries = []
        for path in paths:
            relative = path.relative_to(landing).as_posix()
            entry, record, parsed = _entry(path, relative, source, settings, cache.get(relative))
            cache[relative] = record
            entries.append(entry)
            if keep_parsed and parsed is not None:
                index.parsed[relative] = parsed
        index.files[source] = entries
    _write_cache(cache_path, cache, landing)
    return index


def _parse_key(path: Path, relative: str, source: str, settings: Settings) -> str:
    try:
        forced = forced_format(path, relative, source, settings)
    except LandingFileError as error:
        forced = f"invalid sidecar: {error.problem}"
    return json.dumps(
        [INDEX_VERSION, forced, settings.source_timezone, settings.reporting_timezone]
    )


def _entry(
    path: Path, relative: str, source: str, settings: Settings, cached: dict | None
) -> tuple[LandedFile, dict, ParsedFile | None]:
    """The index entry of one file, its cache record, and the parsed file when it was parsed."""
    stat = path.stat()
    parse_key = _parse_key(path, relative, source, settings)
    same_key = cached is not None and cached.get("parse_key") == parse_key
    if same_key and cached["size"] == stat.st_size and cached["mtime_ns"] == stat.st_mtime_ns:
        return _from_cache(cached, path, source), cached, None
    digest = _sha256(path)
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
    }
    home = folder_month(relative)
    parsed: ParsedFile | None = None
    try:
        parsed = parse_landed_file(path, relative, source, settings)
    except LandingFileError as error:
        months = (home,) if home and source in PARTITIONED_SOURCES else ()
        entry = LandedFile(**base, format=None, months=months, home_month=home, problem=str(error))
        return entry, _to_cache(entry, digest, parse_key), None
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
        **base, format=parsed.format, months=months, home_month=home, problem=problem
    )
    return entry, _to_cache(entry, digest, parse_key), parsed


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
    )


def _read_cache(path: Path) -> dict[str, dict]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != INDEX_VERSION:
        return {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


def _write_cache(path: Path, cache: dict[str, dict], landing: Path) -> None:
    """Drop entries of files that disappeared and write the cache atomically."""
    files = {
        relative: record
        for relative, record in sorted(cache.items())
        if (landing / relative).exists()
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"version": INDEX_VERSION, "files": files}, indent=1))
    temporary.replace(path)
