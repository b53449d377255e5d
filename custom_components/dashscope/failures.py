"""How the client's errors reach people: form errors, set-up states, actions and repairs.

Every flow, the set-up, the actions, the stt entity and the hotword sync translate DashScope
errors here and nowhere else; the classes come from the client's one error tree
(`client/errors.py`). The stt entity never raises: it logs, returns an ERROR result and
leaves the repairs to `async_recognition_failed` and `async_recognition_succeeded`.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
)
from homeassistant.helpers import issue_registry as ir

from .client import (
    DashScopeAuthError,
    DashScopeConnectionError,
    DashScopeError,
    DashScopeModelNotFoundError,
    DashScopeQuotaError,
    DashScopeServiceError,
    DashScopeThrottledError,
    DashScopeTimeoutError,
    DashScopeVocabularyMissingError,
)
from .const import CONF_MODEL, DOMAIN, ISSUE_MODEL_NOT_FOUND, ISSUE_VOCABULARY_LIMIT, LOGGER
from .recognizer import Recognizer


def form_errors(err: DashScopeError, what: str) -> dict[str, str]:
    """Return the form errors for a failed check of `what` (an endpoint or a model)."""
    if isinstance(err, DashScopeAuthError):
        return {"base": "invalid_auth"}
    if isinstance(err, DashScopeModelNotFoundError):
        return {CONF_MODEL: "model_not_available"}
    # Throttled: the service cannot take the check now, as when it cannot be reached.
    if isinstance(err, DashScopeConnectionError | DashScopeTimeoutError | DashScopeThrottledError):
        LOGGER.debug("Cannot reach %s: %s", what, err)
        return {"base": "cannot_connect"}
    LOGGER.warning("Validation of %s failed: %s", what, err)
    return {"base": "unknown"}


def setup_error(err: DashScopeError) -> HomeAssistantError:
    """Return what an account's set-up raises: reauth for a refused key, else retry later."""
    if isinstance(err, DashScopeAuthError):
        return ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="invalid_auth")
    return ConfigEntryNotReady(
        translation_domain=DOMAIN,
        translation_key="cannot_connect",
        translation_placeholders={"error": str(err)},
    )


def action_error(err: DashScopeError) -> HomeAssistantError:
    """Return the error an action raises when the service failed it."""
    key = "transcription_timeout" if isinstance(err, DashScopeTimeoutError) else "service_error"
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders={"error": str(err)}
    )


def model_issue_id(recognizer_id: str) -> str:
    """Return the id of the repair issue raised when a recognizer's model is not found."""
    return f"{ISSUE_MODEL_NOT_FOUND}_{recognizer_id}"


@callback
def async_recognition_failed(
    hass: HomeAssistant, err: DashScopeError, recognizer: Recognizer
) -> None:
    """Tell the person what to fix after a failed recognition: reauth, or another model."""
    if isinstance(err, DashScopeAuthError):
        recognizer.entry.async_start_reauth(hass)
    elif isinstance(err, DashScopeVocabularyMissingError):
        # Deleted behind our back: make a new one; this utterance already failed.
        recognizer.hotwords.async_forget(recognizer.recognizer_id)
    elif isinstance(err, DashScopeModelNotFoundError):
        ir.async_create_issue(
            hass,
            DOMAIN,
            model_issue_id(recognizer.recognizer_id),
            # Fixed by picking another model (repairs.py); gone when the engine's model changes.
            is_fixable=True,
            data={
                "entry_id": recognizer.entry.entry_id,
                "subentry_id": recognizer.recognizer_id,
                "model": recognizer.model.name,
            },
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_MODEL_NOT_FOUND,
            translation_placeholders={
                "model": recognizer.model.name,
                "endpoint": recognizer.client.endpoint.websocket_url,
                "engine": recognizer.title,
            },
        )


@callback
def async_recognition_succeeded(hass: HomeAssistant, recognizer: Recognizer) -> None:
    """Clear the model repair once the recognizer's model works again."""
    ir.async_delete_issue(hass, DOMAIN, model_issue_id(recognizer.recognizer_id))


def vocabulary_issue_id(entry_id: str) -> str:
    """Return the id of the repair issue raised when an account's hotword lists are full."""
    return f"{ISSUE_VOCABULARY_LIMIT}_{entry_id}"


@callback
def async_hotwords_failed(
    hass: HomeAssistant, err: DashScopeError, entry: ConfigEntry, entries: int
) -> None:
    """Tell what stopped a hotword upload; recognition keeps working without the list."""
    if isinstance(err, DashScopeQuotaError):
        ir.async_create_issue(
            hass,
            DOMAIN,
            vocabulary_issue_id(entry.entry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_VOCABULARY_LIMIT,
            translation_placeholders={"title": entry.title},
        )
    elif isinstance(err, DashScopeServiceError):
        LOGGER.warning("Cannot upload the hotwords (%s entries): %s", entries, err)
    else:
        LOGGER.warning("Cannot upload the hotwords, will retry on the next change: %s", err)


@callback
def async_hotwords_uploaded(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Clear the full-lists repair once an upload went through."""
    ir.async_delete_issue(hass, DOMAIN, vocabulary_issue_id(entry.entry_id))
