"""Running one contender as a child process against the fake Bot API, and measuring it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.fake_api import FastBotApi
from bench.walks import Step, WalkStats, lost_and_duplicates, walk_alone, walk_many
from bot.settings import ENV_NAMES

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:BENCH-token"
SECRET_KEY = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
READY_TIMEOUT = 90.0  # spawn to the first getUpdates (loading a big pickle takes a while)
STOP_TIMEOUT = 30.0  # SIGTERM to exit; then it is killed and the stop counts as failed
SETTLE = 0.5  # after the last awaited reply: time for a late duplicate to show
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Contender:
    key: str  # echo, ptb-default, ptb-flush, sqlite, postgresql
    label: str
    stored: int
    args: tuple[str, ...]  # after `python -m`
    steps: tuple[Step, ...]
    parents: int
    lone_walks: int
    env: tuple[tuple[str, str], ...] = ()
    seconds: float | None = None  # a shorter load than the others' (a slow peer)
    fresh_copy: tuple[Path, Path] | None = None  # (seed, working file): copied before each run


@dataclass
class Measured:
    updates: int
    rate: float  # updates/s
    calls_per_update: float
    step: tuple[float, float, float]  # p50, p95, p99 to the last reply of a step, s
    cpu_ms: float  # process CPU per update
    rss_mb: float
    spawn_s: float  # spawn to the first getUpdates
    start_s: float  # the same without the interpreter's imports
    stop_s: float
    lost: int
    duplicates: int
    lone_first: list[float] = field(default_factory=list)  # s, each step alone
    calls: dict[str, int] = field(default_factory=dict)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without any bot setting, plus the ones given."""
    names = set(ENV_NAMES.values())
    env = {k: v for k, v in os.environ.items() if k not in names}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


class Child:
    """One contender's process; its stderr goes to a log file, shown when it fails."""

    def __init__(self, process: asyncio.subprocess.Process, spawned: float, log: Path) -> None:
        self.process = process
        self.spawned = spawned
        self.log = log
        self.imports = 0.0

    @classmethod
    async def spawn(cls, args: tuple[str, ...], env: dict[str, str], log: Path) -> Child:
        spawned = time.perf_counter()
        with log.open("ab") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                *args,
                cwd=log.parent,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
            )
        child = cls(process, spawned, log)
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), READY_TIMEOUT)
        if not line.startswith(b"BENCH imported "):
            await child.kill()
            raise RuntimeError(f"{' '.join(args)} did not start: {child.tail()}")
        child.imports = float(line.split()[2])
        return child

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:]

    async def ready(self, api: FastBotApi) -> float:
        """Seconds from spawn to the first getUpdates."""
        deadline = time.perf_counter() + READY_TIMEOUT
        while api.first_poll_at is None:
            if self.process.returncode is not None or time.perf_counter() > deadline:
                await self.kill()
                raise RuntimeError(f"the contender never polled: {self.tail()}")
            await asyncio.sleep(0.005)
        return api.first_poll_at - self.spawned

    async def stop(self) -> float:
        """SIGTERM; seconds until it exited (inf when it had to be killed)."""
        if self.process.returncode is not None:
            return float("inf")
        started = time.perf_counter()
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            await self.kill()
            return float("inf")
        return time.perf_counter() - started

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.process.wait(), 10)


async def measure(
    api: FastBotApi, contender: Contender, folder: Path, *, seconds: float, timeout: float
) -> Measured:
    """Start it, let its parents walk at once, then one alone; stop it."""
    api.reset()
    if contender.fresh_copy is not None:  # every run starts from the same stored users
        seed, working = contender.fresh_copy
        if seed.exists():
            shutil.copyfile(seed, working)
        else:  # nobody stored: PTB wrote no file
            working.unlink(missing_ok=True)
    env = child_env(dict(contender.env))
    child = await Child.spawn(contender.args, env, folder / f"{contender.key}.log")
    try:
        spawn_s = await child.ready(api)
        pid = child.process.pid
        cpu_before, calls_before = cpu_seconds(pid), Counter(api.calls)
        stats = await walk_many(
            api,
            contender.steps,
            contender.parents,
            seconds=min(seconds, contender.seconds or seconds),
            timeout=timeout,
        )
        cpu = cpu_seconds(pid) - cpu_before
        calls = Counter(api.calls)
        calls.subtract(calls_before)
        rss = rss_mb(pid)
        await asyncio.sleep(SETTLE)
        lost, duplicates = lost_and_duplicates(api, stats)
        lone = await walk_alone(api, contender.steps, contender.lone_walks, timeout=timeout)
        await asyncio.sleep(SETTLE)
        lone_lost, lone_duplicates = lost_and_duplicates(api, lone)
    except BaseException:
        await child.kill()
        raise
    stop_s = await child.stop()
    return _result(
        stats,
        lone,
        {k: n for k, n in calls.items() if n > 0},
        cpu=cpu,
        rss=rss,
        spawn_s=spawn_s,
        start_s=spawn_s - child.imports,
        stop_s=stop_s,
        lost=lost + lone_lost,
        duplicates=duplicates + lone_duplicates,
    )


def _result(
    stats: WalkStats,
    lone: WalkStats,
    calls: dict[str, int],
    *,
    cpu: float,
    rss: float,
    spawn_s: float,
    start_s: float,
    stop_s: float,
    lost: int,
    duplicates: int,
) -> Measured:
    updates = max(stats.updates, 1)
    window = max(stats.last_reply - stats.started, 1e-9)
    api_calls = sum(n for method, n in calls.items() if method != "getUpdates")
    return Measured(
        updates=stats.updates,
        rate=stats.updates / window,
        calls_per_update=api_calls / updates,
        step=(
            percentile(stats.full, 50),
            percentile(stats.full, 95),
            percentile(stats.full, 99),
        ),
        cpu_ms=cpu * 1000 / updates,
        rss_mb=rss,
        spawn_s=spawn_s,
        start_s=start_s,
        stop_s=stop_s,
        lost=lost,
        duplicates=duplicates,
        lone_first=lone.first,
        calls=calls,
    )
