"""PTB's request layer on aiohttp, which the bot already runs its web server on.

PTB sends every Bot API call through a `BaseRequest`; its default is httpx. This one keeps
one aiohttp session with a pool of keep-alive connections. bench/request_layer.py measures
both against the same fake Bot API (the README has the figures).
"""

from __future__ import annotations

import re

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

POOL_SIZE = 256  # as PTB's HTTPXRequest
MEDIA_WRITE_TIMEOUT = 20.0
TOKEN_IN_URL = re.compile(r"bot\d+:[A-Za-z0-9_-]+")


class AiohttpRequest(BaseRequest):
    """Bot API calls over one aiohttp session; timeouts and errors as PTB's own class."""

    def __init__(
        self,
        pool_size: int = POOL_SIZE,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        files = request_data.multipart_data if request_data else None
        if isinstance(write_timeout, DefaultValue):
            write = MEDIA_WRITE_TIMEOUT if files else None
        else:
            write = write_timeout
        # aiohttp has no write timeout: an upload's is added to the read timeout instead.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=None if read is None else read + (write or 0.0),
        )
        data: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            data = request_data.json_parameters
            if files:
                form = aiohttp.FormData(data)
                for name, (filename, content, mimetype) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # Some of aiohttp's errors quote the URL, and a Bot API URL holds the token.
            said = TOKEN_IN_URL.sub("bot[token]", str(error))
            raise NetworkError(f"aiohttp.{type(error).__name__}: {said}") from error
