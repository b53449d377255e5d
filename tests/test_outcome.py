"""What follows a recognition is the same from Assist and from the transcribe actions."""

from __future__ import annotations

from pathlib import Path

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dashscope.const import DOMAIN
from custom_components.dashscope.diagnostics import async_get_config_entry_diagnostics

from .audio import tone, wav_header
from .conftest import ENTITY_ID, RECOGNIZER_ID, RunningServer
from .dashscope_server import TaskScript
from .test_resilience import recognize


async def _assist(hass: HomeAssistant, tmp_path: Path) -> None:
    result = await recognize(hass)
    assert result.text is None


async def _file_action(hass: HomeAssistant, tmp_path: Path) -> None:
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    (tmp_path / "note.wav").write_bytes(wav_header(32000) + tone(1.0))
    with pytest.raises(HomeAssistantError) as info:
        await hass.services.async_call(
            DOMAIN,
            "transcribe_file",
            {"entity_id": ENTITY_ID, "file": str(tmp_path / "note.wav"), "speed": 10},
            blocking=True,
            return_response=True,
        )
    assert info.value.translation_key == "service_error"


CALLERS = {"assist": _assist, "transcribe_file": _file_action}
# The service's code, what diagnostics call the failure, and what the person is asked.
FAILURES = {
    "refused-key": ("InvalidApiKey", "DashScopeAuthError", True, False),
    "no-model": ("ModelNotFound", "ModelNotFound", False, True),
}


@pytest.mark.parametrize("caller", CALLERS.values(), ids=CALLERS.keys())
@pytest.mark.parametrize(
    ("code", "shown", "reauth", "repair"), FAILURES.values(), ids=FAILURES.keys()
)
async def test_a_failure_asks_the_same_of_the_person(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    issue_registry: ir.IssueRegistry,
    tmp_path: Path,
    caller,
    code: str,
    shown: str,
    reauth: bool,
    repair: bool,
) -> None:
    """A refused key starts reauth; a missing model raises the repair; diagnostics count it."""
    dashscope_server.queue(TaskScript(fail_code=code))

    await caller(hass, tmp_path)
    await hass.async_block_till_done()

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ([SOURCE_REAUTH] if reauth else [])
    issue = issue_registry.async_get_issue(DOMAIN, f"model_not_found_{RECOGNIZER_ID}")
    assert (issue is not None) is repair
    diagnostics = await async_get_config_entry_diagnostics(hass, setup_integration)
    [stats] = diagnostics["recent_recognitions"]
    assert stats["error_code"] == shown


async def test_a_refused_key_from_the_url_action_starts_reauth(
    hass: HomeAssistant, setup_integration: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """The file transcription API has no session: its refused key still asks for a new one."""
    dashscope_server.api_key = "sk-revoked"
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            DOMAIN,
            "transcribe_url",
            {"config_entry_id": setup_integration.entry_id, "urls": ["https://example.com/a.wav"]},
            blocking=True,
            return_response=True,
        )
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_a_file_success_clears_the_repair_and_publishes_nothing(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    issue_registry: ir.IssueRegistry,
    tmp_path: Path,
) -> None:
    """The model works again: the repair goes; the file's text is the caller's, not an event."""
    dashscope_server.queue(TaskScript(fail_code="ModelNotFound"))
    await _assist(hass, tmp_path)
    assert issue_registry.async_get_issue(DOMAIN, f"model_not_found_{RECOGNIZER_ID}")
    event_state = hass.states.get("event.fun_asr_realtime_transcript")
    assert event_state is not None

    hass.config.allowlist_external_dirs = {str(tmp_path)}
    (tmp_path / "note.wav").write_bytes(wav_header(32000) + tone(1.0))
    response = await hass.services.async_call(
        DOMAIN,
        "transcribe_file",
        {"entity_id": ENTITY_ID, "file": str(tmp_path / "note.wav"), "speed": 10},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()

    assert response is not None
    assert response["text"]
    assert not issue_registry.async_get_issue(DOMAIN, f"model_not_found_{RECOGNIZER_ID}")
    assert hass.states.get("event.fun_asr_realtime_transcript") == event_state
