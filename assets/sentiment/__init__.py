"""Sentiment assets: scoring (`scores/mention_sentiment`, `scores/nps_comment_sentiment`) and
the calibration the marts correct class shares with (`scores/sentiment_calibration`)."""

from assets.sentiment.calibration import SENTIMENT_CALIBRATION_KEY, build_calibration_asset
from assets.sentiment.scoring import (
    MENTION_SENTIMENT_KEY,
    NPS_COMMENT_SENTIMENT_KEY,
    build_sentiment_assets,
)

__all__ = [
    "MENTION_SENTIMENT_KEY",
    "NPS_COMMENT_SENTIMENT_KEY",
    "SENTIMENT_CALIBRATION_KEY",
    "build_calibration_asset",
    "build_sentiment_assets",
]
