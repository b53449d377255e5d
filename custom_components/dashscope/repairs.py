"""Repairs that lead somewhere: a model the service cannot find, and a monthly budget passed.

The "model not available" issue (raised in `issues.py`) is fixable: its flow offers the
account's models, proves the chosen one with a short real recognition, and saves it on the
engine, keeping the engine's other settings. The issue is removed when the flow ends, and at
every set-up of the account when the engine it names is gone or uses another model.

The budget issue (`budget.py`) is fixable too: keep using DashScope this month, or send the
commands to each engine's fallback until the month ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .client import DashScopeClient
from .const import (
    CONF_AUTO_LANGUAGE,
    CONF_BUDGET_FALLBACK_MONTH,
    CONF_BUDGET_KEEP_MONTH,
    CONF_COMMAND_END,
    CONF_COMMAND_SILENCE,
    CONF_END_OF_SPEECH,
    CONF_EXPOSED_NAMES,
    CONF_FALLBACK,
    CONF_HOTWORDS,
    CONF_LANGUAGE_HINTS,
    CONF_MODEL,
    DOMAIN,
    ISSUE_BUDGET,
    ISSUE_MODEL_NOT_FOUND,
)
from .recognizer import default_recognizer
from .recognizer_flow import distinct_title, model_fields, validate_model_form
from .validation import vol

if TYPE_CHECKING:
    from homeassistant.components.repairs import RepairsFlowResult

# What an engine keeps when its model is replaced; the recognition settings are the new model's.
_KEPT = (
    CONF_LANGUAGE_HINTS,
    CONF_AUTO_LANGUAGE,
    CONF_END_OF_SPEECH,
    CONF_COMMAND_END,
    CONF_COMMAND_SILENCE,
    CONF_HOTWORDS,
    CONF_EXPOSED_NAMES,
    CONF_FALLBACK,
)


async def async_create_fix_flow(
    hass: HomeAssistant,  # noqa: ARG001 - the platform's signature
    issue_id: str,
    data: dict[str, Any] | None,
) -> RepairsFlow:
    """Return the flow that fixes an issue: the model issue or the budget issue."""
    assert data is not None  # both are raised with what they are about
    if issue_id.startswith(f"{ISSUE_BUDGET}_"):  # issues.budget_issue_id
        return BudgetRepairFlow(str(data["entry_id"]), str(data["month"]))
    return ModelRepairFlow(str(data["entry_id"]), str(data["subentry_id"]))


class ModelRepairFlow(RepairsFlow):
    """Pick another model for the engine whose model the service cannot find."""

    def __init__(self, entry_id: str, subentry_id: str) -> None:
        """Remember which engine of which account to fix."""
        self._entry_id = entry_id
        self._subentry_id = subentry_id

    async def async_step_init(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002 - the issue's id, not a form
    ) -> RepairsFlowResult:
        """Start with the model form."""
        return await self.async_step_model()

    async def async_step_model(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Offer the account's models; prove and save the chosen one."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if (
            entry is None
            or entry.state is not ConfigEntryState.LOADED
            or self._subentry_id not in entry.subentries
        ):
            return self.async_abort(reason="entry_not_loaded")
        subentry = entry.subentries[self._subentry_id]
        client: DashScopeClient = entry.runtime_data.client
        errors: dict[str, str] = {}
        if user_input is not None:
            model, errors = await validate_model_form(client, user_input)
            if not errors:
                kept = {key: subentry.data[key] for key in _KEPT if key in subentry.data}
                data = default_recognizer(model) | kept
                self.hass.config_entries.async_update_subentry(
                    entry,
                    subentry,
                    data=data,
                    title=distinct_title(entry, data, self._subentry_id),
                )
                return self.async_create_entry(data={})
        current = str(subentry.data[CONF_MODEL])
        return self.async_show_form(
            step_id="model",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(model_fields(client.endpoint)),
                user_input,  # the list's default: the engine's own model is the one gone
            ),
            errors=errors,
            description_placeholders={"model": current, "engine": subentry.title},
        )


class BudgetRepairFlow(RepairsFlow):
    """Ask what happens for the rest of the month once the budget is passed."""

    def __init__(self, entry_id: str, month: str) -> None:
        """Remember the account and the month the repair is about."""
        self._entry_id = entry_id
        self._month = month

    async def async_step_init(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002 - a menu step
    ) -> RepairsFlowResult:
        """Offer the two choices."""
        return self.async_show_menu(step_id="init", menu_options=["keep_going", "use_fallback"])

    async def async_step_keep_going(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002 - a menu choice
    ) -> RepairsFlowResult:
        """Keep recognizing with DashScope; no repair again this month."""
        return self._choose(CONF_BUDGET_KEEP_MONTH)

    async def async_step_use_fallback(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002 - a menu choice
    ) -> RepairsFlowResult:
        """Send every command to its engine's fallback until the month ends."""
        return self._choose(CONF_BUDGET_FALLBACK_MONTH)

    def _choose(self, key: str) -> RepairsFlowResult:
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is not None:
            self.hass.config_entries.async_update_entry(
                entry, options={**entry.options, key: self._month}
            )
        return self.async_create_entry(data={})


@callback
def async_clear_stale_model_issues(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Remove the account's model issues whose engine is gone or uses another model now."""
    registry = ir.async_get(hass)
    for (domain, issue_id), issue in list(registry.issues.items()):
        data = issue.data or {}
        if (
            domain != DOMAIN
            or issue.translation_key != ISSUE_MODEL_NOT_FOUND
            or data.get("entry_id") != entry.entry_id
        ):
            continue
        subentry = entry.subentries.get(str(data.get("subentry_id")))
        if subentry is None or subentry.data.get(CONF_MODEL) != data.get("model"):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
