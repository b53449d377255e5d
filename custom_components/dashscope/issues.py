"""Repairs and re-authentication: what a person is asked to fix, by plain ids.

Nothing here knows a recognizer or a hotword manager: callers pass the entry id, the
recognizer (subentry) id and the names shown in the repair. Deciding *when* to ask is done
where a result is mapped (`outcome.py` for recognitions, `hotwords.py` for uploads).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, ISSUE_MODEL_NOT_FOUND, ISSUE_VOCABULARY_LIMIT


@callback
def async_start_reauth(hass: HomeAssistant, entry_id: str) -> None:
    """Ask for a new API key for the account (nothing happens if it is gone)."""
    if (entry := hass.config_entries.async_get_entry(entry_id)) is not None:
        entry.async_start_reauth(hass)


def model_issue_id(recognizer_id: str) -> str:
    """Return the id of the repair issue raised when a recognizer's model is not found."""
    return f"{ISSUE_MODEL_NOT_FOUND}_{recognizer_id}"


@callback
def async_model_not_found(
    hass: HomeAssistant,
    entry_id: str,
    recognizer_id: str,
    *,
    model: str,
    endpoint: str,
    engine: str,
) -> None:
    """Say that the service does not offer a recognizer's model at its endpoint."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        model_issue_id(recognizer_id),
        # Fixed by picking another model (repairs.py); gone when the engine's model changes.
        is_fixable=True,
        data={"entry_id": entry_id, "subentry_id": recognizer_id, "model": model},
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_MODEL_NOT_FOUND,
        translation_placeholders={"model": model, "endpoint": endpoint, "engine": engine},
    )


@callback
def async_model_works(hass: HomeAssistant, recognizer_id: str) -> None:
    """Clear the model repair once the recognizer's model works again."""
    ir.async_delete_issue(hass, DOMAIN, model_issue_id(recognizer_id))


def vocabulary_issue_id(entry_id: str) -> str:
    """Return the id of the repair issue raised when an account's hotword lists are full."""
    return f"{ISSUE_VOCABULARY_LIMIT}_{entry_id}"


@callback
def async_vocabularies_full(hass: HomeAssistant, entry_id: str, title: str) -> None:
    """Say that the account holds as many vocabularies as the service allows."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        vocabulary_issue_id(entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_VOCABULARY_LIMIT,
        translation_placeholders={"title": title},
    )


@callback
def async_vocabulary_uploaded(hass: HomeAssistant, entry_id: str) -> None:
    """Clear the full-lists repair once an upload went through."""
    ir.async_delete_issue(hass, DOMAIN, vocabulary_issue_id(entry_id))
