"""A local Telegram Bot API server for tests, benchmarks and trying the bot offline."""

from .faults import Fault
from .people import FakeGroup, FakeUser
from .server import FakeBotApi

__all__ = ["FakeBotApi", "FakeGroup", "FakeUser", "Fault"]
