"""The DashScope speech-to-text entity: streams the Assist pipeline's audio while people speak."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable
from contextvars import ContextVar
import time
from typing import Any

from homeassistant.components import stt
from homeassistant.components.stt import (
    AudioBitRates,
    AudioChannels,
    AudioCodecs,
    AudioFormats,
    AudioSampleRates,
    SpeechMetadata,
    SpeechResult,
    SpeechResultState,
    SpeechToTextEntity,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.start import async_at_started

from .budget import budget_fallback
from .client import AudioInput, AudioSpec, CommandMatcher, DashScopeError, service_sample_rate
from .commands import HomeCommands
from .const import LOGGER
from .entity import DashScopeEntity
from .fallback import (
    FallbackAnswer,
    UtteranceAudio,
    async_fallback,
    bytes_per_second,
    pcm_end_of_speech,
    stalled_start,
    wants_fallback,
)
from .outcome import async_fallback_answered, async_recognition_done, start_recognition
from .recognizer import Recognizer, recognizer_subentries
from .runtime import DashScopeConfigEntry

# Utterances run side by side: each has its own session (the client limits connections).
PARALLEL_UPDATES = 0

# Newer Home Assistant releases, by feature detection: 2026.5 lets an entity end the
# utterance itself; 2026.11 streams partial transcripts.
SpeechAudioProcessing = getattr(stt, "SpeechAudioProcessing", None)
PartialSpeechResult = getattr(stt, "PartialSpeechResult", None)

# Set while an engine answers as another's fallback: it falls back no further (no loops).
_AS_FALLBACK: ContextVar[bool] = ContextVar("dashscope_as_fallback", default=False)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - the platform signature
    entry: DashScopeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one speech-to-text entity per recognizer subentry."""
    for subentry in recognizer_subentries(entry):
        recognizer = entry.runtime_data.recognizers[subentry.subentry_id]
        async_add_entities(
            [DashScopeSpeechToText(entry, subentry, recognizer)],
            config_subentry_id=subentry.subentry_id,
        )


