"""The budget repair's fix flow: keep using DashScope this month, or use the fallbacks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant

if TYPE_CHECKING:  # 2026.10 names it; 2026.2 has no such name (annotations are not evaluated)
    from homeassistant.components.repairs import RepairsFlowResult as FlowResult

from .const import CONF_BUDGET_FALLBACK_MONTH, CONF_BUDGET_KEEP_MONTH


class BudgetRepairFlow(RepairsFlow):
    """Ask what happens for the rest of the month once the budget is passed."""

    def __init__(self, entry_id: str, month: str) -> None:
        """Remember the account and the month the repair is about."""
        self._entry_id = entry_id
        self._month = month

    async def async_step_init(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002 - a menu step
    ) -> FlowResult:
        """Offer the two choices."""
        return self.async_show_menu(step_id="init", menu_options=["keep_going", "use_fallback"])

    async def async_step_keep_going(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002 - a menu choice
    ) -> FlowResult:
        """Keep recognizing with DashScope; no repair again this month."""
        return self._choose(CONF_BUDGET_KEEP_MONTH)

    async def async_step_use_fallback(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002 - a menu choice
    ) -> FlowResult:
        """Send every command to its engine's fallback until the month ends."""
        return self._choose(CONF_BUDGET_FALLBACK_MONTH)

    def _choose(self, key: str) -> FlowResult:
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is not None:
            self.hass.config_entries.async_update_entry(
                entry, options={**entry.options, key: self._month}
            )
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant,  # noqa: ARG001 - the platform signature
    issue_id: str,  # noqa: ARG001
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Return the fix flow of the budget repair (the only fixable one)."""
    assert data is not None
    return BudgetRepairFlow(str(data["entry_id"]), str(data["month"]))
