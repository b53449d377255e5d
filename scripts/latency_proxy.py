"""A TCP proxy that delays every byte by a fixed one-way time in each direction.

Connection handshakes (TCP, WebSocket upgrade) pay real round trips through it, as they
would on a network with that latency.
"""

from __future__ import annotations

import asyncio
import contextlib


class LatencyProxy:
    """Listen on 127.0.0.1 and forward to `upstream_port`, each direction delayed."""

    def __init__(self, upstream_port: int, one_way_delay: float) -> None:
        """Forward to 127.0.0.1:upstream_port with `one_way_delay` seconds each way."""
        self.upstream_port = upstream_port
        self.delay = one_way_delay
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Start listening on a free port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # The TCP handshake to the proxy itself is local: pay its round trip here.
        await asyncio.sleep(2 * self.delay)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        for source, target in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(source, target))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    break
                if (wait := due - loop.time()) > 0:
                    await asyncio.sleep(wait)
                target.write(data)
                await target.drain()
            target.close()

        delivery = asyncio.create_task(deliver())
        try:
            while data := await source.read(65536):
                queue.put_nowait((loop.time() + self.delay, data))
        except (ConnectionError, OSError):
            pass
        finally:
            queue.put_nowait((loop.time() + self.delay, b""))
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                await delivery
