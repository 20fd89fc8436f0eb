"""Fixtures shared across test folders: the real shared data and a small demo warehouse."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from warehouse.settings import ALERT_WEBHOOK_VARIABLE

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (make test: `-n 2`), each worker's torch gets its share of the
    cores through OMP_NUM_THREADS (`models.sentiment.inference.default_threads`), unless
    the variable is set already. Both workers score on every core otherwise, and each
    waits on the other's threads: the held-out scoring took about 340 s that way."""
    from models.sentiment.inference import available_cores

    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1 and "OMP_NUM_THREADS" not in os.environ:
        os.environ["OMP_NUM_THREADS"] = str(max(1, available_cores() // workers))


def _shared_file(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.exists():
        message = f"{path} is missing: the real third-party data must sit beside the checkout"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def shared_file():
    """`shared_file("twcs/twcs_random5000.csv")`: a file of ../shared/data.

    In CI (`CI=true`) a missing file fails the test; elsewhere it skips.
    """
    return _shared_file


@pytest.fixture(scope="session")
def model_cache_dir() -> Path:
    """The default sentiment model's cache, shared by every test (built once, as `make` does)."""
    return Path(os.environ.get("WEBCARE_MODEL_CACHE_DIR", REPO / ".cache" / "models"))


@pytest.fixture
def make_unreadable(monkeypatch):
    """`make_unreadable(path)`: take away the right to read `path`: chmod 000, or, as root
    (who reads anything), a fake `Path.open` that refuses it as the OS would."""
    import pathlib

    def take(path: Path) -> None:
        path.chmod(0)
        if os.access(path, os.R_OK):
            opener = pathlib.Path.open

            def refusing(self: Path, *args: object, **kwargs: object) -> object:
                if self == path:
                    raise PermissionError(13, "Permission denied", str(self))
                return opener(self, *args, **kwargs)

            monkeypatch.setattr(pathlib.Path, "open", refusing)

    return take


@pytest.fixture(scope="session")
def run_demo(model_cache_dir):
    """`run_demo(home, size=..., months=...)`: land the demo (seed 7) in `home`, calibrate
    the sentiment model on its labelled sample and run `webcare run` on it with the
    shared model cache, as `make run` does; return `home`."""
    from demo import generate
    from orchestration import cli, commands

    def run(home: Path, **options) -> Path:
        generate(home / "landing", home / "truth.json", seed=7, **options)
        previous = os.environ.get("WEBCARE_MODEL_CACHE_DIR")
        os.environ["WEBCARE_MODEL_CACHE_DIR"] = str(model_cache_dir)
        try:
            sample = str(home / "labelled_sample.csv")
            assert cli.main(["calibrate-sentiment", "--home", str(home), sample]) == 0
            status = commands.run(home=str(home))
        finally:
            if previous is None:
                os.environ.pop("WEBCARE_MODEL_CACHE_DIR", None)
            else:
                os.environ["WEBCARE_MODEL_CACHE_DIR"] = previous
        assert status == 0, f"webcare run on the demo ({options}) failed; see the output above"
        return home

    return run


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory, run_demo) -> Path:
    """A home with the small demo landed and `webcare run` completed on it (once per session).

    Shared by the end-to-end, planted-truth, publishing and report tests, which
    only read it: building it costs one full pipeline run.
    """
    return run_demo(tmp_path_factory.mktemp("demo_home"), size="small")


# Session fixtures that each cost a pipeline run (or a dbt build). Under
# `pytest -n 2 --dist loadgroup` (make test) every test using one of them goes to
# the same worker, so each is built once; the first listed that a test uses wins.
# Every other test stays with its module, whose module fixtures are built once too.
EXPENSIVE_FIXTURES = (
    "demo_home",
    "real_home",
    "demo_run_home",
    "fixture_build",
    "dbt_warehouse",
    "spark_build",
    "heldout_scores",
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Group the tests for pytest-xdist: by expensive session fixture, else by module.

    Then order them so the groups that cost minutes come first: the groups of the
    expensive fixtures, then the modules with a `slow` test, then the rest, each in
    collection order. pytest-xdist hands out the groups in that order (make test passes
    --no-loadscope-reorder; its default order, most tests first, left a pipeline-sized
    group of two or three tests to the end, with the other worker idle for minutes)."""
    group_of = {}
    for item in items:
        used = next((name for name in EXPENSIVE_FIXTURES if name in item.fixturenames), None)
        group_of[item] = used or item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group_of[item]))
    slow_groups = {group_of[item] for item in items if item.get_closest_marker("slow")}

    def rank(item: pytest.Item) -> int:
        group = group_of[item]
        return 0 if group in EXPENSIVE_FIXTURES else 1 if group in slow_groups else 2

    items[:] = sorted(items, key=rank)


@pytest.fixture
def webhook_secret() -> str:
    """The part of a Slack or Teams webhook URL that lets anyone post: never to be logged."""
    return "XyZ-secret-token-0042"


@dataclass
class Webhook:
    """A webhook on 127.0.0.1 that records each POST and answers with `status`."""

    url: str
    posts: list[dict] = field(default_factory=list)
    status: int = 200

    @property
    def texts(self) -> list[str]:
        """The ``text`` of every post that was answered 200."""
        return [post["json"]["text"] for post in self.posts if post["status"] == 200]


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch, webhook_secret: str) -> Iterator[Webhook]:
    """A recording webhook server on 127.0.0.1, named by $WEBCARE_ALERT_WEBHOOK_URL."""
    recorder: Webhook

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = recorder.status
            recorder.posts.append(
                {
                    "path": self.path,
                    "content_type": self.headers["Content-Type"],
                    "json": json.loads(body),
                    "status": status,
                }
            )
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"no")

        def log_message(self, *args: object) -> None:
            """Silent: the test reads `recorder.posts`."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    recorder = Webhook(f"http://127.0.0.1:{port}/services/T01/B02/{webhook_secret}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(ALERT_WEBHOOK_VARIABLE, recorder.url)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium; skipped when absent locally, a failure in CI."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        message = "chromium is not installed (Debian: apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return binary


def _mart_models(manifest: dict) -> dict[str, dict]:
    found = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }
    assert len(found) >= 16
    return found


@cache
def _duckdb_type(contract_type: str) -> str:
    with duckdb.connect() as conn:
        return conn.execute(f"select typeof(cast(null as {contract_type}))").fetchone()[0]


@pytest.fixture(scope="session")
def mart_models():
    """`mart_models(manifest)`: every model of schema ``marts`` in a dbt manifest, by name."""
    return _mart_models


@pytest.fixture(scope="session")
def duckdb_type():
    """`duckdb_type("decimal(18, 2)")` is ``DECIMAL(18,2)``: a contract type as DuckDB names it."""
    return _duckdb_type
