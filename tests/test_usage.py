"""Usage people can see: the sensors count what the service billed, the budget repair.

The local server bills `usage.duration` on every final sentence (as the service does); over
20 utterances the engine's audio sensor is the server's total, the cost sensor that total at
the price table's list price. A month's numbers come back after a restart (not last month's).
Above the account's budget a repair asks what to do; choosing the fallback sends the rest of
the month's commands to it; arrears and an exhausted free quota are repairs of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from http import HTTPStatus
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.stt import SpeechResultState
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)

from custom_components.dashscope.client import Deployment
from custom_components.dashscope.client.prices import (
    AUDIO_TOKENS_PER_SECOND,
    Price,
    billed_audio_seconds,
    model_price,
)
from custom_components.dashscope.const import (
    CONF_BUDGET_FALLBACK_MONTH,
    CONF_FALLBACK,
    CONF_LANGUAGE_HINTS,
    CONF_MODEL,
    CONF_MONTHLY_BUDGET,
    DOMAIN,
)
from custom_components.dashscope.usage import month_start

from .audio import tone
from .conftest import RunningServer
from .dashscope_server import TaskScript
from .local_engine import LOCAL_ENTITY_ID, LOCAL_TEXT, LocalEngine, local_engine_set_up
from .test_resilience import recognize

AUDIO_SENSOR = "sensor.fun_asr_realtime_recognized_audio_this_month"
COST_SENSOR = "sensor.fun_asr_realtime_estimated_cost_this_month"
RECOGNITIONS_SENSOR = "sensor.fun_asr_realtime_recognitions_this_month"
LATENCY_SENSOR = "sensor.fun_asr_realtime_end_of_speech_to_transcript"
# A custom URL (the local server) pays Beijing's prices.
PRICE = model_price("fun-asr-realtime", Deployment.BEIJING)


@pytest.fixture
def recognizer_data() -> dict[str, Any]:
    """A DashScope engine whose fallback is the local engine."""
    return {CONF_MODEL: "fun-asr-realtime", CONF_LANGUAGE_HINTS: [], CONF_FALLBACK: LOCAL_ENTITY_ID}


@pytest.fixture
async def local_engine(hass: HomeAssistant) -> AsyncIterator[LocalEngine]:
    """The second engine, set up beside DashScope."""
    async with local_engine_set_up(hass) as engine:
        yield engine


def number(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return float(state.state)


async def test_sensors_count_what_the_server_billed(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    entity_registry: er.EntityRegistry,
) -> None:
    # The noisy ones are off by default; turned on here to be read.
    for entity_id in (RECOGNITIONS_SENSOR, LATENCY_SENSOR):
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
        entity_registry.async_update_entity(entity_id, disabled_by=None)
    await hass.config_entries.async_reload(setup_integration.entry_id)
    await hass.async_block_till_done()

    for index in range(20):
        # Slower speech: the 7 characters take 1.75 s to 5.9 s, billed in whole seconds.
        per_char = 8000 + 1000 * index
        dashscope_server.queue(TaskScript(bytes_per_char=per_char))
        result = await recognize(hass, tone(7 * per_char / 32000 + 0.1))
        assert result.result is SpeechResultState.SUCCESS
    await hass.async_block_till_done()

    billed = sum(task.billed_seconds for task in dashscope_server.tasks)
    assert len(dashscope_server.tasks) == 20
    assert billed > 40  # seconds, not a count
    assert number(hass, AUDIO_SENSOR) == billed
    assert PRICE is not None
    assert number(hass, COST_SENSOR) == pytest.approx(billed * PRICE.amount)
    assert number(hass, RECOGNITIONS_SENSOR) == 20
    assert number(hass, LATENCY_SENSOR) >= 0
    audio = hass.states.get(AUDIO_SENSOR)
    assert audio is not None
    assert audio.attributes["state_class"] == "total"
    assert audio.attributes["device_class"] == "duration"
    assert audio.attributes["unit_of_measurement"] == "s"
    assert audio.attributes["last_reset"] == month_start().isoformat()
    cost = hass.states.get(COST_SENSOR)
    assert cost is not None
    assert cost.attributes["unit_of_measurement"] == "CNY"
    assert cost.attributes["device_class"] == "monetary"

    # A reload (an options change) keeps the month's numbers.
    await hass.config_entries.async_reload(setup_integration.entry_id)
    await hass.async_block_till_done()
    assert number(hass, AUDIO_SENSOR) == billed
    assert number(hass, RECOGNITIONS_SENSOR) == 20


@pytest.mark.parametrize("month", ["this", "last"])
async def test_the_months_seconds_come_back_after_a_restart(
    hass: HomeAssistant, config_entry: MockConfigEntry, month: str
) -> None:
    start = month_start()
    if month == "last":
        start = month_start(start - timedelta(days=1))
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(AUDIO_SENSOR, "125.0", {"last_reset": start.isoformat()}),
                {"native_value": 125.0, "native_unit_of_measurement": "s"},
            )
        ],
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    expected = 125.0 if month == "this" else 0.0
    assert number(hass, AUDIO_SENSOR) == expected
    assert PRICE is not None
    assert number(hass, COST_SENSOR) == pytest.approx(expected * PRICE.amount)


def test_token_prices_are_converted_per_second() -> None:
    price = Price(2.0, "USD", "million_tokens", "2026-12-07", "https://example.invalid")
    assert price.cost(100) == pytest.approx(100 * AUDIO_TOKENS_PER_SECOND * 2.0 / 1_000_000)
    assert model_price("fun-asr-realtime-2025-11-07", Deployment.SINGAPORE) == model_price(
        "fun-asr-realtime", Deployment.SINGAPORE
    )
    assert model_price("no-such-model", Deployment.BEIJING) is None
    qwen_audio = model_price("qwen-audio-3.1-asr-flash-message", Deployment.SINGAPORE)
    assert qwen_audio is not None
    assert (qwen_audio.unit, qwen_audio.currency) == ("million_tokens", "USD")


def test_billed_seconds_come_from_the_duration_else_the_tokens() -> None:
    """The service's `usage.duration` when it reports one; audio tokens converted otherwise."""
    assert billed_audio_seconds(3.0, 500) == 3.0
    assert billed_audio_seconds(0.0, 125) == pytest.approx(125 / AUDIO_TOKENS_PER_SECOND)
    assert billed_audio_seconds(0.0, None) == 0.0


