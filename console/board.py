"""The board (to be written)."""

from __future__ import annotations

from aiohttp import web

from console.app import page
from console.guard import Permission, requires


@requires(Permission.CASES)
async def board(request: web.Request) -> web.Response:
    return page(request, "message.html", {"message": "Board", "status": 200})


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/", board)
