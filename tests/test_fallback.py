"""A fallback engine: when DashScope cannot answer, Assist gets a second engine's text in time.

A real Assist pipeline runs a DashScope engine whose fallback is a second stt entity (a small
test integration, `local_engine.py`). The local DashScope server is stopped, refuses the key,
throttles past the retry or stalls; each time the pipeline gets the local engine's text within
the README's bound, the local engine got the utterance exactly as the pipeline sent it, and the
transcript event names the engine that answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
import logging
import time
from typing import Any

from homeassistant.components import stt
from homeassistant.components.assist_pipeline import PipelineEventType
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.dashscope import outcome
from custom_components.dashscope.client import Timeouts
from custom_components.dashscope.const import (
    CONF_BUDGET_FALLBACK_MONTH,
    CONF_END_OF_SPEECH,
    CONF_FALLBACK,
    CONF_LANGUAGE_HINTS,
    CONF_MODEL,
    CONF_MONTHLY_BUDGET,
    DOMAIN,
    SUBENTRY_RECOGNIZER,
)
from custom_components.dashscope.diagnostics import async_get_config_entry_diagnostics
from custom_components.dashscope.fallback import START_GRACE

from .audio import CHUNK_BYTES, stream, tone
from .conftest import API_KEY, RECOGNIZER_ID, RunningServer
from .dashscope_server import TaskScript
from .local_engine import LOCAL_ENTITY_ID, LOCAL_TEXT, LocalEngine, local_engine_set_up
from .test_pipeline import run_pipeline
from .test_stt import metadata

EVENT_ENTITY = "event.fun_asr_realtime_transcript"
FAILURES = "sensor.fun_asr_realtime_failures_this_month"
FALLBACKS = "sensor.fun_asr_realtime_fallback_answers_this_month"
DASHSCOPE_TEXT = "打开客厅的灯。"
AUDIO = tone(1.0)
KNOWN_FAILURE_BOUND = 2.0  # seconds: refused, unreachable, a refused key, throttled twice
START_TIMEOUT = 5.0  # the account's start timeout in these tests (default 10 s)
FINISH_TIMEOUT = 1.0  # the account's finish timeout in these tests (default 5 s)


@pytest.fixture
def recognizer_data() -> dict[str, Any]:
    """A DashScope engine whose fallback is the local engine."""
    return {CONF_MODEL: "fun-asr-realtime", CONF_LANGUAGE_HINTS: [], CONF_FALLBACK: LOCAL_ENTITY_ID}


@pytest.fixture
async def local_engine(hass: HomeAssistant) -> AsyncIterator[LocalEngine]:
    """The second engine, set up beside DashScope."""
    async with local_engine_set_up(hass) as engine:
        yield engine


@pytest.fixture
def chinese_home(hass: HomeAssistant) -> None:
    """A home in Chinese: the pipeline asks DashScope for zh-CN."""
    hass.config.language = "zh-Hans"
    hass.config.country = "CN"


def throttle() -> TaskScript:
    return TaskScript(fail_code="Throttling.RateQuota", fail_message="Requests rate limit exceeded")


@dataclass
class Fault:
    """What goes wrong at DashScope, and how soon the fallback's text must be there."""

    scripts: list[TaskScript] = field(default_factory=list)
    handshake: int | None = None
    stop_server: bool = False
    bound: float = KNOWN_FAILURE_BOUND


FAULTS = {
    "server-stopped": Fault(stop_server=True),
    "key-refused-401": Fault(handshake=401),
    "key-refused-403": Fault(handshake=403),
    "invalid-api-key": Fault([TaskScript(fail_code="InvalidApiKey")]),
    "throttled-past-the-retry": Fault([throttle(), throttle()]),
    "arrears": Fault([TaskScript(fail_code="Arrearage", fail_message="Access denied")]),
    "service-error": Fault([TaskScript(fail_code="InternalError", fail_on="audio")]),
    # Not the start timeout: a task not started 1 s after the end of speech is given up.
    "stalled-start": Fault([TaskScript(stall_start=True)], bound=START_GRACE + 1.0),
    # No final result after the speech: the account's finish wait (1 s here, 5 s by default).
    # (Final sentences without the task's end are an answer: the client keeps their text.)
    "stalled-finish": Fault(
        [TaskScript(stall_finish=True, finalize_on_finish=False)], bound=FINISH_TIMEOUT + 1.0
    ),
}


