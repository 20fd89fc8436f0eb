"""The fault suite's shared home: the three-month small demo after one `webcare run`.

A full run costs over a minute, so the fault tests share one. Tests that only
read it, or put it back as it was (a bad file landed and removed again), use
`demo_run_home` directly; a test that changes it for good works on a copy
(`own_demo_home`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_run_home(tmp_path_factory: pytest.TempPathFactory, run_demo) -> Path:
    """`webcare demo-data --size small --months 3` (seed 7), calibrated on its labelled sample,
    and `webcare run` on it, once."""
    return run_demo(tmp_path_factory.mktemp("faults") / "home", size="small", months=3)


@pytest.fixture
def model_cache_env(model_cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run in the test use the shared sentiment model cache."""
    monkeypatch.setenv("WEBCARE_MODEL_CACHE_DIR", str(model_cache_dir))


@pytest.fixture
def own_demo_home(demo_run_home: Path, tmp_path: Path) -> Path:
    """A copy of the shared home (landing, warehouse, snapshot, state) the test may change."""
    return Path(shutil.copytree(demo_run_home, tmp_path / "home", symlinks=True))
