"""The end-of-speech policy with a command matcher (client only, no Home Assistant).

The matcher is a stand-in that says what a table says; times are ms of the task's audio.
"""

from __future__ import annotations

import asyncio

import pytest

from custom_components.dashscope.client import (
    NOT_A_COMMAND,
    CommandKind,
    CommandMatch,
    Endpointing,
    Transcript,
)
from custom_components.dashscope.client.endpointing import SpeechEnd, command_text, text_key
from custom_components.dashscope.client.messages import Sentence, Word

COMPLETE = CommandMatch(CommandKind.COMPLETE, "HassTurnOn")
PREFIX = CommandMatch(CommandKind.PREFIX)
VERDICTS = {
    "打开客厅的灯": COMPLETE,
    "打开客厅的吊灯": COMPLETE,
    "打开客厅的": PREFIX,
    "今天天气怎么样": NOT_A_COMMAND,
}


class Matcher:
    """Answers from VERDICTS, counts the questions, and can be held up."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.in_flight = 0
        self.most_in_flight = 0

    async def __call__(self, text: str) -> CommandMatch:
        self.asked.append(text)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await self.gate.wait()
        self.in_flight -= 1
        return VERDICTS.get(text_key(text), NOT_A_COMMAND)


def words(text: str, start: int = 0, per_char: int = 100) -> tuple[Word, ...]:
    return tuple(
        Word(char, start + i * per_char, start + (i + 1) * per_char) for i, char in enumerate(text)
    )


def partial(text: str, start: int = 0) -> Transcript:
    return Transcript(partial=Sentence(text, start, None, words=words(text, start)))


def final(*texts: tuple[str, int]) -> Transcript:
    sentences = []
    for text, start in texts:
        timed = words(text.rstrip("。"), start)
        end = timed[-1].end_time if timed else start
        sentences.append(Sentence(text, start, end, is_final=True, words=timed))
    return Transcript(sentences=sentences)


def speech_end(matcher: Matcher | None, *, on_service_end: bool = True) -> SpeechEnd:
    policy = Endpointing.for_voice_commands(on_service_end=on_service_end, command_silence_ms=200)
    if matcher is not None:
        policy = Endpointing(
            on_service_end=policy.on_service_end,
            max_seconds=policy.max_seconds,
            command_silence_ms=200,
            prefix_silence_ms=1500,
            matcher=matcher,
        )
    return SpeechEnd(policy)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_complete_command_ends_after_the_short_silence() -> None:
    matcher = Matcher()
    end = speech_end(matcher)
    end.heard(partial("打开客厅的灯"), audio_ms=650)  # the last word ended at 600 ms
    await settle()
    assert not end.ended.is_set()  # 50 ms of silence
    end.audio_sent(750)
    assert not end.ended.is_set()  # 150 ms
    end.audio_sent(800)
    assert end.ended.is_set()
    assert end.ended_by == "complete_command"
    assert end.command == COMPLETE
    assert end.command_text == "打开客厅的灯"
    await end.close()


async def test_a_beginning_waits_past_the_services_end() -> None:
    matcher = Matcher()
    end = speech_end(matcher)
    end.heard(partial("打开客厅的"), audio_ms=600)
    await settle()
    # The service ends the sentence after 500 ms of silence: a beginning is not ended by it.
    end.heard(final(("打开客厅的。", 0)), audio_ms=1000)
    await settle()
    assert not end.ended.is_set()
    assert matcher.asked == ["打开客厅的"]  # the final added only a mark: not asked again
    end.audio_sent(1900)  # 1400 ms after the last word
    assert not end.ended.is_set()
    # The person goes on: the whole command is complete, and ends after a short silence.
    transcript = final(("打开客厅的。", 0))
    transcript.partial = Sentence("吊灯", 2500, None, words=words("吊灯", 2500))
    end.heard(transcript, audio_ms=2750)
    await settle()
    assert matcher.asked == ["打开客厅的", "打开客厅的吊灯"]
    end.audio_sent(2900)
    assert end.ended_by == "complete_command"
    assert end.command_text == "打开客厅的吊灯"
    await end.close()


async def test_a_beginning_left_alone_ends_after_the_long_silence() -> None:
    end = speech_end(Matcher())
    end.heard(final(("打开客厅的。", 0)), audio_ms=1000)
    await settle()
    end.audio_sent(1999)
    assert not end.ended.is_set()
    end.audio_sent(2000)
    assert end.ended_by == "long_silence"


async def test_neither_ends_as_the_service_says() -> None:
    matcher = Matcher()
    end = speech_end(matcher)
    end.heard(partial("今天天气怎么样"), audio_ms=800)
    await settle()
    end.audio_sent(1500)  # a long silence: still only the service ends an open question
    assert not end.ended.is_set()
    end.heard(final(("今天天气怎么样？", 0)), audio_ms=1200)
    assert end.ended_by == "service"
    assert end.command is None


async def test_a_pause_in_the_middle_is_not_cut() -> None:
    """A complete-looking text is never ended before the short silence: a pause of 150 ms."""
    end = speech_end(Matcher())
    end.heard(partial("打开客厅的灯"), audio_ms=650)
    await settle()
    end.audio_sent(750)
    transcript = partial("打开客厅的灯和")
    end.heard(transcript, audio_ms=800)  # the next word came before 200 ms of silence
    await settle()
    end.audio_sent(1000)
    assert not end.ended.is_set()


async def test_a_cough_ends_nothing() -> None:
    """A cough gives no text, or a sentence too short to be speech: it ends no command."""
    matcher = Matcher()
    end = speech_end(matcher)
    end.heard(Transcript(partial=Sentence("", 0, None)), audio_ms=300)
    end.heard(final(("嗯。", 0)), audio_ms=700)  # 100 ms of "speech", under min_speech_ms
    await settle()
    end.audio_sent(3000)
    assert not end.ended.is_set()
    assert matcher.asked == ["嗯"]


async def test_one_match_in_flight_and_only_for_new_text() -> None:
    matcher = Matcher()
    matcher.gate.clear()
    end = speech_end(matcher)
    end.heard(partial("打开"), audio_ms=250)
    end.heard(partial("打开客"), audio_ms=350)
    end.heard(partial("打开客厅的灯"), audio_ms=650)
    await settle()
    assert matcher.asked == ["打开"]  # the others wait for the one in flight
    # The service's final while the text is being asked about does not end it yet.
    end.heard(final(("打开客厅的灯。", 0)), audio_ms=1200)
    assert not end.ended.is_set()
    matcher.gate.set()
    await settle()
    assert matcher.most_in_flight == 1
    assert matcher.asked == ["打开", "打开客厅的灯"]  # the latest text, skipping "打开客"
    assert end.ended_by == "complete_command"
    await end.close()


async def test_a_failing_or_slow_matcher_leaves_the_services_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("custom_components.dashscope.client.endpointing.MATCH_TIMEOUT", 0.01)
    matcher = Matcher()
    matcher.gate.clear()
    end = speech_end(matcher)
    end.heard(final(("打开客厅的灯。", 0)), audio_ms=1200)
    await asyncio.sleep(0.05)
    assert end.ended_by == "service"

    async def broken(text: str) -> CommandMatch:
        raise RuntimeError(text)

    end = SpeechEnd(Endpointing(on_service_end=True, command_silence_ms=200, matcher=broken))
    end.heard(final(("打开客厅的灯。", 0)), audio_ms=1200)
    await settle()
    assert end.ended_by == "service"


async def test_without_word_times_the_text_arrival_counts() -> None:
    """Qwen3 reports no word times: silence counts from when the text arrived."""
    end = speech_end(Matcher())
    end.heard(Transcript(partial=Sentence("打开客厅的灯")), audio_ms=900)
    await settle()
    end.audio_sent(1099)
    assert not end.ended.is_set()
    end.audio_sent(1100)
    assert end.ended_by == "complete_command"


async def test_without_a_matcher_only_the_service_ends() -> None:
    end = speech_end(None)
    end.heard(partial("打开客厅的灯"), audio_ms=650)
    end.audio_sent(5000)
    assert not end.ended.is_set()
    end.heard(final(("打开客厅的灯。", 0)), audio_ms=1200)
    assert end.ended_by == "service"
    # Off (pipeline VAD) with no matcher: nothing ends it but the caller.
    end = speech_end(None, on_service_end=False)
    end.heard(final(("打开客厅的灯。", 0)), audio_ms=1200)
    assert not end.ended.is_set()


def test_the_command_text_joins_sentences_without_their_marks() -> None:
    transcript = final(("Turn on the.", 0), ("Kitchen light.", 900))
    assert command_text(transcript) == "Turn on the Kitchen light"
    assert text_key("Turn on, the light!") == "turnonthelight"
    assert command_text(Transcript()) == ""
    assert command_text(final(("打开客厅的灯，谢谢。", 0))) == "打开客厅的灯谢谢"
    assert command_text(partial("what's on, Wi-Fi")) == "what's on Wi-Fi"


async def test_closing_stops_the_match_in_flight() -> None:
    """The utterance ended another way (the caller's audio ended): its question is dropped."""
    matcher = Matcher()
    matcher.gate.clear()
    end = speech_end(matcher)
    end.heard(partial("打开客厅的灯"), audio_ms=650)
    await settle()
    assert matcher.in_flight == 1
    await end.close()
    matcher.gate.set()
    await settle()
    assert matcher.in_flight == 1, "cancelled while it waited: it never answered"
    end.audio_sent(5000)
    assert not end.ended.is_set()