async def break_dashscope(entry: MockConfigEntry, server: RunningServer, fault: Fault) -> None:
    """Make the local DashScope server fail the next utterance as `fault` says."""
    client = entry.runtime_data.client
    client.timeouts = Timeouts(start=START_TIMEOUT, finish=FINISH_TIMEOUT)
    if fault.handshake or fault.stop_server:
        await client.connections.close_idle()  # the warm connection expired: a handshake is due
    server.handshake_status = fault.handshake
    server.queue(*fault.scripts)
    if fault.stop_server:
        await server.stop()


def stt_text(events: list[Any]) -> str | None:
    [end] = [event for event in events if event.type is PipelineEventType.STT_END]
    return end.data["stt_output"]["text"]


@pytest.mark.usefixtures("chinese_home")
@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
async def test_assist_gets_the_fallbacks_text(
    hass: HomeAssistant,
    local_engine: LocalEngine,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    fault: Fault,
) -> None:
    await break_dashscope(setup_integration, dashscope_server, fault)

    started = time.monotonic()
    events = await run_pipeline(hass, AUDIO)
    elapsed = time.monotonic() - started
    await hass.async_block_till_done()

    assert stt_text(events) == LOCAL_TEXT
    assert elapsed < fault.bound, f"{elapsed:.2f} s"
    # The utterance as the pipeline sent it, with its metadata (the language the engine's own).
    assert local_engine.heard == [AUDIO]
    [metadata] = local_engine.metadata
    assert (metadata.language, metadata.sample_rate, metadata.channel) == ("zh", 16000, 1)
    event = hass.states.get(EVENT_ENTITY)
    assert event is not None
    assert event.attributes["engine"] == LOCAL_ENTITY_ID
    assert event.attributes["text"] == LOCAL_TEXT
    for sensor in (FAILURES, FALLBACKS):
        state = hass.states.get(sensor)
        assert state is not None
        assert state.state == "1"


@pytest.mark.usefixtures("chinese_home")
async def test_dashscope_answers_when_it_can(
    hass: HomeAssistant,
    local_engine: LocalEngine,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
) -> None:
    """With DashScope answering, the fallback hears nothing; an empty answer is an answer."""
    events = await run_pipeline(hass, AUDIO)
    assert stt_text(events) == DASHSCOPE_TEXT
    dashscope_server.queue(TaskScript(sentences=[]))
    events = await run_pipeline(hass, tone(0.3))
    assert [e.type for e in events if e.type is PipelineEventType.ERROR]  # no text recognized
    assert local_engine.heard == []
    event = hass.states.get(EVENT_ENTITY)
    assert event is not None
    assert event.attributes["engine"] == "stt.fun_asr_realtime"


async def speech_then_silence(seconds: float) -> AsyncIterator[bytes]:
    """Yield speech, then silence for as long as it is read, in real time, never ending."""
    for index in range(0, len(tone(seconds)), CHUNK_BYTES):
        yield tone(seconds)[index : index + CHUNK_BYTES] if index == 0 else AUDIO_CHUNKS[index]
        await asyncio.sleep(0.01)
    while True:
        yield bytes(CHUNK_BYTES)
        await asyncio.sleep(0.01)


AUDIO_CHUNKS = {index: AUDIO[index : index + CHUNK_BYTES] for index in range(0, len(AUDIO), 320)}


@pytest.mark.usefixtures("chinese_home")
@pytest.mark.parametrize(
    "recognizer_data",
    [
        {
            CONF_MODEL: "fun-asr-realtime",
            CONF_LANGUAGE_HINTS: [],
            CONF_FALLBACK: LOCAL_ENTITY_ID,
            CONF_END_OF_SPEECH: True,
            "max_sentence_silence": 500,
        }
    ],
)
async def test_local_end_of_speech_ends_the_fallbacks_utterance(
    hass: HomeAssistant,
    local_engine: LocalEngine,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
) -> None:
    """The entity ends the utterance; DashScope is gone, so a local end of speech does.

    The stream never ends by itself: 1 s of speech, then silence for ever. The fallback gets
    the speech and the engine's 500 ms of silence, not audio until the 15 s cap.
    """
    await break_dashscope(setup_integration, dashscope_server, Fault(stop_server=True))
    started = time.monotonic()
    events = await run_pipeline(hass, speech_then_silence(1.0))
    elapsed = time.monotonic() - started

    assert stt_text(events) == LOCAL_TEXT
    [heard] = local_engine.heard
    assert heard.startswith(AUDIO)
    silence = (len(heard) - len(AUDIO)) / 32000
    assert 0.5 <= silence < 0.7, silence
    assert elapsed < 1.0 + 0.5 + 1.0, f"{elapsed:.2f} s"


