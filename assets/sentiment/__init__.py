"""Sentiment scoring assets (`scores/mention_sentiment`, `scores/nps_comment_sentiment`)."""

from assets.sentiment.scoring import (
    MENTION_SENTIMENT_KEY,
    NPS_COMMENT_SENTIMENT_KEY,
    build_sentiment_assets,
)

__all__ = ["MENTION_SENTIMENT_KEY", "NPS_COMMENT_SENTIMENT_KEY", "build_sentiment_assets"]
