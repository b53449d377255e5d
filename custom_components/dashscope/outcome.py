"""What follows a recognition, decided once for every caller (Assist and the actions).

`start_recognition` prepares a recognizer's utterance with the biasing its hotword sync
holds; `async_recognition_done` turns the outcome the client returned (transcript,
statistics, the error if it failed) into what Home Assistant shows: the numbers diagnostics
list, the repair or reauth a failure asks for, and the transcript automations receive.
`async_service_failed` is the part of it for calls without a recognition (the file
transcription API).

It also counts what every recognition used (`usage.py`: the sensors and the budget), and,
when DashScope could not answer and the engine's fallback did (`fallback.py`), makes the
fallback's text the transcript, named by the engine that answered, and keeps the outage to one
log line and, if it lasts, one repair.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .budget import async_check_budget
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
from .client.prices import billed_audio_seconds
from .const import LOGGER, OUTAGE_REPAIR_MINUTES
from .fallback import FallbackAnswer, wants_fallback
from .issues import (
    BILLING_ISSUES,
    async_billing_fine,
    async_billing_problem,
    async_long_outage,
    async_model_not_found,
    async_model_works,
    async_outage_over,
    async_start_reauth,
)
from .recognizer import Recognizer
from .runtime import DashScopeRuntimeData
from .transcript import TranscriptRecord, async_publish
from .usage import EngineUsage


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
    fallback: FallbackAnswer | None = None,
) -> TranscriptRecord:
    """Show what a finished (or failed) recognition means, and return its transcript record.

    Its numbers are kept for diagnostics. A refused key starts reauth; a model the service
    does not know raises a repair, cleared by the next success; a vocabulary deleted behind
    our back is made again (this utterance already failed). A recognized text reaches the
    event entity and the phrase triggers when `publish` is set: live speech to Assist; a file
    action returns its text to the caller instead, so a recording does not fire automations
    meant for what people say. `fallback` is what the engine's fallback answered when
    DashScope could not: its text is the transcript then, and the record names it.
    """
    runtime.recognitions.append(outcome.stats)
    usage = runtime.usage.get(recognizer.recognizer_id)
    if usage is not None and outcome.finished is None:
        # A task finishing in the background is counted once it has (its final usage).
        _count(usage, outcome, fallback)
        async_check_budget(hass, recognizer.entry_id, runtime)
    record = TranscriptRecord.from_transcript(
        outcome.transcript,
        entity_id=entity_id,
        recognizer_id=recognizer.recognizer_id,
        language=language,
        model=recognizer.model.name,
        audio_seconds=outcome.stats.audio_seconds,
    )
    if (error := outcome.error) is not None:
        return _async_failed(hass, runtime, recognizer, record, error, fallback, publish=publish)
    async_model_works(hass, recognizer.recognizer_id)
    async_billing_fine(hass, recognizer.entry_id)
    if usage is not None and usage.outage_since is not None:
        _async_outage_over(hass, recognizer, usage)
    # A complete command answered before its final result: automations get the final text
    # once the task has finished in the background.
    publish_final = publish and outcome.answer is not None
    if outcome.finished is not None:
        hass.async_create_background_task(
            _async_finished(
                hass,
                runtime,
                recognizer,
                outcome,
                publish=publish_final,
                entity_id=entity_id,
                language=language,
            ),
            "dashscope final transcript",
        )
    if publish and not publish_final and record.text:
        async_publish(hass, record)
    return record


async def _async_finished(
    hass: HomeAssistant,
    runtime: DashScopeRuntimeData,
    recognizer: Recognizer,
    outcome: RecognitionOutcome,
    *,
    publish: bool,
    entity_id: str,
    language: str,
) -> None:
    """Once a task finishing in the background has: count its usage, publish its final text.

    Usage is counted here, not when the answer came: the final sentence's usage arrives
    with the background finish.
    """
    assert outcome.finished is not None
    await outcome.finished()  # bounded by the finish deadline; failures end it too
    if (usage := runtime.usage.get(recognizer.recognizer_id)) is not None:
        _count(usage, outcome, None)
        async_check_budget(hass, recognizer.entry_id, runtime)
    if not publish:
        return
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


@callback
def async_fallback_answered(
    hass: HomeAssistant,
    runtime: DashScopeRuntimeData,
    recognizer: Recognizer,
    answer: FallbackAnswer,
    *,
    entity_id: str,
    language: str,
) -> None:
    """Count and publish what the fallback answered when DashScope was not asked (budget)."""
    if answer.succeeded and (usage := runtime.usage.get(recognizer.recognizer_id)):
        usage.roll_over()
        usage.fallbacks += 1
        usage.changed()
    if answer.text:
        async_publish(
            hass,
            TranscriptRecord(
                entity_id=entity_id,
                recognizer_id=recognizer.recognizer_id,
                text=answer.text,
                language=language,
                model=recognizer.model.name,
                audio_seconds=None,
                sentences=(),
                engine=answer.entity_id,
            ),
        )


@callback
def _async_failed(
    hass: HomeAssistant,
    runtime: DashScopeRuntimeData,
    recognizer: Recognizer,
    record: TranscriptRecord,
    error: DashScopeError,
    fallback: FallbackAnswer | None,
    *,
    publish: bool,
) -> TranscriptRecord:
    """Ask what a failure needs; return the fallback's transcript when it answered."""
    async_service_failed(hass, recognizer.entry_id, error)
    if (code := getattr(error, "code", None)) in BILLING_ISSUES:
        async_billing_problem(hass, recognizer.entry_id, str(code), recognizer.title)
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
    if fallback is not None and (usage := runtime.usage.get(recognizer.recognizer_id)):
        _async_outage(hass, recognizer, usage, error, fallback)
    if fallback is not None and fallback.text:
        record = dataclasses.replace(
            record, text=fallback.text, sentences=(), engine=fallback.entity_id
        )
        if publish:
            async_publish(hass, record)
    return record


