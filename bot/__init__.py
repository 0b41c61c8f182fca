"""Tussen In bot: wiring of settings, storage, services and the Telegram application."""

import os

# PTB 22 hands out time periods (retry_after, …) as timedelta when asked to, as PTB 23 will.
os.environ.setdefault("PTB_TIMEDELTA", "1")
