"""Shared fixtures: the shipped archipelago, loaded once per test session."""
from __future__ import annotations

import pytest

from islandcover import Archipelago


@pytest.fixture(scope="session")
def arch() -> Archipelago:
    return Archipelago.load()


@pytest.fixture(scope="session")
def net(arch):
    from islandcover.network import load_network

    return load_network(arch)


@pytest.fixture(scope="session")
def router(arch, net):
    from islandcover.routing import Router

    return Router(arch, net)
