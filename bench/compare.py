"""The bot against python-telegram-bot peers, side by side, through one fast fake Bot API.

    python -m bench.compare                      # the full run (3 repetitions, medians)
    python -m bench.compare --quick              # one small repetition, 0 stored
    python -m bench.compare --only sqlite --stored 0,10000 --parents 50

Peers (bench/peers.py): a PTB echo bot, and a five-step intake in PTB's ConversationHandler
with PicklePersistence, saved at PTB's default interval or before each reply. The project
(`bench/project_bot.py`, i.e. `python -m bot run`) walks its real default flows on SQLite and
PostgreSQL with stored parents, send limits lifted; once more at the default limits for the
record. Contenders run one after another, in a rotated order each repetition; every figure
is the median over the repetitions. Also: the drain of a burst of due tasks. Each contender
is a child process (clean CPU and RSS figures); everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bench import seeding
from bench.contenders import (
    SECRET_KEY,
    TOKEN,
    Child,
    Contender,
    Measured,
    child_env,
    free_port,
    measure,
    percentile,
)
from bench.fake_api import FastBotApi
from bench.peers import seed_pickle
from bench.walks import ECHO, INTAKE, PROJECT, walk_alone
from storage import Database

BACKENDS = ("sqlite", "postgresql")
GROUPS = ("echo", "ptb", *BACKENDS, "defaults", "tasks")
LIFTED = ("--chat-burst", "100000", "--chat-period", "1", "--send-rate", "100000")
FLUSH_PARENTS = 10  # the saving peer handles one update at a time: more only queue
FLUSH_SECONDS = 10.0  # and at 100,000 stored each save takes a second or more
# The walk's 8 updates took 16 messages and 6 callback answers when issue 12 was written.
TODAYS_CALLS = 22 / 8
DEFAULTS_PARENTS = 30  # at 30 messages/s and 1/s per chat, more would take minutes


@dataclass
class Options:
    reps: int = 3
    parents: int = 100
    stored: tuple[int, ...] = (0, 10_000, 100_000)
    only: tuple[str, ...] = GROUPS
    # No new step starts after this (the steps under way finish): a cut walk's mix of steps
    # is not the whole walk's, so the default lets the project's walks end.
    seconds: float = 40.0
    timeout: float = 30.0  # a step unanswered this long counts as lost
    lone_walks: int = 5
    tasks: int = 100_000
    task_seconds: float = 30.0
    json: Path | None = None


@dataclass
class Report:
    options: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    ratios: list[dict[str, Any]] = field(default_factory=list)
    lone: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    done_when: list[dict[str, Any]] = field(default_factory=list)
    lost: int = 0
    duplicates: int = 0
    failures: list[str] = field(default_factory=list)
    runs: int = 0
    seconds: float = 0.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the contenders ---------------------------------------------------------------------


def project(
    backend: str, url: str, stored: int, options: Options, api: FastBotApi, lifted: bool = True
) -> Contender:
    env = {
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api.base_url,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "PORT": str(free_port()),
    }
    parents = options.parents if lifted else min(options.parents, DEFAULTS_PARENTS)
    return Contender(
        key=backend if lifted else f"{backend}-defaults",
        label=f"this bot on {'PostgreSQL' if backend == 'postgresql' else 'SQLite'}"
        + ("" if lifted else ", send limits at their defaults"),
        stored=stored,
        args=("bench.project_bot", *(LIFTED if lifted else ())),
        steps=PROJECT,
        parents=parents,
        lone_walks=options.lone_walks,
        env=tuple(env.items()),
    )


def peers(options: Options, api: FastBotApi, pickles: dict[int, Path]) -> list[Contender]:
    found = [
        Contender(
            "echo",
            "PTB echo bot",
            0,
            ("bench.peers", "echo", api.base_url),
            ECHO,
            options.parents,
            options.lone_walks * len(PROJECT) // len(ECHO),
        )
    ]
    if "ptb" in options.only:
        for stored, pickle in pickles.items():
            for flush in (False, True):
                working = pickle.with_name(f"{pickle.stem}-{'flush' if flush else 'default'}.pkl")
                found.append(
                    Contender(
                        "ptb-flush" if flush else "ptb-default",
                        "PTB ConversationHandler + PicklePersistence, "
                        + ("saved before each reply" if flush else "PTB's defaults (every 60 s)"),
                        stored,
                        ("bench.peers", "intake", api.base_url, str(working))
                        + (("--flush",) if flush else ()),
                        INTAKE,
                        min(options.parents, FLUSH_PARENTS) if flush else options.parents,
                        options.lone_walks if not flush or stored == 0 else 1,
                        seconds=FLUSH_SECONDS if flush else None,
                        fresh_copy=(pickle, working),
                    )
                )
    return found


# --- preparing the databases --------------------------------------------------------------


async def prepare_database(
    backend: str, stored: int, folder: Path, api: FastBotApi, options: Options, urls: list[str]
) -> str:
    """A migrated database with `stored` parents cloned from one who walked the flows."""
    if backend == "postgresql":
        url = await seeding.new_postgres_database()
        urls.append(url)
    else:
        url = f"sqlite+aiosqlite:///{folder / f'bench-{stored}.db'}"
    await seeding.migrated(url)
    if stored:
        started = time.perf_counter()
        template = project(backend, url, 0, options, api)
        api.reset()
        child = await Child.spawn(
            template.args, child_env(dict(template.env)), folder / "template.log"
        )
        try:
            await child.ready(api)
            walked = await walk_alone(api, PROJECT, 1, timeout=options.timeout)
        finally:
            await child.stop()
        if walked.updates != len(PROJECT):
            raise RuntimeError(f"the template parent's walk failed: {child.tail()}")
        await seeding.seed_parents(url, SECRET_KEY, stored, next(iter(walked.expected)))
        log(f"seeded {stored:,} parents on {backend} in {time.perf_counter() - started:.1f} s")
    return url


async def prepare_pickle(stored: int, folder: Path) -> Path:
    path = folder / f"intake-{stored}.pickle"
    await seed_pickle(str(path), stored, seeding.STORED_FIRST_USER)
    return path


# --- the runs -----------------------------------------------------------------------------


async def drain_tasks(
    backend: str, folder: Path, api: FastBotApi, options: Options, urls: list[str]
) -> dict[str, Any]:
    """The real bot started with `options.tasks` tasks due: how fast they are done."""
    if backend == "postgresql":
        url = await seeding.new_postgres_database()
        urls.append(url)
    else:
        url = f"sqlite+aiosqlite:///{folder / 'bench-tasks.db'}"
    await seeding.migrated(url)
    await seeding.seed_due_tasks(url, options.tasks)
    contender = project(backend, url, 0, options, api)
    api.reset()
    child = await Child.spawn(contender.args, child_env(dict(contender.env)), folder / "tasks.log")
    database = Database(url)
    try:
        await child.ready(api)
        started = time.perf_counter()
        deadline = started + options.task_seconds
        waiting = options.tasks
        while waiting and time.perf_counter() < deadline:
            await asyncio.sleep(0.25)
            waiting = await seeding.count_waiting_tasks(database)
        elapsed = time.perf_counter() - started
    finally:
        await database.dispose()
        await child.stop()
    _, lags = await seeding.task_progress(url)
    done = len(lags)
    rate = done / elapsed if elapsed else 0.0
    return {
        "database": backend,
        "due": options.tasks,
        "done": done,
        "seconds": elapsed,
        "rate": rate,
        "drained": waiting == 0,
        "drain_s": elapsed if waiting == 0 else (options.tasks / rate if rate else float("inf")),
        "lag_p50": percentile(lags, 50),
        "lag_max": max(lags) if lags else float("nan"),
    }


async def attempt(
    report: Report,
    api: FastBotApi,
    contender: Contender,
    folder: Path,
    seconds: float,
    timeout: float,
) -> Measured | None:
    """Measure one run; a run that fails is reported and the others go on."""
    url = dict(contender.env).get("DATABASE_URL")
    try:
        if url is not None:  # a migration may have landed in the tree since the last run
            await seeding.migrated(url)
        return await measure(api, contender, folder, seconds=seconds, timeout=timeout)
    except Exception as error:
        report.failures.append(f"{contender.key} at {contender.stored:,}: {error}"[:500])
        log(report.failures[-1])
        return None


def schedule(options: Options, contenders: list[Contender], rep: int) -> list[Contender]:
    """Each repetition in another order, so no contender always follows the same one."""
    shift = (rep * len(contenders)) // max(options.reps, 1)
    return contenders[shift:] + contenders[:shift]


async def benchmark(options: Options) -> Report:
    began = time.perf_counter()
    report = Report(options={k: str(v) for k, v in asdict(options).items()})
    urls: list[str] = []
    api = FastBotApi()
    await api.start()
    try:
        with tempfile.TemporaryDirectory(prefix="tussenin-bench-") as tmp:
            folder = Path(tmp)
            contenders: list[Contender] = []
            pickles = {}
            if "ptb" in options.only:
                for stored in options.stored:
                    pickles[stored] = await prepare_pickle(stored, folder)
            contenders += peers(options, api, pickles)
            databases: dict[tuple[str, int], str] = {}
            for backend in BACKENDS:
                if backend in options.only:
                    for stored in options.stored:
                        url = await prepare_database(backend, stored, folder, api, options, urls)
                        databases[(backend, stored)] = url
                        contenders.append(project(backend, url, stored, options, api))
            results: dict[tuple[str, int], list[Measured]] = {}
            for rep in range(options.reps):
                for contender in schedule(options, contenders, rep):
                    measured = await attempt(
                        report, api, contender, folder, options.seconds, options.timeout
                    )
                    if measured is None:
                        continue
                    results.setdefault((contender.key, contender.stored), []).append(measured)
                    log(
                        f"rep {rep + 1}/{options.reps} {contender.key} {contender.stored:,}: "
                        f"{measured.rate:.1f} updates/s over {measured.updates} updates, "
                        f"lost {measured.lost}, duplicates {measured.duplicates}"
                    )
            if "defaults" in options.only:
                for backend in BACKENDS:
                    if backend in options.only:
                        url = databases.get((backend, 0)) or await prepare_database(
                            backend, 0, folder, api, options, urls
                        )
                        contender = project(backend, url, 0, options, api, lifted=False)
                        contenders.append(contender)
                        measured = await attempt(
                            report, api, contender, folder, options.seconds, 60.0
                        )
                        if measured is None:
                            continue
                        results[(contender.key, 0)] = [measured]
                        log(f"{contender.key}: {measured.rate:.1f} updates/s (for the record)")
            if "tasks" in options.only:
                for backend in BACKENDS:
                    if backend in options.only:
                        try:
                            drained = await drain_tasks(backend, folder, api, options, urls)
                        except Exception as error:
                            report.failures.append(f"tasks on {backend}: {error}"[:500])
                            log(report.failures[-1])
                            continue
                        report.tasks.append(drained)
                        log(f"tasks on {backend}: {drained['rate']:.0f}/s")
            summarise(report, contenders, results)
    finally:
        await api.stop()
        for url in urls:
            with contextlib.suppress(Exception):
                await seeding.drop_postgres_database(url)
    report.seconds = time.perf_counter() - began
    return report


# --- the report ---------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarise(
    report: Report, contenders: list[Contender], results: dict[tuple[str, int], list[Measured]]
) -> None:
    labels = {(c.key, c.stored): c.label for c in contenders}
    medians: dict[tuple[str, int], dict[str, Any]] = {}
    for (key, stored), runs in results.items():
        row = {
            "who": labels[(key, stored)],
            "key": key,
            "stored": stored,
            "runs": len(runs),
            "updates": sum(m.updates for m in runs),
            "rate": _median([m.rate for m in runs]),
            "calls_per_update": _median([m.calls_per_update for m in runs]),
            "p50": _median([m.step[0] for m in runs]),
            "p95": _median([m.step[1] for m in runs]),
            "p99": _median([m.step[2] for m in runs]),
            "cpu_ms": _median([m.cpu_ms for m in runs]),
            "rss_mb": _median([m.rss_mb for m in runs]),
            "spawn_s": _median([m.spawn_s for m in runs]),
            "start_s": _median([m.start_s for m in runs]),
            "stop_s": _median([m.stop_s for m in runs]),
            "lost": sum(m.lost for m in runs),
            "duplicates": sum(m.duplicates for m in runs),
            "calls": runs[-1].calls,
        }
        medians[(key, stored)] = row
        report.rows.append(row)
        report.lost += row["lost"]
        report.duplicates += row["duplicates"]
        report.runs += len(runs)
    echo = results.get(("echo", 0), [])
    echo_first = [x for m in echo for x in m.lone_first]
    echo_median = _median(echo_first)
    if echo_first:
        report.lone.append(_lone("PTB echo bot", "echo", 0, echo_first, echo_median, added=False))
    for (key, stored), runs in results.items():
        if key in BACKENDS:
            firsts = [x for m in runs for x in m.lone_first]
            report.lone.append(_lone(labels[(key, stored)], key, stored, firsts, echo_median))
            row = medians[(key, stored)]
            ratio = {"who": row["who"], "key": key, "stored": stored}
            for peer, at in (("echo", 0), ("ptb-default", stored), ("ptb-flush", stored)):
                other = medians.get((peer, at))
                ratio[peer] = row["rate"] / other["rate"] if other else None
            report.ratios.append(ratio)
    report.done_when = done_when(report, medians)


def _lone(
    who: str, key: str, stored: int, firsts: list[float], echo: float, added: bool = True
) -> dict[str, Any]:
    extra = [x - echo for x in firsts] if added else firsts
    return {
        "who": who,
        "key": key,
        "stored": stored,
        "steps": len(firsts),
        "first_p50_ms": percentile(firsts, 50) * 1000,
        "first_p99_ms": percentile(firsts, 99) * 1000,
        "added_p50_ms": percentile(extra, 50) * 1000 if added else 0.0,
        "added_p99_ms": percentile(extra, 99) * 1000 if added else 0.0,
    }


def done_when(
    report: Report, medians: dict[tuple[str, int], dict[str, Any]]
) -> list[dict[str, Any]]:
    """Issue 12's targets that a benchmark can show, each with what was measured."""
    checks: list[dict[str, Any]] = []

    def check(target: str, measured: str, met: bool | None) -> None:
        checks.append({"target": target, "measured": measured, "met": met})

    def ratio(key: str, peer: str, stored: int) -> float | None:
        ours, theirs = medians.get((key, stored)), medians.get((peer, stored))
        return ours["rate"] / theirs["rate"] if ours and theirs else None

    for key, floor in (("postgresql", 0.5), ("sqlite", 0.3)):
        for stored in (0, 100_000):
            found = ratio(key, "ptb-default", stored)
            if found is not None:
                check(
                    f"{key} at {stored:,} stored: ≥ {floor}× the PTB ConversationHandler bot",
                    f"{found:.2f}×",
                    found >= floor,
                )
    for key in BACKENDS:
        calls = [row["calls_per_update"] for (k, _), row in medians.items() if k == key]
        if calls:
            check(
                f"{key}: Bot API calls per update ≤ today's {TODAYS_CALLS} (the issue's 2.7)",
                f"{max(calls):.2f}",
                max(calls) <= TODAYS_CALLS,
            )
        for stored, floor in ((10_000, 30), (100_000, 100)):
            found = ratio(key, "ptb-flush", stored)
            if found is not None:
                check(
                    f"{key} at {stored:,} stored: ≥ {floor}× the peer saving before each reply",
                    f"{found:.1f}×",
                    found >= floor,
                )
    for key in BACKENDS:
        lone = [row for row in report.lone if row["key"] == key]
        if lone:
            p50 = max(row["added_p50_ms"] for row in lone)
            p99 = max(row["added_p99_ms"] for row in lone)
            check(
                f"{key}, a lone parent: added latency ≤ 50 ms at p50 and ≤ 150 ms at p99",
                f"{p50:.0f} ms / {p99:.0f} ms (worst over stored)",
                p50 <= 50 and p99 <= 150,
            )
        low, high = medians.get((key, 0)), medians.get((key, 100_000))
        if low and high:
            grown = high["rss_mb"] / low["rss_mb"]
            check(f"{key}: RSS at 100,000 stored ≤ 1.1× at 0", f"{grown:.2f}×", grown <= 1.1)
        if high:
            check(
                f"{key} at 100,000 stored: start-up ≤ 1 s and stop ≤ 1 s",
                f"start {high['start_s']:.2f} s after imports ({high['spawn_s']:.2f} s from "
                f"spawn), stop {high['stop_s']:.2f} s",
                high["start_s"] <= 1 and high["stop_s"] <= 1,
            )
    for drained in report.tasks:
        if drained["database"] == "postgresql":
            check(
                "PostgreSQL: due tasks drained at ≥ 1,000/s by one instance",
                f"{drained['rate']:.0f}/s",
                drained["rate"] >= 1000,
            )
    pg = medians.get(("postgresql", 0))
    if pg:
        check("PostgreSQL: CPU per update ≤ 8 ms", f"{pg['cpu_ms']:.1f} ms", pg["cpu_ms"] <= 8)
    check(
        "0 lost and 0 duplicate replies in every run",
        f"{report.lost} lost, {report.duplicates} duplicates over {report.runs} runs",
        report.lost == 0 and report.duplicates == 0,
    )
    return checks


