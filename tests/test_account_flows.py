"""Re-authentication and reconfiguration of an account, validated live like the first set-up."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components import dashscope
from custom_components.dashscope.client import Timeouts
from custom_components.dashscope.config_flow import account_unique_id
from custom_components.dashscope.const import (
    CONF_MODEL,
    CONF_REGION,
    CONF_URL,
    CONF_WORKSPACE_ID,
    DOMAIN,
)

from .conftest import API_KEY, RECOGNIZER_ID, RunningServer, fill_account, suggested
from .dashscope_server import TaskScript

NEW_KEY = "sk-fedcba9876543210fedcba9876543210"


async def test_reauth_with_a_new_key(
    hass: HomeAssistant, config_entry: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    dashscope_server.api_key = NEW_KEY  # the old key was revoked
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_KEY: "sk-still-wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    # Its own text: the form has no region to check, so the error names the account's.
    assert result["errors"] == {"base": "reauth_invalid_auth"}
    assert result["description_placeholders"]["region"] == "Custom endpoint"
    assert suggested(result, CONF_API_KEY) == "sk-still-wrong", "what was typed is kept"

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_KEY: NEW_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert result.get("translation_domain") != "homeassistant", "our own text, translated"
    await hass.async_block_till_done()
    assert config_entry.data[CONF_API_KEY] == NEW_KEY
    assert config_entry.unique_id == account_unique_id(NEW_KEY)
    assert config_entry.state is ConfigEntryState.LOADED
    assert list(config_entry.subentries) == [RECOGNIZER_ID], "recognizers are kept"


async def test_reauth_cannot_take_another_accounts_key(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    MockConfigEntry(domain=DOMAIN, unique_id=account_unique_id(NEW_KEY)).add_to_hass(hass)
    dashscope_server.api_key = NEW_KEY
    result = await setup_integration.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: NEW_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert setup_integration.data[CONF_API_KEY] == API_KEY


def reconfigure_input(server: RunningServer, **overrides: Any) -> dict[str, Any]:
    return {CONF_API_KEY: API_KEY, CONF_REGION: "custom", CONF_URL: server.url, **overrides}


@pytest.mark.parametrize(
    ("overrides", "prepare", "errors"),
    [
        ({CONF_API_KEY: "sk-wrong"}, None, {"base": "invalid_auth"}),
        ({CONF_URL: "ws://127.0.0.1:9/api-ws/v1/inference"}, None, {"base": "cannot_connect"}),
        ({CONF_URL: "http://nope"}, None, {CONF_URL: "invalid_url"}),
        (
            {CONF_WORKSPACE_ID: "not a workspace!"},
            None,
            {CONF_WORKSPACE_ID: "invalid_workspace_id"},
        ),
        ({}, "model_gone", {"base": "recognizer_model_not_available"}),
        ({}, "internal", {"base": "unknown"}),
    ],
    ids=["invalid_auth", "cannot_connect", "invalid_url", "workspace", "model", "unknown"],
)
async def test_reconfigure_errors_recover(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    overrides: dict[str, Any],
    prepare: str | None,
    errors: dict[str, str],
) -> None:
    result = await setup_integration.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert CONF_MODEL not in result["data_schema"].schema
    if prepare == "model_gone":
        dashscope_server.queue(TaskScript(fail_code="ModelNotFound"))
    if prepare == "internal":
        dashscope_server.queue(TaskScript(fail_code="InternalError"))
    result = await fill_account(hass, result, reconfigure_input(dashscope_server, **overrides))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors

    result = await fill_account(
        hass, result, reconfigure_input(dashscope_server, **{CONF_WORKSPACE_ID: "ws-1"})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert result.get("translation_domain") != "homeassistant", "our own text, translated"
    await hass.async_block_till_done()
    assert setup_integration.data[CONF_WORKSPACE_ID] == "ws-1"
    assert setup_integration.title == f"DashScope Custom endpoint {dashscope_server.host} ws-1"
    assert setup_integration.state is ConfigEntryState.LOADED
    assert dashscope_server.headers[-1]["X-DashScope-WorkSpace"] == "ws-1"


async def test_reconfigure_to_a_new_key(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    dashscope_server.api_key = NEW_KEY
    result = await setup_integration.start_reconfigure_flow(hass)
    result = await fill_account(
        hass, result, reconfigure_input(dashscope_server, **{CONF_API_KEY: NEW_KEY})
    )
    assert result["reason"] == "reconfigure_successful"
    assert result.get("translation_domain") != "homeassistant", "our own text, translated"
    assert setup_integration.unique_id == account_unique_id(NEW_KEY)


async def test_reconfigure_cannot_take_another_accounts_key(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    MockConfigEntry(domain=DOMAIN, unique_id=account_unique_id(NEW_KEY)).add_to_hass(hass)
    dashscope_server.api_key = NEW_KEY
    result = await setup_integration.start_reconfigure_flow(hass)
    result = await fill_account(
        hass, result, reconfigure_input(dashscope_server, **{CONF_API_KEY: NEW_KEY})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_options_adjust_the_timeouts(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    assert setup_integration.runtime_data.client.timeouts == Timeouts(start=10.0, finish=5.0)
    result = await hass.config_entries.options.async_init(setup_integration.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"start_timeout": 4.0, "finish_timeout": 2.5}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    # The entry reloaded with the new bounds.
    assert setup_integration.runtime_data.client.timeouts == Timeouts(start=4.0, finish=2.5)


def count_setups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every set-up of the integration's entries from now on."""
    setups: list[str] = []
    original = dashscope.async_setup_entry

    async def counting(hass: HomeAssistant, entry: Any) -> bool:
        setups.append(entry.entry_id)
        return await original(hass, entry)

    monkeypatch.setattr(dashscope, "async_setup_entry", counting)
    return setups


async def test_each_change_reloads_the_account_once(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reauth, reconfigure, options and engines: one reload each, no deprecated path."""
    setups = count_setups(monkeypatch)

    result = await setup_integration.start_reauth_flow(hass)
    await hass.config_entries.flow.async_configure(result["flow_id"], {CONF_API_KEY: API_KEY})
    await hass.async_block_till_done()
    assert len(setups) == 1, "a key proven again reloads even though nothing changed"

    result = await setup_integration.start_reconfigure_flow(hass)
    await fill_account(
        hass, result, reconfigure_input(dashscope_server, **{CONF_WORKSPACE_ID: "ws-2"})
    )
    await hass.async_block_till_done()
    assert len(setups) == 2

    result = await hass.config_entries.options.async_init(setup_integration.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"], {"start_timeout": 3.0, "finish_timeout": 2.0}
    )
    await hass.async_block_till_done()
    assert len(setups) == 3

    hass.config_entries.async_remove_subentry(setup_integration, RECOGNIZER_ID)
    await hass.async_block_till_done()
    assert len(setups) == 4, "removing an engine reloads"
    assert hass.states.get("stt.fun_asr_realtime") is None
    assert setup_integration.state is ConfigEntryState.LOADED
