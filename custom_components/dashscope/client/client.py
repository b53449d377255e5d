"""The entry point of the DashScope client: one API key on one endpoint.

`recognize` is one utterance's recognition (what the task is told is derived there, once);
`vocabularies` and `transcriptions` are the HTTP APIs; `validate` proves a key and a model.
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, Self

import aiohttp

from .audio import AudioInput
from .catalog import model_info
from .connections import ConnectionPool
from .endpointing import Endpointing
from .endpoints import Endpoint
from .errors import DashScopeNoSpeechError, DashScopeTimeoutError
from .messages import RecognitionParameters
from .rest import HttpApi, VocabularyClient
from .retry import RetryPolicy, Timeouts
from .session import RecognitionSession
from .transcription import TranscriptionClient
from .utterance import Utterance

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
        retry: RetryPolicy | None = None,
    ) -> None:
        """Create a client; the key is used only in request headers."""
        self.endpoint = endpoint
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.connections = ConnectionPool(http, endpoint, api_key)
        api = HttpApi(http, api_key, endpoint)
        self.vocabularies = VocabularyClient(api)  # hotwords
        self.transcriptions = TranscriptionClient(api)  # recordings (the file API)

    def __repr__(self) -> str:
        """Describe the client without its key."""
        return f"DashScopeClient({self.endpoint.websocket_url})"

    def recognition(
        self, parameters: RecognitionParameters, *, keep_connection: bool = True
    ) -> RecognitionSession:
        """Return the session of one utterance's tasks, driven by hand (an async context manager).

        `recognize` is the whole recognition; this is its lower half, for a validation and for
        tests of the protocols.
        """
        return RecognitionSession(
            self.connections,
            parameters,
            self.timeouts,
            self.retry,
            keep_connection=keep_connection,
        )

    def recognize(
        self,
        audio: AudioInput,
        endpointing: Endpointing,
        *,
        model: str,
        language_hints: tuple[str, ...] = (),
        options: tuple[tuple[str, Any], ...] = (),
        context: str = "",
        context_messages: tuple[str, ...] = (),
    ) -> Utterance:
        """Return one utterance's recognition: run it with the caller's audio, read its outcome.

        What the service is sent is derived here, once: the format and rate from `audio`, the
        protocol from the model, the realtime protocol's turn detection from `endpointing`.
        """
        parameters = RecognitionParameters(
            model,
            audio.service_rate,
            audio.service_format,
            language_hints=language_hints,
            options=options,
            protocol=model_info(model).protocol,
            context=context,
            service_vad=endpointing.service_turns,
            context_messages=context_messages,
        )
        return Utterance(self.recognition(parameters), audio, endpointing)

    async def connect(self) -> None:
        """Open a connection and keep it for the first utterance; proves key and endpoint."""
        try:
            async with asyncio.timeout(self.timeouts.start):
                connection = await self.connections.acquire(fresh=True)
        except TimeoutError as err:
            raise DashScopeTimeoutError(f"No connection within {self.timeouts.start:g} s") from err
        self.connections.release(connection)

    async def validate(self, model: str, sample_rate: int = _VALIDATION_SAMPLE_RATE) -> None:
        """Run a short task with 100 ms of silence to prove the key, endpoint and model work."""
        silence = bytes(int(sample_rate * 0.1) * 2)
        parameters = RecognitionParameters(model, sample_rate, protocol=model_info(model).protocol)
        async with self.recognition(parameters, keep_connection=False) as session:
            await session.send_audio(silence)
            await session.finish()
            try:
                async for _ in session.results():
                    pass
            except DashScopeNoSpeechError:
                pass  # silence was sent: the key, endpoint and model work

    async def close(self) -> None:
        """Close every connection."""
        await self.connections.close()

    async def __aenter__(self) -> Self:
        """Use the client for a while (e.g. a form's validation); it is closed on exit."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close every connection the client opened."""
        await self.close()
