"""Fixtures shared across test folders: the real shared data and a small demo warehouse."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


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
    """Group the tests for pytest-xdist: by expensive session fixture, else by module."""
    for item in items:
        used = next((name for name in EXPENSIVE_FIXTURES if name in item.fixturenames), None)
        item.add_marker(pytest.mark.xdist_group(used or item.nodeid.split("::")[0]))
