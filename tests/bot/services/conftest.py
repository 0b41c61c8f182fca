"""Fixtures of the service tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.bot.services.world import World, a_world


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    """A bot core on a manual clock, on SQLite and on PostgreSQL."""
    async for made in a_world(database_url):
        yield made
