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


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory, model_cache_dir) -> Path:
    """A home with the small demo landed and `webcare run` completed on it (once per session).

    Shared by the end-to-end, planted-truth, publishing and report tests, which
    only read it: building it costs one full pipeline run.
    """
    from orchestration import commands
    from orchestration.demo_data import generate

    home = tmp_path_factory.mktemp("demo_home")
    generate(home / "landing", home / "truth.json", seed=7, size="small")
    previous = os.environ.get("WEBCARE_MODEL_CACHE_DIR")
    os.environ["WEBCARE_MODEL_CACHE_DIR"] = str(model_cache_dir)
    try:
        status = commands.run(home=str(home))
    finally:
        if previous is None:
            os.environ.pop("WEBCARE_MODEL_CACHE_DIR", None)
        else:
            os.environ["WEBCARE_MODEL_CACHE_DIR"] = previous
    assert status == 0, "webcare run on the small demo failed; see the output above"
    return home
