"""Shared pieces of the expectation tests: one in-memory GX session for the whole run."""

import pytest


@pytest.fixture(scope="session")
def gx_session():
    """One GX context for every suite test (nothing written to disk, no Data Docs)."""
    from expectations.runner import ValidationSession

    return ValidationSession()
