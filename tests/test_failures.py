"""How each class of the client's error tree reaches people (the glue's one mapping)."""

from __future__ import annotations

from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
import pytest

from custom_components.dashscope.client import (
    DashScopeAuthError,
    DashScopeConnectionError,
    DashScopeError,
    DashScopeTimeoutError,
)
from custom_components.dashscope.client.errors import service_error
from custom_components.dashscope.failures import action_error, form_errors, setup_error


@pytest.mark.parametrize(
    ("err", "errors"),
    [
        (DashScopeAuthError("refused"), {"base": "invalid_auth"}),
        (service_error("InvalidApiKey", task=True), {"base": "invalid_auth"}),
        (service_error("ModelNotFound", task=True), {"model": "model_not_available"}),
        (DashScopeConnectionError("down"), {"base": "cannot_connect"}),
        (DashScopeTimeoutError("slow"), {"base": "cannot_connect"}),
        (service_error("Throttling.RateQuota"), {"base": "cannot_connect"}),
        (service_error("InternalError", task=True), {"base": "unknown"}),
        (DashScopeError("anything else"), {"base": "unknown"}),
    ],
    ids=["auth", "auth-code", "model", "connection", "timeout", "throttled", "task", "other"],
)
def test_form_errors(err: DashScopeError, errors: dict[str, str]) -> None:
    assert form_errors(err, "the endpoint") == errors


def test_setup_error() -> None:
    assert isinstance(setup_error(DashScopeAuthError("refused")), ConfigEntryAuthFailed)
    not_ready = setup_error(DashScopeConnectionError("down"))
    assert isinstance(not_ready, ConfigEntryNotReady)
    assert not_ready.translation_placeholders == {"error": "down"}


@pytest.mark.parametrize(
    ("err", "key"),
    [
        (DashScopeTimeoutError("slow"), "transcription_timeout"),
        (service_error("X"), "service_error"),
    ],
)
def test_action_error(err: DashScopeError, key: str) -> None:
    assert action_error(err).translation_key == key