def _stored(n: int) -> str:
    return f"{n:,}" if n else "0"


def render(report: Report) -> str:
    lines = [
        "| who | stored | updates/s | API calls/update | step p50 / p95 / p99 s "
        "| CPU ms/update | RSS MB | start s | stop s | lost / dup |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report.rows:
        lines.append(
            f"| {row['who']} | {_stored(row['stored'])} | {row['rate']:.1f} "
            f"| {row['calls_per_update']:.2f} "
            f"| {row['p50']:.2f} / {row['p95']:.2f} / {row['p99']:.2f} | {row['cpu_ms']:.1f} "
            f"| {row['rss_mb']:.0f} | {row['start_s']:.2f} ({row['spawn_s']:.2f}) "
            f"| {row['stop_s']:.2f} | {row['lost']} / {row['duplicates']} |"
        )
    lines += ["", "Start: after the interpreter's imports (in brackets: from spawn)."]
    if report.ratios:
        lines += [
            "",
            "| this bot | stored | × echo bot | × PTB conversation (defaults) "
            "| × PTB conversation (saved each step) |",
            "|---|---:|---:|---:|---:|",
        ]
        for ratio in report.ratios:
            cells = [
                f"{ratio[p]:.2f}" if ratio.get(p) is not None else "–"
                for p in ("echo", "ptb-default", "ptb-flush")
            ]
            lines.append(f"| {ratio['who']} | {_stored(ratio['stored'])} | {' | '.join(cells)} |")
    if report.lone:
        lines += [
            "",
            "| a lone parent | stored | steps | first message p50 / p99 ms "
            "| added to the echo bot's p50 / p99 ms |",
            "|---|---:|---:|---:|---:|",
        ]
        for lone in report.lone:
            lines.append(
                f"| {lone['who']} | {_stored(lone['stored'])} | {lone['steps']} "
                f"| {lone['first_p50_ms']:.0f} / {lone['first_p99_ms']:.0f} "
                f"| {lone['added_p50_ms']:.0f} / {lone['added_p99_ms']:.0f} |"
            )
    if report.tasks:
        lines += [
            "",
            "| due tasks | database | done | in s | tasks/s | drain s | lag p50 / max s |",
            "|---:|---|---:|---:|---:|---:|---:|",
        ]
        for task in report.tasks:
            drain = f"{task['drain_s']:.0f}" + ("" if task["drained"] else " (est.)")
            lines.append(
                f"| {task['due']:,} | {task['database']} | {task['done']:,} "
                f"| {task['seconds']:.1f} | {task['rate']:.0f} | {drain} "
                f"| {task['lag_p50']:.1f} / {task['lag_max']:.1f} |"
            )
    if report.done_when:
        lines += ["", "Issue 12, done when:"]
        for check in report.done_when:
            mark = {True: "met", False: "NOT met", None: "–"}[check["met"]]
            lines.append(f"- {mark}: {check['target']}: {check['measured']}")
    if report.failures:
        lines += ["", "Runs that failed:", *(f"- {failure}" for failure in report.failures)]
    lines += [
        "",
        f"{report.runs} runs, {report.lost} lost and {report.duplicates} duplicate replies; "
        f"{report.seconds / 60:.1f} minutes on {date.today().isoformat()}.",
    ]
    return "\n".join(lines)


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1 repetition, 10 parents, 0 stored")
    parser.add_argument(
        "--only",
        help=f"comma-separated, of: {', '.join(GROUPS)} (echo always runs)",
    )
    parser.add_argument("--stored", help="stored parents, comma-separated (0,10000,100000)")
    parser.add_argument("--parents", type=int, help="parents walking at once (100)")
    parser.add_argument("--reps", type=int, help="repetitions (3)")
    parser.add_argument("--seconds", type=float, help="load per contender, s (40)")
    parser.add_argument("--tasks", type=int, help="due tasks to drain (100000)")
    parser.add_argument("--task-seconds", type=float, help="at most this long draining (30)")
    parser.add_argument("--json", type=Path, help="also write the report here as JSON")
    args = parser.parse_args(argv)
    options = Options()
    if args.quick:
        options = Options(
            reps=1, parents=10, stored=(0,), seconds=5, lone_walks=1, tasks=500, task_seconds=5
        )
    if args.only:
        chosen = tuple(g.strip() for g in args.only.split(",") if g.strip())
        unknown = set(chosen) - set(GROUPS)
        if unknown:
            parser.error(f"--only: unknown {', '.join(sorted(unknown))}")
        options.only = chosen
    if args.stored:
        options.stored = tuple(int(n) for n in args.stored.split(","))
    for name in ("parents", "reps", "seconds", "tasks", "task_seconds", "json"):
        if getattr(args, name) is not None:
            setattr(options, name, getattr(args, name))
    if options.reps < 1 or options.parents < 1 or options.seconds <= 0:
        parser.error("--reps, --parents and --seconds must be positive")
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse(sys.argv[1:] if argv is None else argv)
    report = asyncio.run(benchmark(options))
    print(render(report))
    if options.json is not None:
        options.json.write_text(json.dumps(asdict(report), indent=1, default=str))
    return 0 if report.lost == report.duplicates == 0 and not report.failures else 1


if __name__ == "__main__":
    sys.exit(main())
