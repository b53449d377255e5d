"""Repairs and re-authentication: what a person is asked to fix, by plain ids.

Nothing here knows a recognizer or a hotword manager: callers pass the entry id, the
recognizer (subentry) id and the names shown in the repair. Deciding *when* to ask is done
where a result is mapped (`outcome.py` for recognitions, `hotwords.py` for uploads).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import (
    DOMAIN,
    ISSUE_ARREARAGE,
    ISSUE_BUDGET,
    ISSUE_FREE_QUOTA,
    ISSUE_MODEL_NOT_FOUND,
    ISSUE_OUTAGE,
    ISSUE_VOCABULARY_LIMIT,
)


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


def outage_issue_id(recognizer_id: str) -> str:
    """Return the id of the repair raised when DashScope has not answered an engine for long."""
    return f"{ISSUE_OUTAGE}_{recognizer_id}"


@callback
def async_long_outage(
    hass: HomeAssistant, recognizer_id: str, engine: str, fallback: str, error: str
) -> None:
    """Say that DashScope has not answered an engine for a while (its fallback answers)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        outage_issue_id(recognizer_id),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_OUTAGE,
        translation_placeholders={"engine": engine, "fallback": fallback, "error": error},
    )


@callback
def async_outage_over(hass: HomeAssistant, recognizer_id: str) -> None:
    """Clear the long-outage repair: DashScope answers the engine again."""
    ir.async_delete_issue(hass, DOMAIN, outage_issue_id(recognizer_id))


# The account's billing state, by the service's error code: the repair that explains it.
BILLING_ISSUES = {
    "Arrearage": ISSUE_ARREARAGE,  # the account is overdue
    "AllocationQuota.FreeTierOnly": ISSUE_FREE_QUOTA,  # free quota used up, "free tier only" on
}


def billing_issue_id(key: str, entry_id: str) -> str:
    """Return the id of an account's billing repair (arrears, free quota)."""
    return f"{key}_{entry_id}"


@callback
def async_billing_problem(hass: HomeAssistant, entry_id: str, code: str, title: str) -> None:
    """Say what the console needs when the service refuses for billing (`code`)."""
    key = BILLING_ISSUES[code]
    ir.async_create_issue(
        hass,
        DOMAIN,
        billing_issue_id(key, entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=key,
        translation_placeholders={"title": title},
    )


@callback
def async_billing_fine(hass: HomeAssistant, entry_id: str) -> None:
    """Clear the billing repairs: the service answered the account again."""
    for key in BILLING_ISSUES.values():
        ir.async_delete_issue(hass, DOMAIN, billing_issue_id(key, entry_id))


def budget_issue_id(entry_id: str) -> str:
    """Return the id of the repair raised when an account is over its monthly budget."""
    return f"{ISSUE_BUDGET}_{entry_id}"


@callback
def async_over_budget(
    hass: HomeAssistant, entry_id: str, title: str, cost: str, budget: str, month: str
) -> None:
    """Say the month's estimate passed the budget; its fix flow asks what to do."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        budget_issue_id(entry_id),
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_BUDGET,
        translation_placeholders={"title": title, "cost": cost, "budget": budget},
        data={"entry_id": entry_id, "month": month},
    )


@callback
def async_within_budget(hass: HomeAssistant, entry_id: str) -> None:
    """Clear the budget repair (a new month, a higher budget, or the person decided)."""
    ir.async_delete_issue(hass, DOMAIN, budget_issue_id(entry_id))
