"""Every failure mapped to an outcome: the README's table, row by row, plus connection reuse."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
import time
from typing import Literal

from homeassistant.components import stt
from homeassistant.components.stt import SpeechResultState
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

import custom_components.dashscope as integration
from custom_components.dashscope.client import RetryPolicy, Timeouts
from custom_components.dashscope.const import DOMAIN

from .audio import stream, tone
from .conftest import ENTITY_ID, RECOGNIZER_ID, RunningServer
from .dashscope_server import TaskScript

AUDIO = tone(1.0)  # 32000 bytes, 10 frames
TEXT = "打开客厅的灯。"


@dataclass
class Row:
    """One row of the failure table: what goes wrong and what the person gets."""

    scripts: list[TaskScript] = field(default_factory=list)
    handshake: int | None = None
    refusals: int | None = None
    stop_server: bool = False
    fault: Literal["close", "abort", "oversize"] | None = None  # every new connection's
    result: SpeechResultState = SpeechResultState.ERROR
    reauth: bool = False
    repair: bool = False
    tasks: int = 1  # tasks the server saw
    replayed: bool = False  # the last task received the whole utterance again
    opened: int | None = None  # connections the utterance opened (None: not counted)


def drop(at: int = 9600) -> TaskScript:
    return TaskScript(close_after_bytes=at)


def throttle(on: str = "run") -> TaskScript:
    return TaskScript(
        fail_code="Throttling.RateQuota",
        fail_message="Requests rate limit exceeded, please try again later.",
        fail_on=on,  # type: ignore[arg-type]
        fail_after_bytes=9600,
    )


ROWS = {
    "handshake-401": Row(handshake=401, reauth=True, tasks=0),
    "handshake-403": Row(handshake=403, reauth=True, tasks=0),
    "invalid-api-key": Row([TaskScript(fail_code="InvalidApiKey")], reauth=True),
    "model-not-found": Row([TaskScript(fail_code="ModelNotFound")], repair=True),
    "throttled-at-start": Row(
        [throttle()], result=SpeechResultState.SUCCESS, tasks=2, replayed=True
    ),
    "throttled-mid-stream": Row(
        [throttle("audio")], result=SpeechResultState.SUCCESS, tasks=2, replayed=True
    ),
    "throttled-twice": Row([throttle(), throttle()], tasks=2),
    "dropped-mid-stream": Row([drop()], result=SpeechResultState.SUCCESS, tasks=2, replayed=True),
    "dropped-at-the-end": Row(
        [drop(len(AUDIO))], result=SpeechResultState.SUCCESS, tasks=2, replayed=True
    ),
    "dropped-twice": Row([drop(), drop()], tasks=2),
    "no-task-started": Row([TaskScript(stall_start=True)]),
    # Every sentence ended, only `task-finished` is missing: the text, after `Timeouts.finish`.
    "no-task-finished": Row([TaskScript(stall_finish=True)], result=SpeechResultState.SUCCESS),
    "final-never-comes": Row([TaskScript(stall_finish=True, finalize_on_finish=False)]),
    "dropped-after-the-finals": Row(
        [TaskScript(drop_before_finished=True)], result=SpeechResultState.SUCCESS
    ),
    "overloaded-503": Row(handshake=503, tasks=0),
    "throttled-handshake": Row(
        handshake=429, refusals=1, result=SpeechResultState.SUCCESS, replayed=True
    ),
    "throttled-handshakes": Row(handshake=429, tasks=0),
    "unreachable": Row(stop_server=True, tasks=0),
    "other-task-failure": Row([TaskScript(fail_code="RequestTimeOut", fail_on="audio")]),
    # A service that accepts and then fails every connection: one reconnect, then the error.
    "accept-then-close": Row(fault="close", tasks=0, opened=2),
    "tcp-abort": Row(fault="abort", tasks=0, opened=2),
    "oversize-frame-before-start": Row(fault="oversize", tasks=0, opened=2),
}


@pytest.fixture
def fast_client(setup_integration: MockConfigEntry) -> MockConfigEntry:
    """Shorten timeouts and backoff so that every row ends quickly."""
    client = setup_integration.runtime_data.client
    client.timeouts = Timeouts(start=1.0, finish=1.0)
    client.retry = RetryPolicy(throttle_backoff=0.05)
    return setup_integration


def engine(hass: HomeAssistant) -> stt.SpeechToTextEntity:
    found = stt.async_get_speech_to_text_entity(hass, ENTITY_ID)
    assert found is not None
    return found


async def recognize(hass: HomeAssistant, audio: bytes = AUDIO) -> stt.SpeechResult:
    from .test_stt import metadata  # noqa: PLC0415 - shared helper

    return await engine(hass).async_process_audio_stream(metadata(), stream(audio))


@pytest.mark.parametrize("row", ROWS.values(), ids=ROWS.keys())
async def test_failure_table(
    hass: HomeAssistant,
    fast_client: MockConfigEntry,
    dashscope_server: RunningServer,
    issue_registry: ir.IssueRegistry,
    row: Row,
) -> None:
    client = fast_client.runtime_data.client
    if row.handshake or row.stop_server or row.fault:
        await client.connections.close_idle()  # the warm connection expired: a handshake is due
    dashscope_server.handshake_status = row.handshake
    dashscope_server.handshake_refusals = row.refusals
    dashscope_server.queue(*row.scripts)
    dashscope_server.connection_fault = row.fault
    connections = dashscope_server.connections
    if row.stop_server:
        await dashscope_server.stop()

    started = time.monotonic()
    result = await recognize(hass)
    elapsed = time.monotonic() - started
    await hass.async_block_till_done()

    assert result.result is row.result
    assert result.text == (TEXT if row.result is SpeechResultState.SUCCESS else None)
    assert elapsed < 4, "bounded: never a hang"
    assert len(dashscope_server.tasks) == row.tasks
    if row.replayed:
        assert bytes(dashscope_server.tasks[-1].audio) == AUDIO, "no audio lost"
    if row.opened is not None:
        assert dashscope_server.connections - connections == row.opened
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ([SOURCE_REAUTH] if row.reauth else [])
    issue = issue_registry.async_get_issue(DOMAIN, f"model_not_found_{RECOGNIZER_ID}")
    assert (issue is not None) is row.repair
    if issue is not None:
        assert issue.translation_placeholders == {
            "model": "fun-asr-realtime",
            "endpoint": dashscope_server.url,
            "engine": "fun-asr-realtime",
        }
    [stats] = fast_client.runtime_data.recognitions
    assert (stats.error_code is None) is (row.result is SpeechResultState.SUCCESS)
    assert dashscope_server.violations == []


async def test_repair_issue_clears_after_a_success(
    hass: HomeAssistant,
    fast_client: MockConfigEntry,
    dashscope_server: RunningServer,
    issue_registry: ir.IssueRegistry,
) -> None:
    dashscope_server.queue(TaskScript(fail_code="ModelNotFound"))
    assert (await recognize(hass)).result is SpeechResultState.ERROR
    assert issue_registry.async_get_issue(DOMAIN, f"model_not_found_{RECOGNIZER_ID}")
    assert (await recognize(hass)).result is SpeechResultState.SUCCESS
    assert not issue_registry.async_get_issue(DOMAIN, f"model_not_found_{RECOGNIZER_ID}")


async def test_throttling_is_not_retried_past_the_deadline(
    hass: HomeAssistant, fast_client: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """Throttled after the audio ended, with less budget left than the backoff: give up."""
    fast_client.runtime_data.client.retry = RetryPolicy(throttle_backoff=2.0)
    dashscope_server.queue(throttle("finish"))
    started = time.monotonic()
    result = await recognize(hass)
    assert result.result is SpeechResultState.ERROR
    assert time.monotonic() - started < 1.5
    assert len(dashscope_server.tasks) == 1


async def test_long_utterance_is_not_replayed(
    hass: HomeAssistant, fast_client: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """The replay buffer is bounded: beyond it, a drop is an error, not a partial replay."""
    fast_client.runtime_data.client.retry = RetryPolicy(replay_seconds=0.5)
    dashscope_server.queue(drop(at=28800))
    result = await recognize(hass)
    assert result.result is SpeechResultState.ERROR
    assert len(dashscope_server.tasks) == 1


async def test_connection_is_reused_across_utterances(
    hass: HomeAssistant, fast_client: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    for _ in range(3):
        assert (await recognize(hass)).text == TEXT
    assert dashscope_server.connections == 1, "one handshake for three utterances"
    assert [task.connection for task in dashscope_server.tasks] == [1, 1, 1]
    assert len({task.task_id for task in dashscope_server.tasks}) == 3
    stats = list(fast_client.runtime_data.recognitions)
    assert [s.reused_connection for s in stats] == [False, True, True]


async def test_parallel_utterances_get_their_own_connections(
    hass: HomeAssistant, fast_client: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    results = await asyncio.gather(recognize(hass), recognize(hass))
    assert [result.text for result in results] == [TEXT, TEXT]
    assert {task.connection for task in dashscope_server.tasks} == {1, 2}
    assert fast_client.runtime_data.client.connections.open_connections == 2


async def test_failed_connection_is_not_reused(
    hass: HomeAssistant, fast_client: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    dashscope_server.queue(TaskScript(fail_code="RequestTimeOut", fail_on="audio"))
    assert (await recognize(hass)).result is SpeechResultState.ERROR
    assert (await recognize(hass)).result is SpeechResultState.SUCCESS
    assert [task.connection for task in dashscope_server.tasks] == [1, 2]


async def test_idle_connection_expires(
    hass: HomeAssistant, fast_client: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    fast_client.runtime_data.client.connections.idle_seconds = 0.0
    assert (await recognize(hass)).result is SpeechResultState.SUCCESS
    await asyncio.sleep(0.01)
    assert (await recognize(hass)).result is SpeechResultState.SUCCESS
    # The connection opened at setup expired too: three handshakes, no reuse.
    assert [task.connection for task in dashscope_server.tasks] == [2, 3]
    assert dashscope_server.connections == 3


async def test_dead_idle_connection_is_replaced_transparently(
    hass: HomeAssistant, fast_client: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    """The service closed the idle connection: the pool notices while it is idle (it is no
    longer counted as open), and the next utterance starts on a fresh one."""
    assert (await recognize(hass)).result is SpeechResultState.SUCCESS
    pool = fast_client.runtime_data.client.connections
    assert pool.open_connections == 1
    await dashscope_server.stop_idle_connections()
    for _ in range(100):
        if not pool.open_connections:
            break
        await asyncio.sleep(0.01)
    assert pool.open_connections == 0
    result = await recognize(hass)
    assert result.text == TEXT
    stats = fast_client.runtime_data.recognitions[-1]
    assert not stats.reused_connection
    assert stats.attempts == 1
    assert stats.retried_after == [], "not counted as a retry"
    # The replay budget is intact: a drop in the same utterance would still be replayed.
    assert bytes(dashscope_server.tasks[-1].audio) == AUDIO


async def test_unload_closes_every_connection(
    hass: HomeAssistant, fast_client: MockConfigEntry, dashscope_server: RunningServer
) -> None:
    await asyncio.gather(recognize(hass), recognize(hass))
    client = fast_client.runtime_data.client
    assert client.connections.open_connections == 2
    assert await hass.config_entries.async_unload(fast_client.entry_id)
    await hass.async_block_till_done()
    assert client.connections.open_connections == 0
    for _ in range(50):
        if not dashscope_server.open_sockets:
            break
        await asyncio.sleep(0.01)
    assert dashscope_server.open_sockets == 0


async def test_unload_during_an_utterance_leaves_no_socket(
    hass: HomeAssistant,
    fast_client: MockConfigEntry,
    dashscope_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An utterance that outlasts the unload's wait (test_reload_in_flight.py) is cut."""
    from .test_stt import metadata  # noqa: PLC0415 - shared helper

    monkeypatch.setattr(integration, "UNLOAD_DRAIN_SECONDS", 0.1)

    gate = asyncio.Event()

    async def speaking() -> AsyncIterator[bytes]:
        yield AUDIO[:6400]
        await gate.wait()
        yield AUDIO[6400:]

    utterance = asyncio.create_task(engine(hass).async_process_audio_stream(metadata(), speaking()))
    for _ in range(100):
        if dashscope_server.tasks and dashscope_server.tasks[0].audio:
            break
        await asyncio.sleep(0.01)
    client = fast_client.runtime_data.client
    assert await hass.config_entries.async_unload(fast_client.entry_id)
    gate.set()
    result = await asyncio.wait_for(utterance, 3)
    assert result.result is SpeechResultState.ERROR
    assert dashscope_server.connections == 1, "no reconnect after unload"
    assert client.connections.open_connections == 0


@pytest.mark.parametrize(
    ("handshake", "stop", "state"),
    [
        (401, False, ConfigEntryState.SETUP_ERROR),
        (403, False, ConfigEntryState.SETUP_ERROR),
        (503, False, ConfigEntryState.SETUP_RETRY),
        (None, True, ConfigEntryState.SETUP_RETRY),
    ],
    ids=["401", "403", "503", "unreachable"],
)
async def test_setup_failures(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    dashscope_server: RunningServer,
    handshake: int | None,
    stop: bool,
    state: ConfigEntryState,
) -> None:
    dashscope_server.handshake_status = handshake
    if stop:
        await dashscope_server.stop()
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is state
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    reauth = state is ConfigEntryState.SETUP_ERROR
    assert [flow["context"]["source"] for flow in flows] == ([SOURCE_REAUTH] if reauth else [])
