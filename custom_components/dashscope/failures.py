"""How the client's errors read to people: form errors, set-up states and action errors.

A pure mapping from the client's one error tree (`client/errors.py`) to what the flows, the
set-up and the actions raise or show; it changes nothing in Home Assistant. What a failed
recognition or upload leads to (reauth, repairs) is decided in `outcome.py` and
`hotwords.py`, which ask `issues.py`.
"""

from __future__ import annotations

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
)

from .client import (
    DashScopeAuthError,
    DashScopeConnectionError,
    DashScopeError,
    DashScopeModelNotFoundError,
    DashScopeThrottledError,
    DashScopeTimeoutError,
)
from .const import CONF_MODEL, DOMAIN, LOGGER


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
