"""Text normalisation shared by training, inference and the scoring cache."""

from __future__ import annotations

import hashlib
import re

# A retweet carries the original text after "RT @handle:"; scoring the original once
# covers every retweet of it.
_RETWEET_PREFIX = re.compile(r"^(?:rt\s+@\w+:?\s*)+", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def normalise_text(text: str | None) -> str:
    """Strip, collapse whitespace, lowercase and drop leading ``RT @handle:`` markers."""
    if not text:
        return ""
    collapsed = _WHITESPACE.sub(" ", text).strip().lower()
    return _RETWEET_PREFIX.sub("", collapsed).strip()


def text_hash(text: str | None) -> str:
    """Hex sha256 of the normalised text: the cache key of a score (with the model version)."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()
