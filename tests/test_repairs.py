"""The "model not available" repair leads somewhere: pick another model, or change the engine."""

from __future__ import annotations

from homeassistant.components.stt import SpeechResultState
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.dashscope.const import CONF_HOTWORDS, CONF_MODEL, DOMAIN, SUBENTRY_RECOGNIZER

from .conftest import RECOGNIZER_ID, RunningServer
from .dashscope_server import TaskScript
from .test_resilience import recognize

ISSUE_ID = f"model_not_found_{RECOGNIZER_ID}"


async def _model_gone(hass: HomeAssistant, server: RunningServer) -> ir.IssueEntry:
    """Have the service answer ModelNotFound once; return the issue that raises."""
    server.queue(TaskScript(fail_code="ModelNotFound"))
    assert (await recognize(hass)).result is SpeechResultState.ERROR
    issue = ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_ID)
    assert issue is not None
    return issue


async def test_the_repair_picks_another_model(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    hass_client: ClientSessionGenerator,
) -> None:
    assert await async_setup_component(hass, "repairs", {})
    subentry = setup_integration.subentries[RECOGNIZER_ID]
    hass.config_entries.async_update_subentry(
        setup_integration, subentry, data={**subentry.data, CONF_HOTWORDS: "客厅吊灯"}
    )
    await hass.async_block_till_done()
    issue = await _model_gone(hass, dashscope_server)
    assert issue.is_fixable, "not only Ignore"
    assert issue.translation_placeholders["engine"] == subentry.title

    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": ISSUE_ID}
    )
    assert response.status == 200
    form = await response.json()
    assert form["step_id"] == "model"
    assert form["description_placeholders"] == {
        "model": "fun-asr-realtime",
        "engine": subentry.title,
    }

    # A model the account's endpoint cannot serve is refused on the form, not saved.
    dashscope_server.queue(TaskScript(fail_code="ModelNotFound"))
    response = await client.post(
        f"/api/repairs/issues/fix/{form['flow_id']}", json={CONF_MODEL: "paraformer-realtime-v2"}
    )
    form = await response.json()
    assert form["errors"] == {CONF_MODEL: "model_not_available"}

    response = await client.post(
        f"/api/repairs/issues/fix/{form['flow_id']}", json={CONF_MODEL: "paraformer-realtime-v2"}
    )
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_ID) is None
    subentry = setup_integration.subentries[RECOGNIZER_ID]
    assert subentry.data[CONF_MODEL] == "paraformer-realtime-v2"
    assert subentry.data[CONF_HOTWORDS] == "客厅吊灯", "the engine's other settings are kept"
    assert subentry.title == "DashScope paraformer-realtime-v2"
    assert setup_integration.state is ConfigEntryState.LOADED
    assert (await recognize(hass)).result is SpeechResultState.SUCCESS
    assert dashscope_server.tasks[-1].run_task["payload"]["model"] == "paraformer-realtime-v2"


async def test_the_repair_clears_when_the_engine_changes_its_model(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """Changed as the notice advises (Reconfigure on the engine): no notice left behind."""
    await _model_gone(hass, dashscope_server)
    result = await hass.config_entries.subentries.async_init(
        (setup_integration.entry_id, SUBENTRY_RECOGNIZER),
        context={"source": "reconfigure", "subentry_id": RECOGNIZER_ID},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_MODEL: "paraformer-realtime-v1"}
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {})
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_ID) is None


async def test_the_repair_stays_while_the_engine_keeps_the_model(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    await _model_gone(hass, dashscope_server)
    assert await hass.config_entries.async_reload(setup_integration.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, ISSUE_ID) is not None


async def test_the_repair_of_an_unloaded_account_says_so(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    hass_client: ClientSessionGenerator,
) -> None:
    assert await async_setup_component(hass, "repairs", {})
    await _model_gone(hass, dashscope_server)
    assert await hass.config_entries.async_unload(setup_integration.entry_id)
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": ISSUE_ID}
    )
    result = await response.json()
    assert result["type"] == "abort"
    assert result["reason"] == "entry_not_loaded"
