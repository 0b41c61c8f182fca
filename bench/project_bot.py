"""The real bot for the benchmark: `python -m bot run`, with the per-chat limit as a setting.

    python -m bench.project_bot [--chat-burst N] [--chat-period S] [--send-rate R] [--profile F]

Reads the environment like `python -m bot run` (TELEGRAM_TOKEN, TELEGRAM_API_URL,
DATABASE_URL, SECRET_KEY, SEND_RATE_PER_SECOND, …); the per-chat burst and period are not
environment settings, so they come as arguments (and a send rate beyond the
environment's 1,000/s). SIGTERM stops it as it stops the bot. With --profile, the whole run
is profiled (cProfile) and the statistics written to F at the stop (see bench/profile.py).
"""

from __future__ import annotations

import sys
import time

IMPORTS_STARTED = time.time()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import cProfile  # noqa: E402
import dataclasses  # noqa: E402
import logging  # noqa: E402
import signal  # noqa: E402

from bot.cli import run  # noqa: E402
from bot.errors import StartupError  # noqa: E402
from bot.logs import configure_logging  # noqa: E402
from bot.settings import Settings, load_settings  # noqa: E402


async def serve(settings: Settings) -> None:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    await run(settings)


def main(argv: list[str]) -> int:
    print(f"BENCH imported {time.time() - IMPORTS_STARTED:.3f}", flush=True)
    parser = argparse.ArgumentParser()
    parser.add_argument("--chat-burst", type=int)
    parser.add_argument("--chat-period", type=float)
    parser.add_argument("--send-rate", type=float, help="beyond SEND_RATE_PER_SECOND's 1,000")
    parser.add_argument("--profile", help="write cProfile statistics of the run to this file")
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.chat_burst is not None:
        settings = dataclasses.replace(settings, chat_burst=args.chat_burst)
    if args.chat_period is not None:
        settings = dataclasses.replace(settings, chat_period_seconds=args.chat_period)
    if args.send_rate is not None:
        settings = dataclasses.replace(settings, send_rate_per_second=args.send_rate)
    # As `python -m bot run` logs: INFO, in the house format.
    configure_logging([settings.secret_key.get_secret_value()], logging.INFO, settings.log_format)
    profiler = cProfile.Profile() if args.profile else None
    try:
        with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
            if profiler is not None:
                profiler.enable()
            asyncio.run(serve(settings))
    except StartupError as error:
        print(f"tussenin: {error}", file=sys.stderr)
        return 2
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
