"""Where the bot's CPU goes per update: the real bot under cProfile while parents walk.

    python -m bench.profile                       # PostgreSQL, 100 parents, 20 s
    python -m bench.profile --backend sqlite --parents 50 --top 30

The bot (`bench/project_bot.py --profile`) runs against the benchmark's fake Bot API while
the parents walk its default flows, with the send limits lifted, as in `bench.compare`. The
summary gives each part's own time (cProfile's tottime) in ms per update and as a share:
the database layers, the HTTP client, PTB, asyncio and the project's own code. cProfile
makes everything slower, calls of small functions most; the shares are what to read.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import pstats
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

from bench import seeding
from bench.compare import Options, prepare_database, project
from bench.contenders import measure
from bench.fake_api import FastBotApi

WAITING = "waiting in epoll (idle, not CPU)"
# First match wins: a file's path decides its part.
PARTS = (
    (WAITING, ("select.epoll",)),
    ("SQLAlchemy", ("/sqlalchemy/",)),
    ("database driver (asyncpg, aiosqlite, sqlite3)", ("/asyncpg/", "/aiosqlite/", "sqlite3")),
    ("HTTP client and server (aiohttp, yarl, multidict)", ("/aiohttp/", "/yarl/", "/multidict/")),
    ("python-telegram-bot", ("/telegram/",)),
    ("asyncio and the event loop", ("/asyncio/", "selectors", "socket")),
    ("JSON", ("/json/", "json.")),
    ("sealing (cryptography, hmac, hashlib)", ("/cryptography/", "fernet", "hmac", "_hashlib")),
    ("logging", ("/logging/",)),
    (
        "the project (bot, flows, handlers, storage)",
        ("/bot/", "/flows/", "/handlers/", "/storage/"),
    ),
)
OTHER = "other (stdlib, builtins, greenlet, …)"


def part_of(filename: str, function: str) -> str:
    where = f"{filename} {function}"
    for name, marks in PARTS:
        if any(mark in where for mark in marks):
            return name
    return OTHER


def summary(path: Path, updates: int, top: int) -> str:
    stats = pstats.Stats(str(path))
    raw = stats.stats  # type: ignore[attr-defined]
    parts: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = 0.0
    for (filename, line, function), (_, _, tottime, _, _) in raw.items():
        part = part_of(filename, function)
        parts[part] += tottime
        if part == WAITING:
            continue
        short = "/".join(Path(filename).parts[-2:]) if filename != "~" else "builtin"
        functions[f"{short}:{line} {function}"] += tottime
        total += tottime
    per = max(updates, 1)
    lines = [
        f"{updates} updates; cProfile's own time, ms per update (share of the CPU time):",
        "",
        "| part | ms/update | share |",
        "|---|---:|---:|",
    ]
    for name, seconds in parts.most_common():
        share = "–" if name == WAITING else f"{seconds / total:.0%}"
        lines.append(f"| {name} | {seconds * 1000 / per:.2f} | {share} |")
    lines += ["", f"The {top} functions with the most own time:", ""]
    for name, seconds in functions.most_common(top):
        lines.append(f"- {seconds * 1000 / per:6.3f} ms  {name}")
    return "\n".join(lines)


async def profile(backend: str, parents: int, seconds: float, folder: Path) -> tuple[Path, int]:
    api = FastBotApi()
    await api.start()
    urls: list[str] = []
    try:
        options = Options(parents=parents, lone_walks=1)
        url = await prepare_database(backend, 0, folder, api, options, urls)
        stats = folder / "bot.prof"
        contender = project(backend, url, 0, options, api)  # send limits lifted
        contender = replace(contender, args=(*contender.args, "--profile", str(stats)))
        measured = await measure(api, contender, folder, seconds=seconds, timeout=60.0)
        if measured.lost or measured.duplicates:
            print(f"lost {measured.lost}, duplicates {measured.duplicates}", file=sys.stderr)
        return stats, measured.updates
    finally:
        await api.stop()
        for url in urls:
            with contextlib.suppress(Exception):
                await seeding.drop_postgres_database(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--parents", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--keep", type=Path, help="also copy the raw cProfile file here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tussenin-profile-") as tmp:
        stats, updates = asyncio.run(profile(args.backend, args.parents, args.seconds, Path(tmp)))
        if args.keep is not None:
            args.keep.write_bytes(stats.read_bytes())
        print(summary(stats, updates, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