@pytest.mark.usefixtures("chinese_home")
async def test_one_log_line_and_one_repair_per_outage(
    hass: HomeAssistant,
    local_engine: LocalEngine,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outcome, "OUTAGE_REPAIR_MINUTES", 0)  # every outage is long here
    dashscope_server.api_key = "sk-another-key"  # the account's key is refused
    await setup_integration.runtime_data.client.connections.close_idle()
    caplog.set_level(logging.INFO, logger="custom_components.dashscope")
    for _ in range(3):
        assert stt_text(await run_pipeline(hass, AUDIO)) == LOCAL_TEXT
    outages = [r for r in caplog.records if "cannot answer" in r.getMessage()]
    assert len(outages) == 1
    assert outages[0].levelno == logging.WARNING
    assert "Speech recognition with" not in caplog.text  # no error line per command
    issue_id = f"outage_{RECOGNIZER_ID}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["fallback"] == LOCAL_ENTITY_ID

    diagnostics = await async_get_config_entry_diagnostics(hass, setup_integration)
    usage = diagnostics["usage"][RECOGNIZER_ID]
    assert (usage["failures"], usage["fallback_answers"], usage["recognitions"]) == (3, 3, 0)
    assert usage["fallback"] == LOCAL_ENTITY_ID
    assert usage["outage_since"] is not None

    dashscope_server.api_key = API_KEY  # answers again
    assert stt_text(await run_pipeline(hass, AUDIO)) == DASHSCOPE_TEXT
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert "answers DashScope fun-asr-realtime again" not in caplog.text
    assert len([r for r in caplog.records if "again, after 3 command(s)" in r.getMessage()]) == 1
    assert len(local_engine.heard) == 3


@pytest.mark.usefixtures("chinese_home")
async def test_a_slow_start_during_the_speech_is_not_given_up(
    hass: HomeAssistant,
    local_engine: LocalEngine,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
) -> None:
    """Only a task still not started a second after the speech goes to the fallback."""
    await setup_integration.runtime_data.client.connections.close_idle()
    dashscope_server.accept_delay = 1.2  # a slow network: the handshake takes 1.2 s

    async def paced(_index: int) -> None:
        await asyncio.sleep(0.01)

    events = await run_pipeline(hass, stream(tone(1.5), before_chunk=paced))
    assert stt_text(events) == DASHSCOPE_TEXT
    assert local_engine.heard == []


async def test_the_fallback_is_an_engine_setting(
    hass: HomeAssistant,
    local_engine: LocalEngine,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
) -> None:
    """Chosen in the engine's settings form (any stt entity), then used in an outage."""
    entry = setup_integration
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECOGNIZER), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_MODEL: "paraformer-realtime-v2"}
    )
    assert result["step_id"] == "settings"
    selector = result["data_schema"].schema[CONF_FALLBACK]
    assert selector.config["domain"] == ["stt"]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_FALLBACK: LOCAL_ENTITY_ID}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    [subentry_id] = [s for s in entry.subentries if s != RECOGNIZER_ID]
    assert entry.runtime_data.recognizers[subentry_id].fallback == LOCAL_ENTITY_ID
    assert entry.runtime_data.recognizers[RECOGNIZER_ID].fallback == LOCAL_ENTITY_ID

    await break_dashscope(entry, dashscope_server, Fault(stop_server=True))
    engine = stt.async_get_speech_to_text_entity(hass, "stt.dashscope_paraformer_realtime_v2")
    assert engine is not None
    result = await engine.internal_async_process_audio_stream(metadata(), stream(AUDIO))
    assert result.text == LOCAL_TEXT


async def test_the_budget_is_an_account_option_and_the_months_choice_stays(
    hass: HomeAssistant, setup_integration: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(
        setup_integration, options={CONF_BUDGET_FALLBACK_MONTH: "2026-12"}
    )
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(setup_integration.entry_id)
    assert CONF_MONTHLY_BUDGET in {str(key) for key in result["data_schema"].schema}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"start_timeout": 10.0, "finish_timeout": 5.0, CONF_MONTHLY_BUDGET: 20},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert setup_integration.options[CONF_MONTHLY_BUDGET] == 20
    assert setup_integration.options[CONF_BUDGET_FALLBACK_MONTH] == "2026-12"
