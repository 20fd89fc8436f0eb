"""Shared fixtures: the real default model, built once per session into the model cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from models.sentiment.data import default_data_dirs

REPO = Path(__file__).resolve().parents[2]


def require_shared_sentiment() -> list[Path]:
    """The labelled folders the model trains on (`default_data_dirs`); fails in CI (CI=true)
    and skips elsewhere when one is absent."""
    folders = default_data_dirs()
    for folder in folders:
        if not any(folder.glob("*.csv")):
            message = f"labelled sentiment data not found in {folder} (../shared/data)"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(message)
            pytest.skip(message)
    return folders


@pytest.fixture(scope="session")
def model_cache_dir() -> Path:
    """``$WEBCARE_MODEL_CACHE_DIR`` or ``<repo>/.cache/models``: shared by tests and CI runs."""
    return Path(os.environ.get("WEBCARE_MODEL_CACHE_DIR", REPO / ".cache" / "models")).absolute()


@pytest.fixture(scope="session")
def built_model_dir(model_cache_dir: Path) -> Path:
    """The default model built (once; later sessions find it intact) by the real build step."""
    from models.sentiment.build import build_default_model

    return build_default_model(model_cache_dir)


@pytest.fixture(scope="session")
def sentiment_model(built_model_dir: Path, model_cache_dir: Path):
    """The real default model (webcare-e5-small-sentiment) as the asset loads it (int8)."""
    from models.sentiment.inference import SentimentModel

    return SentimentModel.load("webcare-e5-small-sentiment", model_cache_dir)


@pytest.fixture(scope="session")
def sentiment_model_fp32(built_model_dir: Path, model_cache_dir: Path):
    """The same default model without int8 quantisation."""
    from models.sentiment.inference import SentimentModel

    return SentimentModel.load("webcare-e5-small-sentiment", model_cache_dir, quantize=False)


@pytest.fixture(scope="session")
def heldout_scores(sentiment_model):
    """The held-out split of every labelled folder and the labels the asset's path (int8)
    gives it: about 16,000 texts, scored once per session for the tests that need them all.
    In tests/conftest.py's EXPENSIVE_FIXTURES, so its tests share one pytest-xdist worker."""
    from models.sentiment.data import read_labelled_dirs, split

    _train, heldout = split(read_labelled_dirs(require_shared_sentiment()))
    return heldout, sentiment_model.predict(heldout.texts).argmax(axis=1)
