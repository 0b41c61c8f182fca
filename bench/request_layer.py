"""PTB's request layer: httpx (PTB's default HTTPXRequest) against aiohttp (AiohttpRequest).

    python -m bench.request_layer [--calls 2000] [--concurrency 30] [--repeats 5]

A minimal fake Bot API runs in a child process, so the CPU counted is the client's alone.
Each repetition sends the same sendMessage calls through both layers, in alternating order;
the medians of calls per second and client CPU per call are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import statistics
import time
from collections.abc import Callable

from aiohttp import web
from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bot.aiohttp_request import AiohttpRequest

TOKEN = "123456:bench-request-layer"
ME = {"id": 123456, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}


def _serve(port: int) -> None:
    sent = json.dumps(
        {
            "ok": True,
            "result": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 1, "type": "private"},
                "text": "hello",
            },
        }
    ).encode()
    me = json.dumps({"ok": True, "result": ME}).encode()

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        body = me if request.match_info["method"] == "getMe" else sent
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", answer)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError("the fake Bot API did not start")


async def _run(
    make: Callable[[], BaseRequest], port: int, calls: int, width: int
) -> tuple[float, float]:
    """Calls per second and client CPU milliseconds per call, for one layer."""
    base = f"http://127.0.0.1:{port}/bot"
    async with Bot(TOKEN, base_url=base, request=make(), get_updates_request=make()) as bot:
        await bot.send_message(1, "warm-up")
        left = iter(range(calls))

        async def worker() -> None:
            for n in left:
                await bot.send_message(1, f"message {n}")

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(width)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return calls / wall, cpu / calls * 1000


LAYERS: dict[str, Callable[[], BaseRequest]] = {
    "httpx (HTTPXRequest, PTB's default)": HTTPXRequest,
    "aiohttp (AiohttpRequest)": AiohttpRequest,
}


async def main(calls: int, width: int, repeats: int) -> dict[str, tuple[float, float]]:
    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(port,), daemon=True)
    server.start()
    try:
        await _wait_for(port)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in LAYERS}
        for repeat in range(repeats):
            names = list(LAYERS) if repeat % 2 == 0 else list(reversed(LAYERS))
            for name in names:
                results[name].append(await _run(LAYERS[name], port, calls, width))
    finally:
        server.terminate()
        server.join()
    return {
        name: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        for name, runs in results.items()
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    medians = asyncio.run(main(args.calls, args.concurrency, args.repeats))
    print(
        f"sendMessage x {args.calls}, {args.concurrency} at once, {args.repeats} repetitions "
        "interleaved, medians:"
    )
    for name, (rate, cpu) in medians.items():
        print(f"  {name:38} {rate:7.0f} calls/s  {cpu:5.2f} ms CPU per call")
