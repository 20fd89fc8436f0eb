"""GX Data Docs under ``<state_dir>/data_docs``, readable offline.

GX renders one HTML page per validation (and per suite) on the server side, so
those pages read fine without a network; but its index page fills its tables
with JavaScript from public CDNs, and its status icons are a web font, so
offline both vanish. Therefore:

- GX writes the validation and suite pages (its index is switched off);
- a small stylesheet, handed to GX as its "custom styles", draws the status
  icons and tables without any download;
- this module keeps a log of the validations (``validations.jsonl``) and
  writes ``index.html`` from it: plain HTML, newest first, linking every page.

Checks of one run may execute in parallel processes, so every write to the
site takes an exclusive file lock.
"""

from __future__ import annotations

import fcntl
import html
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

DATA_DOCS_DIR = "data_docs"
PLUGINS_DIR = Path("gx") / "plugins"
LOG_FILE = "validations.jsonl"
INDEX_FILE = "index.html"
# The index lists this many of the latest validations.
INDEX_LIMIT = 500
# The page view GX renders validations and suites with (templates compiled once).
PAGE_VIEW = {"module_name": "expectations.gx_views", "class_name": "CompiledOncePageView"}

_OFFLINE_CSS = """
body { font-family: system-ui, sans-serif; margin: 1rem 2rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; vertical-align: top; text-align: left; }
th { background: #f3f3f3; }
.fas.fa-check-circle::before { content: "\\2714"; color: #1a7f37; font-style: normal; }
.fas.fa-times::before { content: "\\2718"; color: #c62828; font-style: normal; }
.fas.fa-exclamation-triangle::before { content: "\\26A0"; color: #b26a00; font-style: normal; }
.text-danger { color: #c62828; }
.text-success { color: #1a7f37; }
.sticky, .ge-footer { display: none; }
"""


class HasStateDir(Protocol):
    """Anything with a ``state_dir`` (the `warehouse.settings.Settings` resource)."""

    state_dir: str


def data_docs_index(settings: HasStateDir) -> Path:
    """Path of the Data Docs index page, ``<state_dir>/data_docs/index.html``.

    The page exists once a check has run in that home; open it in a browser.
    """
    return Path(settings.state_dir) / DATA_DOCS_DIR / INDEX_FILE


def site_config(state_dir: Path) -> dict[str, Any]:
    """The GX Data Docs site: a local folder, pages only (the index is ours)."""
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(state_dir / DATA_DOCS_DIR),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        # GX's own sections, rendered by `PAGE_VIEW`
        "site_section_builders": {
            "expectations": {"view": PAGE_VIEW},
            "validations": {"view": PAGE_VIEW},
        },
    }


def plugins_directory(state_dir: Path) -> Path:
    """GX's plugins folder, holding the offline stylesheet GX includes in every page."""
    styles = state_dir / PLUGINS_DIR / "custom_data_docs" / "styles"
    css = styles / "data_docs_custom_styles.css"
    if not css.is_file() or css.read_text() != _OFFLINE_CSS:
        styles.mkdir(parents=True, exist_ok=True)
        _write_atomically(css, _OFFLINE_CSS)
    return state_dir / PLUGINS_DIR


@dataclass(frozen=True)
class IndexEntry:
    """One validation as the index lists it."""

    validated_at: str
    run: str
    suite: str
    label: str
    rows: int
    evaluated: int
    failed_error: int
    failed_warn: int
    page: str


@contextmanager
def locked_site(state_dir: Path) -> Iterator[Path]:
    """Hold the site's lock; yields the Data Docs folder."""
    docs = state_dir / DATA_DOCS_DIR
    docs.mkdir(parents=True, exist_ok=True)
    with (docs / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield docs
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def record(docs: Path, entry: IndexEntry) -> None:
    """Append `entry` to the log and rewrite the index (call inside `locked_site`)."""
    with (docs / LOG_FILE).open("a", encoding="utf-8") as log:
        log.write(json.dumps(asdict(entry)) + "\n")
    entries = []
    for line in (docs / LOG_FILE).read_text(encoding="utf-8").splitlines():
        try:
            entries.append(IndexEntry(**json.loads(line)))
        except (ValueError, TypeError):
            continue  # a line cut short by a crash mid-write: the rest still lists
    _write_atomically(docs / INDEX_FILE, _index_html(entries[-INDEX_LIMIT:][::-1]))


def _index_html(entries: list[IndexEntry]) -> str:
    rows = []
    for e in entries:
        if e.failed_error:
            status = f'<span class="text-danger">{e.failed_error} error'
            status += f", {e.failed_warn} warn</span>" if e.failed_warn else "</span>"
        elif e.failed_warn:
            status = f'<span style="color:#b26a00">{e.failed_warn} warn</span>'
        else:
            status = '<span class="text-success">passed</span>'
        cells = [
            html.escape(e.validated_at),
            html.escape(e.run),
            f'<a href="{html.escape(e.page)}">{html.escape(e.suite)}</a>',
            html.escape(e.label),
            f"{e.rows:,}",
            str(e.evaluated),
            status,
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    header = "".join(
        f"<th>{h}</th>"
        for h in ("validated (UTC)", "run", "suite", "months", "rows", "expectations", "result")
    )
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<title>Data quality: Great Expectations validations</title>"
        f"<style>{_OFFLINE_CSS}</style></head><body>"
        "<h1>Data quality: Great Expectations validations</h1>"
        "<p>Every validation run by the warehouse's asset checks, newest first. "
        "Open a suite to see each expectation, its observed value and offending rows.</p>"
        f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        "</body></html>\n"
    )


def _write_atomically(path: Path, text: str) -> None:
    # A browser (or a second process) never sees half a page.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
