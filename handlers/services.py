"""The services the handlers call, kept in the application's bot_data by the factory."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import ContextTypes

from bot.services.flood import Flood
from bot.services.reception import Reception

SERVICES_KEY = "services"


@dataclass(frozen=True)
class Services:
    reception: Reception
    flood: Flood | None = None  # None: no limit (the terminal chat)


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    services = context.bot_data[SERVICES_KEY]
    assert isinstance(services, Services)
    return services
