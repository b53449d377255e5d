"""How long one utterance waits and how hard it tries: the policies, and what is left."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DashScopeConnectionError, DashScopeError, DashScopeThrottledError


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long to wait for the service, in seconds."""

    start: float = 10.0  # connect, handshake and `task-started`, from the first attempt
    finish: float = 5.0  # from the end of the audio to `task-finished`, retries included
    # A kept connection's `task-started` waits at most this (less when its first start was
    # quick): a silent one (half-open) is replaced well within a second.
    warm_start: float = 0.6

    def warm_start_bound(self, start_seconds: float | None) -> float:
        """Return how long a kept connection may take to start a task."""
        measured = _WARM_START_ROUND_TRIPS * (start_seconds or self.warm_start)
        return min(self.warm_start, max(_WARM_START_FLOOR, measured))


_WARM_START_ROUND_TRIPS = 4.0  # times the connection's own first start round trip
_WARM_START_FLOOR = 0.25  # seconds: a fast link's jitter must not replace a good connection


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard one utterance tries before it gives up."""

    reconnects: int = 1  # after a dropped connection: reconnect and replay
    throttle_retries: int = 1  # after `Throttling.*`
    replacements: int = 1  # free: a kept connection that turned out dead before its task started
    throttle_backoff: float = 0.5  # seconds before the throttled retry
    replay_seconds: float = 60.0  # audio kept for a replay; longer utterances cannot replay


@dataclass(frozen=True, slots=True)
class Retry:
    """Another attempt: what it recovers from (None: a free replacement) and when."""

    reason: str | None
    backoff: float = 0.0


class RetryBudget:
    """The retries one utterance (or one validation) has left, and who deserves one."""

    def __init__(self, policy: RetryPolicy) -> None:
        """Start with the whole policy."""
        self._policy = policy
        self._reconnects = policy.reconnects
        self._throttle_retries = policy.throttle_retries
        self._replacements = policy.replacements

    def spend(
        self,
        err: DashScopeError,
        *,
        dead_kept: bool,
        replayable: bool,
        now: float,
        deadline: float | None,
    ) -> Retry:
        """Return the retry `err` deserves, or raise `err` when the budget has none for it.

        A kept connection found dead before its task started costs the free replacement, a
        lost connection the reconnect, throttling the throttled retry (after its backoff,
        if `deadline` leaves room); all but the first need the audio to be replayable.
        Anything else ends the utterance: the number of attempts is fixed, whatever fails.
        """
        if isinstance(err, DashScopeConnectionError):
            if dead_kept and self.take_replacement():
                return Retry(None)
            if replayable and self.take_reconnect():
                return Retry("ConnectionLost")
        elif isinstance(err, DashScopeThrottledError) and replayable:
            backoff = self.take_throttle_retry(now, deadline)
            if backoff is not None:
                return Retry(err.code, backoff)
        raise err

    def take_replacement(self) -> bool:
        """Use the free replacement of a dead kept connection; return False when used."""
        if self._replacements <= 0:
            return False
        self._replacements -= 1
        return True

    def take_reconnect(self) -> bool:
        """Use one reconnect; return False when none is left."""
        if self._reconnects <= 0:
            return False
        self._reconnects -= 1
        return True

    def take_throttle_retry(self, now: float, deadline: float | None) -> float | None:
        """Use one throttled retry; return its backoff, or None (none left, or too late)."""
        backoff = self._policy.throttle_backoff
        if self._throttle_retries <= 0 or (deadline is not None and now + backoff >= deadline):
            return None
        self._throttle_retries -= 1
        return backoff
