"""Two instances of the bot on one PostgreSQL database: settings published on one are
served by the other within seconds, and by both after a restart."""

from __future__ import annotations

import asyncio
import time as clock
from datetime import time
from pathlib import Path

from tests.botapi import FakeBotApi
from tests.live import live_bot, migrated, settings_for

DEADLINE_SECONDS = 5.0


async def test_a_setting_published_on_one_instance_is_served_by_the_other(
    postgres_url: str, tmp_path: Path
) -> None:
    url = await migrated(postgres_url)
    async with FakeBotApi() as api:
        async with (
            live_bot(settings_for(api, url, webhook=True)) as first,
            live_bot(settings_for(api, url, webhook=True)) as second,
        ):
            text = first.core.coordinator.text.replace('  start: "21:00"', '  start: "19:45"')
            assert text != first.core.coordinator.text
            async with first.core.database.transaction() as uow:
                published = await first.core.published_settings.publish(
                    uow, text, person_id=1, now=first.core.clock.now()
                )
            assert published.version is not None
            began = clock.monotonic()
            while second.core.coordinator.current.quiet_hours.start != time(19, 45):
                assert clock.monotonic() - began < DEADLINE_SECONDS, "not served in 5 s"
                await asyncio.sleep(0.1)
            took = clock.monotonic() - began
        # both restart, on the files they started with: the published version stays
        async with live_bot(settings_for(api, url, webhook=True)) as restarted:
            assert restarted.core.coordinator.current.quiet_hours.start == time(19, 45)
    assert took < DEADLINE_SECONDS
