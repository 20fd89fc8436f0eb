"""Shared fixtures: the real default model, built once per session into the model cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_SENTIMENT = REPO.parent / "shared" / "data" / "sentiment"


def require_shared_sentiment() -> Path:
    """The labelled tweets folder; fails in CI (CI=true) and skips elsewhere when absent."""
    if not any(SHARED_SENTIMENT.glob("*.csv")):
        message = f"labelled sentiment data not found in {SHARED_SENTIMENT} (../shared/data)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_SENTIMENT


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
