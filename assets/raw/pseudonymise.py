"""Keyed pseudonyms for people: authors, customers, respondents.

A pseudonym is ``p_`` + the first 16 hex characters of
HMAC-SHA256(key, normalised id). The id is normalised first (drop zero-width
characters, Unicode NFC, strip spaces, drop one leading ``@``, lower case) so
``@Jan_de_Vries`` in a complaint and ``jan_de_vries`` as a mention author
become the same person, whether the value comes from a loaded row (whose ids
validation already cleaned the same way) or from a refused row's record as
read. Without the key the pseudonym cannot be reversed by hashing a list of
known handles.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

import polars as pl

from expectations.rules import PSEUDONYM_HEX_CHARS, PSEUDONYM_PREFIX, ZERO_WIDTH_CHARACTERS

_DROP_ZERO_WIDTH = str.maketrans("", "", ZERO_WIDTH_CHARACTERS)


def normalise_id(value: str) -> str:
    """The form of a handle or id that is hashed: without zero-width characters, NFC,
    stripped, without a leading ``@``, lower case."""
    text = unicodedata.normalize("NFC", value.translate(_DROP_ZERO_WIDTH)).strip()
    if text.startswith("@"):
        text = text[1:]
    return text.strip().lower()


def pseudonymise(key: str, value: str) -> str:
    """The pseudonym of one id under `key` (``p_`` + 16 hex characters)."""
    digest = hmac.new(key.encode("utf-8"), normalise_id(value).encode("utf-8"), hashlib.sha256)
    return PSEUDONYM_PREFIX + digest.hexdigest()[:PSEUDONYM_HEX_CHARS]


def pseudonymise_series(key: str, values: pl.Series) -> pl.Series:
    """Pseudonymise a string column; nulls and blank values stay null.

    The HMAC runs once per distinct value, so a column with many repeated
    authors costs as many hashes as there are people, not rows.
    """
    distinct = values.drop_nulls().unique()
    mapping = {value: pseudonymise(key, value) for value in distinct.to_list() if value.strip()}
    return values.replace_strict(mapping, default=None, return_dtype=pl.String).alias(values.name)
