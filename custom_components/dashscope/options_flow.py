"""The account's options: how long to wait for the service, and whether transcripts are kept."""

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
from .validation import NumberRange, format_number, range_error, vol

# The waits people may choose: long enough for a slow network, short enough not to seem hung.
RANGES = {
    CONF_START_TIMEOUT: NumberRange(2, 30, "s"),
    CONF_FINISH_TIMEOUT: NumberRange(1, 30, "s"),
    # budget.py: in the currency the account's region bills in, so no unit here.
    CONF_MONTHLY_BUDGET: NumberRange(0, 100_000),
}


def _field() -> NumberSelector:
    # No min/max: the range is checked in the step, with a translated error that states it.
    return NumberSelector(
        NumberSelectorConfig(step=0.5, unit_of_measurement="s", mode=NumberSelectorMode.BOX)
    )


def _range_text(bounds: NumberRange) -> str:
    """Return a range as the form's text shows it, e.g. "2-30 s"."""
    assert bounds.minimum is not None
    assert bounds.maximum is not None
    return f"{format_number(bounds.minimum)}-{format_number(bounds.maximum, bounds.unit)}"


class DashScopeOptionsFlow(OptionsFlow):
    """Adjust the bounded waits: connecting and starting a task, and the final result."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and save the timeouts; a wait outside its range is refused with the range."""
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            errors, placeholders = range_error(user_input, RANGES)
            if not errors:
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
                vol.Required(CONF_START_TIMEOUT, default=current.start): _field(),
                vol.Required(CONF_FINISH_TIMEOUT, default=current.finish): _field(),
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
                ): NumberSelector(NumberSelectorConfig(step="any", mode=NumberSelectorMode.BOX)),
            }
        )
        ranges = {f"{key}_range": _range_text(bounds) for key, bounds in RANGES.items()}
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders={**ranges, **placeholders},
        )
