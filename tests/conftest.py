"""Shared fixtures: the shipped archipelago, loaded once per test session."""
from __future__ import annotations

import pytest

from islandcover import Archipelago


@pytest.fixture(scope="session")
def arch() -> Archipelago:
    return Archipelago.load()
