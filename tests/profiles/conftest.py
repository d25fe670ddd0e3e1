"""Fixtures for the profile tests; helpers live in profile_fixtures (a unique module name,
since several test directories have a conftest.py and "from conftest import" is ambiguous)."""

from __future__ import annotations

import pytest
from profile_fixtures import build

from beholder.profiles import Profile


@pytest.fixture
def profile() -> Profile:
    return build()

