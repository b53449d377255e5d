"""The transcript event entity: one per recognizer, fired on every recognized utterance.

Its attributes carry the text for automations (`trigger.to_state.attributes.text`). The text
and sentences are kept out of the recorder (history, logbook, the database) unless the
account's "keep a transcript history" option is on; the entity is rebuilt with the chosen
class when that option changes (the entry reloads).
"""

from __future__ import annotations

from homeassistant.components.event import EventEntity
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    CONF_KEEP_TRANSCRIPTS,
    DEFAULT_KEEP_TRANSCRIPTS,
    EVENT_TYPE_RECOGNIZED,
    SIGNAL_TRANSCRIPT,
)
from .entity import DashScopeEntity
from .recognizer import recognizer_subentries
from .runtime import DashScopeConfigEntry
from .transcript import TranscriptRecord

PARALLEL_UPDATES = 0  # pushed by the recognizer, never polled

# What was said: left out of the database unless a history is kept.
TRANSCRIPT_ATTRIBUTES = frozenset({"text", "sentences"})


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - the platform signature
    entry: DashScopeConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one transcript event entity per recognizer."""
    keep = entry.options.get(CONF_KEEP_TRANSCRIPTS, DEFAULT_KEEP_TRANSCRIPTS)
    entity_class = KeptTranscriptEventEntity if keep else TranscriptEventEntity
    for subentry in recognizer_subentries(entry):
        async_add_entities([entity_class(subentry)], config_subentry_id=subentry.subentry_id)


class TranscriptEventEntity(DashScopeEntity, EventEntity):
    """Fires `recognized` with the text, language, model, sentences and emotion."""

    _attr_translation_key = "transcript"
    _attr_event_types = [EVENT_TYPE_RECOGNIZED]  # noqa: RUF012 - the event entity's attribute
    _unrecorded_attributes = TRANSCRIPT_ATTRIBUTES

    def __init__(self, subentry: ConfigSubentry) -> None:
        """Create the entity on the recognizer's device."""
        super().__init__(subentry, "transcript")
        self._recognizer_id = subentry.subentry_id

    async def async_added_to_hass(self) -> None:
        """Listen for this recognizer's transcripts."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, SIGNAL_TRANSCRIPT.format(self._recognizer_id), self._recognized
            )
        )

    @callback
    def _recognized(self, record: TranscriptRecord) -> None:
        self._trigger_event(EVENT_TYPE_RECOGNIZED, record.attributes())
        self.async_write_ha_state()


class KeptTranscriptEventEntity(TranscriptEventEntity):
    """The same entity, its text recorded: the account keeps a transcript history."""

    _unrecorded_attributes = frozenset()
