"""Getting an utterance a started task: a kept connection or a new one, within its budget.

Each attempt takes a connection (a kept one first, unless the session must not reuse) and
starts a task on it by a deadline that the caller measures from the first attempt. A kept
connection has to prove itself quickly: one that stays silent past its warm-start bound
(half-open) is given up for a fresh one. What a failure deserves is the `RetryBudget`'s
decision, so the number of connections an utterance opens is fixed, whatever fails.
"""

from __future__ import annotations

import asyncio
import logging

from .connections import ConnectionPool
from .endpoints import Protocol
from .errors import DashScopeConnectionError, DashScopeError, DashScopeTimeoutError
from .inference import RecognitionTask
from .messages import RecognitionParameters
from .realtime_api import QwenRealtimeTask
from .retry import RetryBudget, RetryPolicy, Timeouts
from .stats import RecognitionStats
from .task import SocketTask

_LOGGER = logging.getLogger(__name__)
# Each protocol's task. A new protocol is more than a row here (about 12 files): its
# `Protocol` member and URL (endpoints.py), a task and a messages module (as inference.py and
# messages.py, or realtime_api.py and realtime_messages.py), its `Family` and option rows
# (parameters.py), its models (catalog.py), their labels and options in both translations, the
# local test server's module and route, and its protocol tests.
_TASKS: dict[Protocol, type[SocketTask]] = {
    Protocol.INFERENCE: RecognitionTask,
    Protocol.REALTIME: QwenRealtimeTask,
}


class TaskStarter:
    """Starts the tasks of one utterance and decides, within its budget, about retries."""

    def __init__(
        self,
        pool: ConnectionPool,
        parameters: RecognitionParameters,
        timeouts: Timeouts,
        policy: RetryPolicy,
        stats: RecognitionStats,
        *,
        fresh: bool,
    ) -> None:
        """Start on the pool's connections; `fresh`: never take a kept one (a validation)."""
        self._pool = pool
        self._parameters = parameters
        self._timeouts = timeouts
        self._stats = stats
        self._fresh = fresh
        self._task_class = _TASKS[parameters.protocol]
        self._url = pool.url(parameters.protocol, parameters.model)
        self._budget = RetryBudget(policy)
        self.failed: SocketTask | None = None  # the last attempt's task, if it failed

    async def attempt(self, deadline: float) -> SocketTask:
        """Return a task started by `deadline` (loop time); a failed one's socket is closed."""
        loop = asyncio.get_running_loop()
        self.failed = None
        try:
            async with asyncio.timeout_at(deadline):
                connection = await self._pool.acquire(fresh=self._fresh, url=self._url)
        except TimeoutError:
            raise self._timeout() from None
        task = self._task_class(connection, self._parameters)
        stats = self._stats
        stats.attempts += 1
        stats.task_id = task.task_id
        if stats.attempts == 1:
            stats.reused_connection = connection.reused
        # A kept connection proves itself quickly: a silent (half-open) one is replaced.
        warm = None
        if connection.reused:
            warm = self._timeouts.warm_start_bound(connection.start_seconds)
            if loop.time() + warm >= deadline:
                warm = None
        try:
            try:
                async with asyncio.timeout_at(deadline if warm is None else loop.time() + warm):
                    await task.start()
            except TimeoutError:
                if warm is not None:
                    raise DashScopeConnectionError(
                        f"The kept connection did not answer within {warm:.2f} s"
                    ) from None
                raise self._timeout() from None
        except BaseException:
            self.failed = task
            await self._pool.discard(connection)
            raise
        stats.task_id = task.task_id  # the service may name it on start
        return task

    async def before_retry(
        self,
        err: DashScopeError,
        task: SocketTask | None,
        *,
        replayable: bool,
        deadline: float | None,
    ) -> None:
        """Return when `err` deserves another task (after any backoff); raise it otherwise."""
        self._fresh = True
        retry = self._budget.spend(
            err,
            dead_kept=task is not None and task.connection.reused and not task.started,
            replayable=replayable,
            now=asyncio.get_running_loop().time(),
            deadline=deadline,
        )
        if retry.reason is not None:
            self._stats.retried_after.append(retry.reason)
        _LOGGER.debug(
            "Retrying after %s (%s) in %g s",
            retry.reason or "a dead kept connection",
            err,
            retry.backoff,
        )
        await asyncio.sleep(retry.backoff)

    def _timeout(self) -> DashScopeTimeoutError:
        return DashScopeTimeoutError(
            f"The recognition did not start within {self._timeouts.start:g} s"
        )