@callback
def _async_outage_over(hass: HomeAssistant, recognizer: Recognizer, usage: EngineUsage) -> None:
    """Say once that DashScope answers again, and clear the outage's repair."""
    LOGGER.warning(
        "DashScope answers %s again, after %d command(s) went to its fallback %s",
        recognizer.title,
        usage.outage_commands,
        recognizer.fallback,
    )
    usage.outage_since = None
    usage.outage_commands = 0
    usage.outage_repaired = False
    async_outage_over(hass, recognizer.recognizer_id)


def _count(
    usage: EngineUsage, outcome: RecognitionOutcome, fallback: FallbackAnswer | None
) -> None:
    """Add one recognition to the engine's month: billed seconds, counts, latency."""
    usage.roll_over()
    stats = outcome.stats
    billed = billed_audio_seconds(stats.billed_seconds, stats.tokens)
    if outcome.error is not None:
        usage.audio_seconds += billed  # what the service said it billed before failing
        usage.failures += 1
        if fallback is not None and fallback.succeeded:
            usage.fallbacks += 1
        usage.changed()
        return
    usage.audio_seconds += billed or stats.audio_seconds or 0.0
    usage.recognitions += 1
    if (latency := _latency_ms(outcome)) is not None:
        usage.last_latency_ms = latency
    usage.changed()


def _latency_ms(outcome: RecognitionOutcome) -> float | None:
    """Return how long after the end of speech the transcript was there, in ms.

    The client's `finalize_seconds` is that wait, however the utterance ended (see its
    definition in `RecognitionStats`).
    """
    seconds = outcome.stats.finalize_seconds
    return None if seconds is None else round(seconds * 1000, 1)


@callback
def _async_outage(
    hass: HomeAssistant,
    recognizer: Recognizer,
    usage: EngineUsage,
    error: DashScopeError,
    fallback: FallbackAnswer,
) -> None:
    """Keep an outage to one log line, and one repair once it has lasted."""
    if not wants_fallback(error):
        return
    now = dt_util.utcnow()
    if usage.outage_since is None:
        usage.outage_since = now
        LOGGER.warning(
            "DashScope cannot answer %s (%s); its commands go to the fallback %s until it does",
            recognizer.title,
            error,
            fallback.entity_id,
        )
    usage.outage_commands += 1
    if not usage.outage_repaired and now - usage.outage_since >= timedelta(
        minutes=OUTAGE_REPAIR_MINUTES
    ):
        usage.outage_repaired = True
        async_long_outage(
            hass, recognizer.recognizer_id, recognizer.title, fallback.entity_id, str(error)
        )
