"""The account's options: how long to wait for the service."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

from .account import timeouts_from_options
from .const import (
    CONF_BUDGET_FALLBACK_MONTH,
    CONF_BUDGET_KEEP_MONTH,
    CONF_FINISH_TIMEOUT,
    CONF_KEEP_TRANSCRIPTS,
    CONF_MONTHLY_BUDGET,
    CONF_START_TIMEOUT,
    DEFAULT_KEEP_TRANSCRIPTS,
)
from .validation import vol


class DashScopeOptionsFlow(OptionsFlow):
    """Adjust the bounded waits: connecting and starting a task, and the final result."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the timeouts."""
        if user_input is not None:
            # The budget repair's choice for this month stays (budget.py).
            kept = {
                key: value
                for key, value in self.config_entry.options.items()
                if key in (CONF_BUDGET_FALLBACK_MONTH, CONF_BUDGET_KEEP_MONTH)
            }
            return self.async_create_entry(data={**kept, **user_input})
        current = timeouts_from_options(self.config_entry.options)
        schema = vol.Schema(
            {
                vol.Required(CONF_START_TIMEOUT, default=current.start): NumberSelector(
                    NumberSelectorConfig(
                        min=2, max=30, step=0.5, unit_of_measurement="s",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                vol.Required(CONF_FINISH_TIMEOUT, default=current.finish): NumberSelector(
                    NumberSelectorConfig(
                        min=1, max=30, step=0.5, unit_of_measurement="s",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
                # event.py: what was said stays out of the database unless this is on.
                vol.Required(
                    CONF_KEEP_TRANSCRIPTS,
                    default=self.config_entry.options.get(
                        CONF_KEEP_TRANSCRIPTS, DEFAULT_KEEP_TRANSCRIPTS
                    ),
                ): BooleanSelector(),
                # budget.py: above it (the engines' estimated cost this month), a repair.
                vol.Optional(
                    CONF_MONTHLY_BUDGET,
                    description={
                        "suggested_value": self.config_entry.options.get(CONF_MONTHLY_BUDGET)
                    },
                ): NumberSelector(
                    NumberSelectorConfig(min=0, step="any", mode=NumberSelectorMode.BOX)
                ),
            }
        )  # fmt: skip
        return self.async_show_form(step_id="init", data_schema=schema)
