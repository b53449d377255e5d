"""What one utterance keeps so a new task can be given all of its audio again."""

from __future__ import annotations

import logging

_LOGGER = logging.getLogger(__name__)


class ReplayBuffer:
    """The frames of one utterance, kept for sending and for a replay.

    Frames not yet sent on the current task wait here; within a limit, every frame since the
    start is kept too, so a new task after a dropped connection gets the whole utterance.
    Past `limit_bytes` an utterance can no longer be replayed, and sent frames are let go.
    """

    def __init__(self, limit_bytes: int) -> None:
        """Keep up to `limit_bytes` for a replay."""
        self._limit = limit_bytes
        self._frames: list[bytes] = []
        self._sent = 0  # frames of `_frames` sent on the current task
        self.replayable = True
        self.total_bytes = 0  # every byte of the utterance, replayable or not

    def keep(self, frames: list[bytes]) -> None:
        """Add frames to send (and, within the limit, to replay)."""
        self._frames.extend(frames)
        self.total_bytes += sum(len(frame) for frame in frames)
        if self.replayable and self.total_bytes > self._limit:
            _LOGGER.debug("Utterance longer than %d bytes: no replay", self._limit)
            self.replayable = False

    def unsent(self) -> bytes | None:
        """Return the next frame the current task has not been sent, if any."""
        return self._frames[self._sent] if self._sent < len(self._frames) else None

    def mark_sent(self) -> None:
        """Note that the frame `unsent` returned went out."""
        self._sent += 1

    def settle(self) -> None:
        """Let go of sent frames once no replay is possible."""
        if not self.replayable:
            del self._frames[: self._sent]
            self._sent = 0

    def rewind(self) -> None:
        """Start over for a new task: every kept frame is unsent again."""
        self._sent = 0
