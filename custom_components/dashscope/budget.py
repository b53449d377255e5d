"""The account's monthly budget: the month's estimate against it, and what the person chose.

The budget (an account option) is in the currency the account's region bills in; the
estimate is the sum of its engines' cost sensors. Above it a repair says so, and its fix flow
(`repairs.py`) lets the person keep going or send commands to each engine's fallback for the
rest of the month; the choice is kept in the account's options with the month it is for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback

from .const import CONF_BUDGET_FALLBACK_MONTH, CONF_BUDGET_KEEP_MONTH, CONF_MONTHLY_BUDGET
from .issues import async_over_budget, async_within_budget
from .usage import month_start

if TYPE_CHECKING:
    from .runtime import DashScopeRuntimeData


def month_key() -> str:
    """Return this month as the options store it ("2026-12")."""
    return month_start().strftime("%Y-%m")


def budget_fallback(entry: ConfigEntry) -> bool:
    """Return True when the person sent this month's commands to the fallbacks."""
    return entry.options.get(CONF_BUDGET_FALLBACK_MONTH) == month_key()


@callback
def async_check_budget(hass: HomeAssistant, entry_id: str, runtime: DashScopeRuntimeData) -> None:
    """Raise the budget repair when the month's estimate is above the budget, else clear it."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None:
        return
    budget = entry.options.get(CONF_MONTHLY_BUDGET)
    month = month_key()
    usages = [usage for usage in runtime.usage.values() if usage.price is not None]
    cost = sum(usage.cost or 0.0 for usage in usages)
    decided = month in (
        entry.options.get(CONF_BUDGET_KEEP_MONTH),
        entry.options.get(CONF_BUDGET_FALLBACK_MONTH),
    )
    if not budget or cost <= float(budget) or decided:
        async_within_budget(hass, entry_id)
        return
    currency = usages[0].price.currency if usages and usages[0].price else ""
    async_over_budget(
        hass,
        entry_id,
        entry.title,
        f"{cost:.2f} {currency}".strip(),
        f"{float(budget):.2f} {currency}".strip(),
        month,
    )
