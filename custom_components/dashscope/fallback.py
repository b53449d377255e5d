"""A fallback engine: when DashScope cannot answer, another speech-to-text entity does.

The pipeline's audio is read once into `UtteranceAudio` and given to two readers: the
DashScope session, and (only if DashScope fails) the fallback engine, which receives the
utterance from its first byte, exactly as the pipeline sent it (not the resampled copy), with
the same metadata, through Home Assistant's public speech-to-text API
(`stt.async_get_speech_to_text_entity` and `internal_async_process_audio_stream`, what the
pipeline itself calls). The kept audio is capped as the replay is
(`RetryPolicy.replay_seconds`, 60 s) and dropped when the utterance ends.

When the entity ends the utterance itself (Home Assistant 2026.5 and later,
`requires_external_vad=False`) the service's end of speech is gone in an outage, so the
fallback's copy ends at a local end of speech: an energy check on the audio already here, with
the engine's silence setting (`LocalEndOfSpeech`). pymicro-vad, the pipeline's detector, is
importable on every supported release, but only as the pipeline's own requirement (it is not
Home Assistant's) and only for 16 kHz 10 ms frames; the entity also takes 8-48 kHz and stereo,
so a plain energy detector over any PCM is used instead.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator
import contextlib
import dataclasses
from dataclasses import dataclass

from homeassistant.components import stt
from homeassistant.components.stt import SpeechMetadata, SpeechResult, SpeechResultState
from homeassistant.core import HomeAssistant
from homeassistant.util import language as language_util
import numpy as np

from .client import (
    DashScopeBadAudioError,
    DashScopeError,
    DashScopeNoSpeechError,
    DashScopeTimeoutError,
    RetryPolicy,
    UnsupportedAudioError,
)
from .client.parameters import PARAMETERS, Parameter
from .client.utterance import GiveUp
from .const import LOGGER

DEFAULT_KEEP_SECONDS = RetryPolicy().replay_seconds  # the replay's cap; the entity passes its own
COMPRESSED_BYTES_PER_SECOND = 16000  # Opus: bounded as if it were 128 kbit/s, as the replay
FALLBACK_TIMEOUT = 30.0  # seconds the fallback may take after DashScope gave up
# A task that has not started this long after the end of speech is stalled: with a fallback
# waiting, its start timeout (10 s by default) is not waited out. A warm connection starts a
# task within a few hundred ms of the first audio, a fresh one well within a second.
START_GRACE = 1.0
# The engines' own default `max_sentence_silence`, from the parameter table.
_SENTENCE_SILENCE = next(s for s in PARAMETERS if s.parameter is Parameter.MAX_SENTENCE_SILENCE)
assert _SENTENCE_SILENCE.default is not None
DEFAULT_SILENCE_MS = int(_SENTENCE_SILENCE.default)
SPEECH_RMS = 500.0  # of 32767 (about -36 dBFS): louder is speech, after the pipeline's gain
MIN_SPEECH_SECONDS = 0.3  # a cough does not start a command

# What DashScope not answering means; the rest are answers (nothing was said) or audio no
# engine can read as declared.
NOT_FAILURES = (DashScopeNoSpeechError, DashScopeBadAudioError, UnsupportedAudioError)


def wants_fallback(error: DashScopeError) -> bool:
    """Return True when `error` means DashScope could not answer (not: nothing was said)."""
    return not isinstance(error, NOT_FAILURES)


class LocalEndOfSpeech:
    """Says when speech has ended: `silence_ms` of quiet after enough loud audio (16-bit PCM)."""

    def __init__(self, sample_rate: int, channels: int, silence_ms: int) -> None:
        """Measure chunks of audio at this rate and channel count."""
        self._bytes_per_second = sample_rate * channels * 2
        self._silence = silence_ms / 1000
        self._speech = 0.0
        self._quiet = 0.0
        self._odd = b""

    def push(self, chunk: bytes) -> bool:
        """Take the next chunk; return True once speech has ended."""
        data = self._odd + chunk
        usable = len(data) - len(data) % 2
        self._odd = data[usable:]
        if not usable:
            return False
        samples = np.frombuffer(data[:usable], dtype="<i2").astype(np.float32)
        seconds = usable / self._bytes_per_second
        if float(np.sqrt(np.mean(samples * samples))) >= SPEECH_RMS:
            self._speech += seconds
            self._quiet = 0.0
        elif self._speech >= MIN_SPEECH_SECONDS:
            self._quiet += seconds
        return self._speech >= MIN_SPEECH_SECONDS and self._quiet >= self._silence


class UtteranceAudio:
    """One utterance's audio as the pipeline sent it, read once, for DashScope and a fallback."""

    def __init__(
        self,
        source: AsyncIterable[bytes],
        *,
        bytes_per_second: int,
        end_of_speech: LocalEndOfSpeech | None,
        max_seconds: float | None = None,
        keep_seconds: float = DEFAULT_KEEP_SECONDS,
    ) -> None:
        """Keep up to `keep_seconds` of `source` for the fallback.

        The fallback's copy ends at the local end of speech (`end_of_speech`) or after
        `max_seconds` (the entity's cap when it ends the utterance itself), if either is
        given, else with the stream.
        """
        self._source = source
        self._cap = int(keep_seconds * bytes_per_second)
        self._max_bytes = None if max_seconds is None else int(max_seconds * bytes_per_second)
        self._detector = end_of_speech
        self._chunks: deque[bytes] = deque()
        self._dropped = 0  # chunks dropped from the front to keep the cap
        self._kept = 0
        self._received = 0
        self._ended = False
        self._speech_end: int | None = None  # the chunk count at the local end of speech
        self._changed = asyncio.Event()
        self.speech_ended = asyncio.Event()  # the stream ended, or the local end of speech
        self._reader: asyncio.Task[None] | None = None
        self.error: Exception | None = None  # the pipeline's stream failed

    def start(self) -> None:
        """Start reading the pipeline's stream."""
        self._reader = asyncio.create_task(self._read(), name="dashscope utterance audio")

    async def close(self) -> None:
        """Stop reading and drop the audio: the utterance is over."""
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self._chunks.clear()
        self._kept = 0

    async def _read(self) -> None:
        try:
            async for chunk in self._source:
                self._keep(chunk)
        except Exception as err:  # noqa: BLE001 - foreign code: its failure ends the audio
            self.error = err
        finally:
            self._ended = True
            self._changed.set()
            self.speech_ended.set()

    def _keep(self, chunk: bytes) -> None:
        self._chunks.append(chunk)
        self._kept += len(chunk)
        self._received += len(chunk)
        while self._kept > self._cap and len(self._chunks) > 1:
            self._kept -= len(self._chunks.popleft())
            self._dropped += 1
        if self._speech_end is None and (
            (self._detector is not None and self._detector.push(chunk))
            or (self._max_bytes is not None and self._received >= self._max_bytes)
        ):
            self._speech_end = self._dropped + len(self._chunks)
            self.speech_ended.set()
        self._changed.set()

    async def chunks(self, *, local_end: bool) -> AsyncIterator[bytes]:
        """Yield the utterance from its first kept chunk, as it arrives.

        `local_end`: stop at the local end of speech (the fallback's copy); otherwise at the
        end of the pipeline's stream (DashScope's, whose own end of speech stops reading).
        """
        index = 0
        while True:
            index = max(index, self._dropped)
            if local_end and self._speech_end is not None and index >= self._speech_end:
                return
            if index < self._dropped + len(self._chunks):
                yield self._chunks[index - self._dropped]
                index += 1
                continue
            if self._ended:
                if self.error is not None and not local_end:
                    raise self.error
                return
            self._changed.clear()
            await self._changed.wait()


