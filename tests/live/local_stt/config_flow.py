"""One step: the engine has nothing to set up."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult


class LocalEngineFlow(ConfigFlow, domain="local_stt"):
    """Create the engine's entry at once."""

    VERSION = 1

    async def async_step_user(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002 - nothing to ask
    ) -> ConfigFlowResult:
        """Create the entry."""
        return self.async_create_entry(title="Local engine", data={})
