"""How long one utterance waits and how hard it tries: the policies, and what is left."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long to wait for the service, in seconds."""

    start: float = 10.0  # connect, handshake and `task-started`
    finish: float = 5.0  # from the end of the audio to `task-finished`, retries included


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard one utterance tries before it gives up."""

    reconnects: int = 1  # after a dropped connection: reconnect and replay
    throttle_retries: int = 1  # after `Throttling.*`
    throttle_backoff: float = 0.5  # seconds before the throttled retry
    replay_seconds: float = 60.0  # audio kept for a replay; longer utterances cannot replay


class RetryBudget:
    """The retries one utterance has left."""

    def __init__(self, policy: RetryPolicy) -> None:
        """Start with the whole policy."""
        self._policy = policy
        self._reconnects = policy.reconnects
        self._throttle_retries = policy.throttle_retries

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