def stalled_start(audio: UtteranceAudio) -> GiveUp:
    """Return when a task still starting is given up: `START_GRACE` after the end of speech.

    The fallback already has the utterance, so a stalled start is not waited out to the
    account's start timeout (`Utterance.transcripts`' `give_up_start`).
    """

    async def speech_over_and_grace() -> DashScopeError:
        await audio.speech_ended.wait()
        await asyncio.sleep(START_GRACE)
        return DashScopeTimeoutError(
            f"The recognition had not started {START_GRACE:g} s after the end of speech"
        )

    return speech_over_and_grace


def pcm_end_of_speech(metadata: SpeechMetadata, silence_ms: int | None) -> LocalEndOfSpeech | None:
    """Return a local end of speech for PCM audio (none for compressed audio)."""
    if str(getattr(metadata.codec, "value", metadata.codec)) != "pcm":
        return None
    return LocalEndOfSpeech(
        int(metadata.sample_rate), int(metadata.channel), silence_ms or DEFAULT_SILENCE_MS
    )


def bytes_per_second(metadata: SpeechMetadata) -> int:
    """Return how many bytes a second of this audio takes (compressed: as the replay bounds it)."""
    if str(getattr(metadata.codec, "value", metadata.codec)) != "pcm":
        return COMPRESSED_BYTES_PER_SECOND
    return int(metadata.sample_rate) * int(metadata.channel) * int(metadata.bit_rate) // 8


@dataclass(frozen=True, slots=True)
class FallbackAnswer:
    """What the fallback engine answered for an utterance DashScope could not."""

    entity_id: str
    text: str | None  # None: the fallback failed too

    @property
    def succeeded(self) -> bool:
        """Return True when the fallback gave a result (perhaps empty)."""
        return self.text is not None


def _metadata_for(metadata: SpeechMetadata, engine: stt.SpeechToTextEntity) -> SpeechMetadata:
    """Return the same metadata, its language the engine's closest tag if it lacks this one."""
    languages = engine.supported_languages
    if metadata.language in languages:
        return metadata
    matches = language_util.matches(metadata.language, languages)
    return dataclasses.replace(metadata, language=matches[0]) if matches else metadata


async def async_fallback(
    hass: HomeAssistant, entity_id: str, metadata: SpeechMetadata, audio: UtteranceAudio
) -> FallbackAnswer:
    """Give the utterance to the fallback engine; never raises."""
    engine = stt.async_get_speech_to_text_entity(hass, entity_id)
    if engine is None:
        LOGGER.warning("The fallback speech-to-text engine %s does not exist", entity_id)
        return FallbackAnswer(entity_id, None)
    try:
        async with asyncio.timeout(FALLBACK_TIMEOUT):
            result: SpeechResult = await engine.internal_async_process_audio_stream(
                _metadata_for(metadata, engine), audio.chunks(local_end=True)
            )
    except Exception:  # noqa: BLE001 - another integration's failure must not break Assist
        LOGGER.warning("The fallback engine %s failed", entity_id, exc_info=True)
        return FallbackAnswer(entity_id, None)
    if result.result is not SpeechResultState.SUCCESS:
        return FallbackAnswer(entity_id, None)
    return FallbackAnswer(entity_id, result.text or "")
