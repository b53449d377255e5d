"""The entry point of the DashScope client: one API key on one endpoint."""

from __future__ import annotations

import aiohttp

from .endpoints import Endpoint
from .errors import DashScopeTaskError
from .messages import RecognitionParameters
from .realtime import RecognitionSession, Timeouts

# A task that received only silence may fail with one of these; the key and model still work.
_NO_SPEECH_CODES = frozenset({"NO_INPUT_AUDIO_ERROR", "NO_VALID_AUDIO_ERROR"})
_VALIDATION_SAMPLE_RATE = 16000


class DashScopeClient:
    """Talks to DashScope on behalf of one account, on an injected `aiohttp.ClientSession`."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        api_key: str,
        endpoint: Endpoint,
        *,
        timeouts: Timeouts | None = None,
    ) -> None:
        """Create a client; the key is used only in request headers."""
        self._http = http
        self._api_key = api_key
        self.endpoint = endpoint
        self.timeouts = timeouts or Timeouts()

    def __repr__(self) -> str:
        """Describe the client without its key."""
        return f"DashScopeClient({self.endpoint.websocket_url})"

    def recognition(self, parameters: RecognitionParameters) -> RecognitionSession:
        """Return a recognition session (an async context manager) for one utterance."""
        return RecognitionSession(
            self._http, self.endpoint, self._api_key, parameters, self.timeouts
        )

    async def validate(self, model: str, sample_rate: int = _VALIDATION_SAMPLE_RATE) -> None:
        """Run a short task with 100 ms of silence to prove the key, endpoint and model work."""
        silence = bytes(int(sample_rate * 0.1) * 2)
        async with self.recognition(RecognitionParameters(model, sample_rate)) as session:
            await session.send_audio(silence)
            await session.finish()
            try:
                async for _ in session.results():
                    pass
            except DashScopeTaskError as err:
                if err.code not in _NO_SPEECH_CODES:
                    raise
