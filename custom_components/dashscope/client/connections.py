"""WebSocket connections to the service, kept open between utterances.

After `task-finished` the service lets the same inference connection run another task for 60 s
(a realtime API socket holds one session and is closed after it), so a warm connection saves the
TCP, TLS and WebSocket handshakes (several round trips) on the next utterance. Connections idle
for longer than `idle_seconds` are not handed out again; one that saw an error is closed, never
reused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
import logging

import aiohttp

from .endpoints import Endpoint, Protocol
from .errors import (
    THROTTLED_CODE,
    DashScopeAuthError,
    DashScopeConnectionError,
    DashScopeError,
    service_error,
)

_LOGGER = logging.getLogger(__name__)
_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
IDLE_SECONDS = 55.0  # the service closes an idle connection after 60 s


@dataclass(eq=False)
class Connection:
    """One open WebSocket and how it has been used."""

    ws: aiohttp.ClientWebSocketResponse
    url: str
    completed: int = 0  # tasks that ended cleanly on it
    start_seconds: float | None = None  # its first task's start round trip (sent to started)
    idle_since: float = field(default=0.0)
    spent: bool = False  # its protocol allows no further task (the realtime protocol's session)
    watch: asyncio.Task[None] | None = None  # reads it while idle, to notice its end

    @property
    def reused(self) -> bool:
        """Return True for a kept connection: an earlier task completed on it.

        Only such a connection is known to have worked; one that merely began a task (or
        was only opened) proves nothing, so its failure costs a retry like any other.
        """
        return self.completed > 0

    @property
    def closed(self) -> bool:
        """Return True when the connection is known to be closed."""
        return self.ws.closed


class ConnectionPool:
    """Hands out idle connections or opens new ones; closes everything on `close`."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        endpoint: Endpoint,
        api_key: str,
        *,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        """Create an empty pool."""
        self._http = http
        self._endpoint = endpoint
        self._api_key = api_key
        self.idle_seconds = idle_seconds
        self._idle: list[Connection] = []
        self._busy: set[Connection] = set()
        self._finishing: set[asyncio.Task[None]] = set()
        self._closing: set[asyncio.Task[bool]] = set()
        self.handshakes = 0
        self._closed = False

    @property
    def open_connections(self) -> int:
        """Return how many connections are open (idle or busy), not counting closed ones."""
        return sum(not c.closed for c in (*self._idle, *self._busy))

    def url(self, protocol: Protocol, model: str) -> str:
        """Return the socket URL of a protocol for `model` at this pool's endpoint."""
        return self._endpoint.socket_url(protocol, model)

    async def acquire(self, *, fresh: bool = False, url: str | None = None) -> Connection:
        """Return an idle connection to `url` (most recently used first) or a new one.

        `url` defaults to the endpoint's inference URL; the realtime protocol has its own.
        """
        url = url or self._endpoint.websocket_url
        if self._closed:
            # Unloading: an utterance still running must not reconnect and leave a socket.
            raise DashScopeConnectionError("The client is closed")
        now = asyncio.get_running_loop().time()
        expired = [c for c in self._idle if c.closed or now - c.idle_since > self.idle_seconds]
        for connection in expired:
            self._idle.remove(connection)
            await _unwatch(connection)
            await connection.ws.close()
        idle = [c for c in self._idle if c.url == url]
        if idle and not fresh:
            connection = idle[-1]
            self._idle.remove(connection)
            await _unwatch(connection)
        else:
            connection = Connection(await self._connect(url), url)
        self._busy.add(connection)
        return connection

    def release(self, connection: Connection) -> None:
        """Take back a connection whose task finished cleanly (a spent one is closed)."""
        self._busy.discard(connection)
        if connection.spent:
            # Nobody waits for the close handshake's round trip (`close` does).
            closing = asyncio.create_task(connection.ws.close(), name="dashscope close")
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
        elif not connection.closed:
            connection.idle_since = asyncio.get_running_loop().time()
            self._idle.append(connection)
            connection.watch = asyncio.create_task(
                self._watch(connection), name="dashscope idle connection"
            )

    async def _watch(self, connection: Connection) -> None:
        """Read an idle connection: all it can hear is its end (the service's close, a drop).

        A connection that ended is closed and leaves the pool at once, so it is neither
        counted as open nor handed to the next utterance.
        """
        try:
            message = await connection.ws.receive()
        except Exception as err:  # noqa: BLE001 - whatever the read raised, the connection is done
            _LOGGER.debug("Idle connection failed: %r", err)
        else:
            _LOGGER.debug("Idle connection ended (%s)", message.type.name)
        if connection in self._idle:
            self._idle.remove(connection)
        await connection.ws.close()

    async def discard(self, connection: Connection) -> None:
        """Close a connection that must not be used again."""
        self._busy.discard(connection)
        await connection.ws.close()

    def finish_in_background(
        self, connection: Connection, finish: Callable[[], Awaitable[None]]
    ) -> asyncio.Task[None]:
        """Let `finish()` end the connection's task; then take the connection back (or close it)."""

        async def run() -> None:
            try:
                await finish()
            except Exception as err:  # noqa: BLE001 - whatever ends the drain, the socket is closed
                _LOGGER.debug("Background finish failed: %r", err)
                await self.discard(connection)
            else:
                self.release(connection)

        task = asyncio.create_task(run(), name="dashscope finish task")
        self._finishing.add(task)
        task.add_done_callback(self._finishing.discard)
        return task

    async def close_idle(self) -> None:
        """Close the idle connections (the next utterance opens a new one)."""
        idle, self._idle = self._idle, []
        for connection in idle:
            await _unwatch(connection)
            await connection.ws.close()

    async def close(self) -> None:
        """Close every connection, idle or busy, and open no more."""
        self._closed = True
        for task in list(self._finishing):
            task.cancel()
        await asyncio.gather(*self._finishing, *self._closing, return_exceptions=True)
        connections = [*self._idle, *self._busy]
        self._idle.clear()
        self._busy.clear()
        for connection in connections:
            await _unwatch(connection)
            await connection.ws.close()

    async def _connect(self, url: str) -> aiohttp.ClientWebSocketResponse:
        self.handshakes += 1
        failure: DashScopeError
        try:
            return await self._http.ws_connect(
                url,
                headers=self._endpoint.headers(self._api_key),
                max_msg_size=_MAX_MESSAGE_BYTES,
            )
        except aiohttp.WSServerHandshakeError as err:
            failure = _handshake_error(err.status)
        except (aiohttp.ClientError, OSError) as err:
            failure = DashScopeConnectionError(f"Cannot connect to {url}: {err.__class__.__name__}")
        # Raised outside the handler: aiohttp's error carries the request's headers (the key)
        # in its repr, so it must be neither the cause nor the context of ours.
        raise failure


async def _unwatch(connection: Connection) -> None:
    """Stop reading an idle connection (it is taken, or closed)."""
    watch, connection.watch = connection.watch, None
    if watch is not None and not watch.done():
        watch.cancel()
        await asyncio.gather(watch, return_exceptions=True)


def _handshake_error(status: int) -> DashScopeError:
    """Return the error for a refused WebSocket upgrade."""
    if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
        return DashScopeAuthError(f"API key refused (HTTP {status})")
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return service_error(THROTTLED_CODE, "HTTP 429 on connect")
    return DashScopeConnectionError(f"Handshake failed (HTTP {status})")
