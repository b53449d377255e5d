"""The DashScope speech-to-text entity: streams the Assist pipeline's audio while people speak."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable
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
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import language as language_util

from . import DashScopeConfigEntry
from .client import (
    AudioInput,
    AudioSpec,
    DashScopeError,
    Endpointing,
    ModelInfo,
    RecognitionParameters,
    RecognitionSession,
    model_info,
    service_sample_rate,
)
from .client.files import AudioFile
from .const import (
    CONF_AUTO_LANGUAGE,
    CONF_END_OF_SPEECH,
    CONF_LANGUAGE_HINTS,
    CONF_MODEL,
    DOMAIN,
    LOGGER,
)
from .failures import async_recognition_failed, model_issue_id
from .file_recognition import recognize_file
from .recognizer import recognition_options, recognizer_device, recognizer_subentries
from .transcript import TranscriptRecord, async_publish

# Newer Home Assistant releases, by feature detection: 2026.5 lets an entity end the
# utterance itself; 2026.11 streams partial transcripts.
SpeechAudioProcessing = getattr(stt, "SpeechAudioProcessing", None)
PartialSpeechResult = getattr(stt, "PartialSpeechResult", None)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - the platform signature
    entry: DashScopeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one speech-to-text entity per recognizer subentry."""
    for subentry in recognizer_subentries(entry):
        async_add_entities(
            [DashScopeSpeechToText(entry, subentry)],
            config_subentry_id=subentry.subentry_id,
        )


class DashScopeSpeechToText(SpeechToTextEntity):
    """Recognize speech with one DashScope model and set of language hints."""

    _attr_has_entity_name = True
    _attr_name = None

    def __init__(self, entry: DashScopeConfigEntry, subentry: ConfigSubentry) -> None:
        """Create the entity for a recognizer subentry."""
        self._entry = entry
        self._client = entry.runtime_data.client
        # Held here: runtime data is gone once the entry unloads, an utterance may still end.
        self._recognitions = entry.runtime_data.recognitions
        self._issue_id = model_issue_id(subentry.subentry_id)
        self._subentry = subentry
        self._hotwords = entry.runtime_data.hotwords
        self._model = model_info(subentry.data[CONF_MODEL])
        self._extra_hints: list[str] = list(subentry.data.get(CONF_LANGUAGE_HINTS, []))
        self._auto_language = bool(subentry.data.get(CONF_AUTO_LANGUAGE, False))
        self._options = recognition_options(self._model, subentry.data)
        end_of_speech = bool(subentry.data.get(CONF_END_OF_SPEECH, False))
        self._endpointing = Endpointing.for_voice_commands(on_service_end=end_of_speech)
        self._attr_unique_id = subentry.subentry_id
        self._attr_device_info = recognizer_device(subentry)

    @property
    def audio_processing(self) -> Any:
        """Leave end-of-speech to the service when asked (Home Assistant 2026.5 and later)."""
        if SpeechAudioProcessing is None:
            return None
        return SpeechAudioProcessing(
            requires_external_vad=not self._endpointing.on_service_end,
            prefers_auto_gain_enabled=True,
            prefers_noise_reduction_enabled=True,
        )

    @property
    def supported_languages(self) -> list[str]:
        """Return the language tags the model recognizes."""
        return self._model.language_tags

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
            if service_sample_rate(self._model.sample_rates, rate.value) is not None
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
        return AudioInput(spec, self._model.sample_rates)

    def _parameters(self, language: str, audio: AudioInput) -> RecognitionParameters:
        """Return the task parameters for an utterance: the pipeline's language first."""
        hints: list[str] = []
        if not self._auto_language:
            hints = self._model.language_hints(
                self._model.language_code(language), self._extra_hints
            )
        return RecognitionParameters(
            model=self._model.name,
            sample_rate=audio.service_rate,
            audio_format=audio.service_format,
            language_hints=tuple(hints),
            options=self._options + self._vocabulary_option(),
        )

    def _vocabulary_option(self) -> tuple[tuple[str, str], ...]:
        vocabulary_id = self._hotwords.vocabulary_id(self._subentry)
        return ((self._model.hotword_parameter, vocabulary_id),) if vocabulary_id else ()

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
            LOGGER.exception("Unexpected error in speech recognition with %s", self._model.name)
            yield SpeechResult(None, SpeechResultState.ERROR)

    async def _stream(
        self, metadata: SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> AsyncGenerator[str | SpeechResult]:
        """Stream audio while reading results; yield each new text, then one SpeechResult."""
        started = time.monotonic()
        try:
            audio = self._audio_input(metadata)
        except DashScopeError as err:
            LOGGER.error("Speech recognition with %s refused the audio: %s", self._model.name, err)
            yield SpeechResult(None, SpeechResultState.ERROR)
            return
        session = self.recognition(metadata.language, audio)
        try:
            async with session:
                shown = None
                async for transcript in session.stream(stream, audio, self._endpointing):
                    if transcript.text != shown:  # a sentence ending may not change the text
                        shown = transcript.text
                        yield shown
        except DashScopeError as err:
            LOGGER.error(
                "Speech recognition with %s failed after %.1f s: %s",
                self._model.name,
                time.monotonic() - started,
                err,
            )
            self._record(session)
            async_recognition_failed(
                self.hass,
                err,
                entry=self._entry,
                recognizer_id=self._subentry.subentry_id,
                hotwords=self._hotwords,
                model=self._model.name,
                endpoint=self._client.endpoint.websocket_url,
            )
            yield SpeechResult(None, SpeechResultState.ERROR)
            return
        self._record(session)
        ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)
        if session.transcript.text:
            async_publish(
                self.hass,
                TranscriptRecord.from_transcript(
                    session.transcript,
                    entity_id=self.entity_id,
                    recognizer_id=self._subentry.subentry_id,
                    language=str(metadata.language),
                    model=self._model.name,
                    audio_seconds=session.stats.audio_seconds,
                ),
            )
        LOGGER.debug(
            "Task %s recognized %d bytes in %.2f s",
            session.task_id,
            session.audio_bytes,
            time.monotonic() - started,
        )
        yield SpeechResult(session.transcript.text, SpeechResultState.SUCCESS)

    async def async_transcribe_file(
        self, audio_file: AudioFile, language: str | None, speed: float
    ) -> dict[str, Any]:
        """Recognize a whole file through the real-time API (the transcribe_file action)."""
        return await recognize_file(self, audio_file, language or self._default_language(), speed)

    @property
    def model_info(self) -> ModelInfo:
        """Return the recognizer's model."""
        return self._model

    @property
    def recognizer_id(self) -> str:
        """Return the recognizer subentry's id."""
        return self._subentry.subentry_id

    def recognition(self, language: str, audio: AudioInput) -> RecognitionSession:
        """Return a recognition session with this recognizer's settings."""
        return self._client.recognition(self._parameters(language, audio))

    def _default_language(self) -> str:
        """Return the recognizer's tag closest to Home Assistant's language."""
        matches = language_util.matches(
            self.hass.config.language, self.supported_languages, self.hass.config.country
        )
        return matches[0] if matches else self.supported_languages[0]

    def _record(self, session: RecognitionSession) -> None:
        """Keep the session's numbers for diagnostics."""
        self._recognitions.append(session.stats)
