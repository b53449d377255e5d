"""What follows a recognition, decided once for every caller (Assist and the actions).

`start_recognition` prepares a recognizer's utterance with the biasing its hotword sync
holds; `async_recognition_done` turns the outcome the client returned (transcript,
statistics, the error if it failed) into what Home Assistant shows: the numbers diagnostics
list, the repair or reauth a failure asks for, and the transcript automations receive.
`async_service_failed` is the part of it for calls without a recognition (the file
transcription API).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback

from .client import (
    AudioInput,
    CommandMatcher,
    DashScopeAuthError,
    DashScopeError,
    DashScopeModelNotFoundError,
    DashScopeVocabularyMissingError,
    RecognitionOutcome,
    Utterance,
)
from .issues import async_model_not_found, async_model_works, async_start_reauth
from .recognizer import Recognizer
from .runtime import DashScopeRuntimeData
from .transcript import TranscriptRecord, async_publish


def start_recognition(
    runtime: DashScopeRuntimeData,
    recognizer: Recognizer,
    language: str,
    audio: AudioInput,
    *,
    whole_file: bool = False,
    matcher: CommandMatcher | None = None,
) -> Utterance:
    """Return a recognition of `recognizer`, biased by its phrases and names.

    `matcher` tells complete commands apart (`commands.py`) for an engine that ends them early.
    """
    biasing = runtime.hotwords.biasing(recognizer)
    return recognizer.recognition(language, audio, biasing, whole_file=whole_file, matcher=matcher)


@callback
def async_service_failed(hass: HomeAssistant, entry_id: str, err: DashScopeError) -> None:
    """Ask for what any failure needs from the person: a new key (reauth) for a refused one."""
    if isinstance(err, DashScopeAuthError):
        async_start_reauth(hass, entry_id)


@callback
def async_recognition_done(
    hass: HomeAssistant,
    runtime: DashScopeRuntimeData,
    recognizer: Recognizer,
    outcome: RecognitionOutcome,
    *,
    entity_id: str,
    language: str,
    publish: bool,
) -> TranscriptRecord:
    """Show what a finished (or failed) recognition means, and return its transcript record.

    Its numbers are kept for diagnostics. A refused key starts reauth; a model the service
    does not know raises a repair, cleared by the next success; a vocabulary deleted behind
    our back is made again (this utterance already failed). A recognized text reaches the
    event entity and the phrase triggers when `publish` is set: live speech to Assist; a file
    action returns its text to the caller instead, so a recording does not fire automations
    meant for what people say.
    """
    runtime.recognitions.append(outcome.stats)
    record = TranscriptRecord.from_transcript(
        outcome.transcript,
        entity_id=entity_id,
        recognizer_id=recognizer.recognizer_id,
        language=language,
        model=recognizer.model.name,
        audio_seconds=outcome.stats.audio_seconds,
    )
    if (error := outcome.error) is not None:
        async_service_failed(hass, recognizer.entry_id, error)
        if isinstance(error, DashScopeVocabularyMissingError):
            runtime.hotwords.async_forget(recognizer.recognizer_id)
        elif isinstance(error, DashScopeModelNotFoundError):
            async_model_not_found(
                hass,
                recognizer.entry_id,
                recognizer.recognizer_id,
                model=recognizer.model.name,
                endpoint=recognizer.client.endpoint.websocket_url,
                engine=recognizer.title,
            )
        return record
    async_model_works(hass, recognizer.recognizer_id)
    if publish and outcome.finished is not None:
        # A complete command answered before its final result: automations get the final
        # text once the task has finished in the background.
        hass.async_create_background_task(
            _async_publish_final(hass, recognizer, outcome, entity_id=entity_id, language=language),
            "dashscope final transcript",
        )
    elif publish and record.text:
        async_publish(hass, record)
    return record


async def _async_publish_final(
    hass: HomeAssistant,
    recognizer: Recognizer,
    outcome: RecognitionOutcome,
    *,
    entity_id: str,
    language: str,
) -> None:
    """Publish the transcript of a task that finishes in the background, once it has."""
    assert outcome.finished is not None
    await outcome.finished()  # bounded by the finish deadline; failures end it too
    record = TranscriptRecord.from_transcript(
        outcome.transcript,  # the task's own transcript: the background finish completed it
        entity_id=entity_id,
        recognizer_id=recognizer.recognizer_id,
        language=language,
        model=recognizer.model.name,
        audio_seconds=outcome.stats.audio_seconds,
    )
    if record.text:
        async_publish(hass, record)