class DashScopeSpeechToText(DashScopeEntity, SpeechToTextEntity):
    """Recognize speech with one DashScope model and set of language hints."""

    _attr_name = None  # the engine is its device: "DashScope <model>"

    def __init__(
        self, entry: DashScopeConfigEntry, subentry: ConfigSubentry, recognizer: Recognizer
    ) -> None:
        """Create the entity for a recognizer subentry."""
        super().__init__(subentry)
        # Held here: runtime data is gone once the entry unloads, an utterance may still end.
        self._runtime = entry.runtime_data
        self._recognizer = recognizer
        self._commands: HomeCommands | None = None

    async def async_added_to_hass(self) -> None:
        """Load the language's commands once Home Assistant has started (not in an utterance)."""
        await super().async_added_to_hass()
        if self._recognizer.endpointing.command_silence_ms is None:
            return
        commands = self._commands = HomeCommands(self.hass)
        language = self._recognizer.default_language(self.hass)

        async def prepare(hass: HomeAssistant) -> None:
            hass.async_create_background_task(
                commands.async_prepare(language), "dashscope prepare commands"
            )

        self.async_on_remove(async_at_started(self.hass, prepare))

    def _matcher(self, language: str) -> CommandMatcher | None:
        """Return what tells this utterance's complete commands, when the engine asks."""
        if self._commands is None or not self._commands.available:
            return None
        return self._commands.matcher(language)

    @property
    def audio_processing(self) -> Any:
        """Leave end-of-speech to the service when asked (Home Assistant 2026.5 and later)."""
        if SpeechAudioProcessing is None:
            return None
        return SpeechAudioProcessing(
            requires_external_vad=not self._recognizer.endpointing.on_service_end,
            prefers_auto_gain_enabled=True,
            prefers_noise_reduction_enabled=True,
        )

    @property
    def supported_languages(self) -> list[str]:
        """Return the language tags the model recognizes."""
        return self._recognizer.model.language_tags

    @property
    def supported_formats(self) -> list[AudioFormats]:
        """Return the containers accepted: WAV (PCM) and Ogg (Opus, passed through)."""
        return [AudioFormats.WAV, AudioFormats.OGG]

    @property
    def supported_codecs(self) -> list[AudioCodecs]:
        """Return the codecs accepted."""
        return [AudioCodecs.PCM, AudioCodecs.OPUS]

    @property
    def supported_bit_rates(self) -> list[AudioBitRates]:
        """Return the sample widths accepted."""
        return [AudioBitRates.BITRATE_16]

    @property
    def supported_sample_rates(self) -> list[AudioSampleRates]:
        """Return the rates the model takes, and higher ones that are resampled down to it."""
        return [
            rate
            for rate in AudioSampleRates
            if service_sample_rate(self._recognizer.model.sample_rates, rate.value) is not None
        ]

    @property
    def supported_channels(self) -> list[AudioChannels]:
        """Return the channel counts accepted (stereo is downmixed)."""
        return [AudioChannels.CHANNEL_MONO, AudioChannels.CHANNEL_STEREO]

    def _audio_input(self, metadata: SpeechMetadata) -> AudioInput:
        """Return how this stream's audio becomes what the service is sent."""
        # The HTTP API fills the metadata with plain values, the pipeline with enums.
        spec = AudioSpec(
            container=str(getattr(metadata.format, "value", metadata.format)),
            codec=str(getattr(metadata.codec, "value", metadata.codec)),
            sample_rate=int(metadata.sample_rate),
            channels=int(metadata.channel),
            bits=int(metadata.bit_rate),
        )
        return self._recognizer.audio_input(spec)

    async def async_process_audio_stream(
        self, metadata: SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> SpeechResult:
        """Recognize an utterance; never raises into the pipeline."""
        result = SpeechResult(None, SpeechResultState.ERROR)
        async for update in self._recognize(metadata, stream):
            if isinstance(update, SpeechResult):
                result = update
        return result

    async def async_process_audio_stream_with_progress(
        self, metadata: SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> AsyncGenerator[object]:
        """Yield the growing transcript, then the result (Home Assistant 2026.11 and later)."""
        assert PartialSpeechResult is not None
        async for update in self._recognize(metadata, stream):
            yield update if isinstance(update, SpeechResult) else PartialSpeechResult(update)

    async def _recognize(
        self, metadata: SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> AsyncGenerator[str | SpeechResult]:
        """Yield each new text, then one SpeechResult; nothing unexpected reaches the pipeline."""
        try:
            async for update in self._stream(metadata, stream):
                yield update
        except Exception:  # noqa: BLE001 - last resort: a bug here must not break Assist
            LOGGER.exception(
                "Unexpected error in speech recognition with %s", self._recognizer.model.name
            )
            yield SpeechResult(None, SpeechResultState.ERROR)

    def _kept_audio(
        self, metadata: SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> UtteranceAudio | None:
        """Return the utterance's audio kept for the fallback (None: no fallback to ask)."""
        fallback = self._recognizer.fallback
        if fallback is None or fallback == self.entity_id or _AS_FALLBACK.get():
            return None
        end_of_speech = None
        if self._recognizer.endpointing.on_service_end:
            end_of_speech = pcm_end_of_speech(metadata, self._recognizer.silence_ms)
        return UtteranceAudio(
            stream,
            bytes_per_second=bytes_per_second(metadata),
            end_of_speech=end_of_speech,
            max_seconds=self._recognizer.endpointing.max_seconds,
            keep_seconds=self._recognizer.client.retry.replay_seconds,
        )

    async def _ask_fallback(self, metadata: SpeechMetadata, kept: UtteranceAudio) -> FallbackAnswer:
        """Give the utterance to the engine's fallback (set: it falls back no further)."""
        assert self._recognizer.fallback is not None
        token = _AS_FALLBACK.set(True)
        try:
            return await async_fallback(self.hass, self._recognizer.fallback, metadata, kept)
        finally:
            _AS_FALLBACK.reset(token)

    async def _stream(
        self, metadata: SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> AsyncGenerator[str | SpeechResult]:
        """Stream audio while reading results; yield each new text, then one SpeechResult."""
        kept = self._kept_audio(metadata, stream)
        if kept is None:
            async for update in self._recognize_with_dashscope(metadata, stream, None):
                yield update
            return
        kept.start()
        try:
            entry = self.hass.config_entries.async_get_entry(self._recognizer.entry_id)
            if entry is not None and budget_fallback(entry):
                # Over budget, and the person chose the fallback for the rest of the month.
                answer = await self._ask_fallback(metadata, kept)
                async_fallback_answered(
                    self.hass,
                    self._runtime,
                    self._recognizer,
                    answer,
                    entity_id=self.entity_id,
                    language=str(metadata.language),
                )
                yield _result(answer)
                return
            async for update in self._recognize_with_dashscope(
                metadata, kept.chunks(local_end=False), kept
            ):
                yield update
        finally:
            await kept.close()

    async def _recognize_with_dashscope(
        self,
        metadata: SpeechMetadata,
        stream: AsyncIterable[bytes],
        kept: UtteranceAudio | None,
    ) -> AsyncGenerator[str | SpeechResult]:
        """Recognize with DashScope; if it cannot answer and `kept` is set, with the fallback."""
        started = time.monotonic()
        try:
            audio = self._audio_input(metadata)
        except DashScopeError as err:
            LOGGER.error(
                "Speech recognition with %s refused the audio: %s", self._recognizer.model.name, err
            )
            yield SpeechResult(None, SpeechResultState.ERROR)
            return
        recognizer = self._recognizer
        language = str(metadata.language)
        utterance = start_recognition(
            self._runtime, recognizer, language, audio, matcher=self._matcher(language)
        )
        give_up = None if kept is None else stalled_start(kept)
        shown = None
        async for transcript in utterance.transcripts(stream, give_up_start=give_up):
            if transcript.text != shown:  # a sentence ending may not change the text
                shown = transcript.text
                yield shown
        outcome = utterance.outcome
        if (error := outcome.error) is not None:
            # With a fallback, an outage is logged once (outcome.py), not per command.
            (LOGGER.debug if kept is not None and wants_fallback(error) else LOGGER.error)(
                "Speech recognition with %s failed after %.1f s: %s",
                recognizer.model.name,
                time.monotonic() - started,
                outcome.error,
            )
        answer = None
        if error is not None and kept is not None and kept.error is None and wants_fallback(error):
            answer = await self._ask_fallback(metadata, kept)
        record = async_recognition_done(
            self.hass,
            self._runtime,
            recognizer,
            outcome,
            entity_id=self.entity_id,
            language=language,
            publish=True,
            fallback=answer,
        )
        if error is not None:
            yield SpeechResult(None, SpeechResultState.ERROR) if answer is None else _result(answer)
            return
        LOGGER.debug(
            "Task %s recognized %d bytes in %.2f s",
            outcome.stats.task_id,
            outcome.audio_bytes,
            time.monotonic() - started,
        )
        # A complete command answers with the words that matched (its final adds only marks).
        text = record.text if outcome.answer is None else outcome.answer
        yield SpeechResult(text, SpeechResultState.SUCCESS)


def _result(answer: FallbackAnswer) -> SpeechResult:
    """Return what Assist gets from the fallback's answer."""
    if answer.text is None:
        return SpeechResult(None, SpeechResultState.ERROR)
    return SpeechResult(answer.text, SpeechResultState.SUCCESS)