async def fix(hass_client: Any, issue_id: str, choice: str) -> None:
    """Answer a repair's fix flow as the frontend does."""
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == HTTPStatus.OK
    flow = await response.json()
    assert flow["type"] == "menu"
    response = await client.post(
        f"/api/repairs/issues/fix/{flow['flow_id']}", json={"next_step_id": choice}
    )
    assert response.status == HTTPStatus.OK
    assert (await response.json())["type"] == "create_entry"


@pytest.mark.parametrize("choice", ["use_fallback", "keep_going"])
async def test_budget_repair_appears_and_the_choice_holds(
    hass: HomeAssistant,
    local_engine: LocalEngine,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    issue_registry: ir.IssueRegistry,
    hass_client: Any,
    choice: str,
) -> None:
    assert await async_setup_component(hass, "repairs", {})
    assert PRICE is not None
    # Between one and two utterances' worth.
    hass.config_entries.async_update_entry(
        setup_integration, options={CONF_MONTHLY_BUDGET: 1.5 * PRICE.amount}
    )
    await hass.async_block_till_done()
    issue_id = f"budget_exceeded_{setup_integration.entry_id}"
    assert (await recognize(hass)).text == "打开客厅的灯。"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert (await recognize(hass)).text == "打开客厅的灯。"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable

    await fix(hass_client, issue_id, choice)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    tasks = len(dashscope_server.tasks)
    result = await recognize(hass)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None  # not asked again
    if choice == "use_fallback":
        assert setup_integration.options[CONF_BUDGET_FALLBACK_MONTH] == month_start().strftime(
            "%Y-%m"
        )
        assert result.text == LOCAL_TEXT
        assert len(dashscope_server.tasks) == tasks  # DashScope was not asked
        assert len(local_engine.heard) == 1
        fallbacks = hass.states.get("sensor.fun_asr_realtime_fallback_answers_this_month")
        assert fallbacks is not None
        assert fallbacks.state == "1"
    else:
        assert result.text == "打开客厅的灯。"
        assert len(dashscope_server.tasks) == tasks + 1
        assert local_engine.heard == []


async def test_budget_repair_clears_when_the_budget_is_raised(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    assert PRICE is not None
    hass.config_entries.async_update_entry(
        setup_integration, options={CONF_MONTHLY_BUDGET: 0.5 * PRICE.amount}
    )
    await hass.async_block_till_done()
    await recognize(hass)
    issue_id = f"budget_exceeded_{setup_integration.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    hass.config_entries.async_update_entry(setup_integration, options={CONF_MONTHLY_BUDGET: 100})
    await hass.async_block_till_done()
    await recognize(hass)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


@pytest.mark.parametrize(
    ("code", "issue"),
    [("Arrearage", "arrearage"), ("AllocationQuota.FreeTierOnly", "free_quota_exhausted")],
)
async def test_billing_repairs_appear_and_clear(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    dashscope_server: RunningServer,
    issue_registry: ir.IssueRegistry,
    code: str,
    issue: str,
) -> None:
    dashscope_server.queue(TaskScript(fail_code=code, fail_message="refused"))
    assert (await recognize(hass)).result is SpeechResultState.ERROR
    issue_id = f"{issue}_{setup_integration.entry_id}"
    found = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert found is not None
    assert found.translation_key == issue
    assert (await recognize(hass)).result is SpeechResultState.SUCCESS
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_new_month_starts_at_midnight_on_the_first(
    hass: HomeAssistant,
    setup_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    assert (await recognize(hass)).result is SpeechResultState.SUCCESS
    assert number(hass, AUDIO_SENSOR) > 0
    next_month = month_start(month_start() + timedelta(days=32))
    freezer.move_to(next_month)
    async_fire_time_changed(hass, next_month)
    await hass.async_block_till_done()
    assert number(hass, AUDIO_SENSOR) == 0
    state = hass.states.get(AUDIO_SENSOR)
    assert state is not None
    assert state.attributes["last_reset"] == next_month.isoformat()
