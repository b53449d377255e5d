"""The end-of-speech policy: who ends an utterance, and when the recognition says it is over.

`Endpointing` is the one place the policy enters the client: `Utterance` gives each
transcript to the utterance's `SpeechEnd` while the caller's audio still flows, and the
realtime protocol's turn detection (`service_turns`) is derived from it, never set apart.

Two rules end a voice command, and the caller's stream beside them:
- the service's end of speech (`on_service_end`): its VAD ends a sentence after
  `max_sentence_silence` of silence; a final sentence with real speech ends the command;
- a complete command (`command_silence_ms`, given a `CommandMatcher`): the glue says whether
  the words so far are a whole command the home understands, or only the beginning of one.
  A whole one ends after a short silence; a beginning is waited for longer than the service's
  silence (past its sentence end), so a person who pauses to think is not cut off; anything
  else ends as the service says.

The client owns the timing. Silence is the audio sent minus where the last word ended, from
the word times the inference protocol reports in every result (partial ones too). Qwen3's
realtime protocol reports no word times: there the last word is taken to end when its text
arrived, which counts the service's delay as speech (later, never earlier).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
from enum import StrEnum
import logging
import unicodedata

from .transcript import Transcript, join_sentences

_LOGGER = logging.getLogger(__name__)

MAX_UTTERANCE_SECONDS = 15.0  # like the pipeline's own cap, when the service ends speech
MIN_SPEECH_MS = 300  # speech before the service's end of a sentence ends the command
COMMAND_SILENCE_MS = 200  # silence after the last word of a complete command
# How long a beginning of a command may stay without a new word before it ends. The next word
# is known only once reported: a pause, the word itself and the service's delay (800 + 500 +
# 300 ms in the bench) pass before its end is known.
PREFIX_SILENCE_MS = 2500
MATCH_TIMEOUT = 1.0  # seconds: a matcher slower than this counts as "not a command"


class CommandKind(StrEnum):
    """What the words so far are, to the home's commands."""

    COMPLETE = "complete"  # a whole command: a short silence ends it
    PREFIX = "prefix"  # its beginning: wait past the service's silence
    NEITHER = "neither"  # anything else: the service's end of speech, as without a matcher


@dataclass(frozen=True, slots=True)
class CommandMatch:
    """The glue's answer about one text; `name` is what matched (an intent), never the text."""

    kind: CommandKind
    name: str | None = None


NOT_A_COMMAND = CommandMatch(CommandKind.NEITHER)

type CommandMatcher = Callable[[str], Awaitable[CommandMatch]]


@dataclass(frozen=True, slots=True)
class Endpointing:
    """When the recognition, not the caller's stream, ends an utterance."""

    on_service_end: bool = False  # end on the service's final sentence
    min_speech_ms: int = MIN_SPEECH_MS  # a cough does not end a command
    max_seconds: float | None = None  # a noisy room cannot keep the stream open forever
    command_silence_ms: int | None = None  # end a complete command after this much silence
    prefix_silence_ms: int = PREFIX_SILENCE_MS
    matcher: CommandMatcher | None = field(default=None, compare=False)  # per language
    recording: bool = False  # a whole recording: the caller ends it, the service cuts turns

    @classmethod
    def for_voice_commands(
        cls, *, on_service_end: bool, command_silence_ms: int | None = None
    ) -> Endpointing:
        """Return the policy of a voice command: capped at 15 s when the recognition ends it."""
        ends_itself = on_service_end or command_silence_ms is not None
        return cls(
            on_service_end=on_service_end,
            max_seconds=MAX_UTTERANCE_SECONDS if ends_itself else None,
            command_silence_ms=command_silence_ms,
        )

    @classmethod
    def for_recording(cls) -> Endpointing:
        """Return the policy of a whole recording: its end ends it, whatever is said."""
        return cls(recording=True)

    @property
    def service_turns(self) -> bool:
        """Return True when the service's VAD cuts the audio into turns (realtime protocol).

        So it does when it ends the utterance, and for a recording (one manual turn holds at
        most 60 s); otherwise the caller's end of the audio ends the one turn.
        """
        return self.on_service_end or self.recording

    @property
    def matches_commands(self) -> bool:
        """Return True when complete commands end the utterance (a matcher is given)."""
        return self.command_silence_ms is not None and self.matcher is not None


def ends_command(transcript: Transcript, min_speech_ms: int) -> bool:
    """Return True when the last reported sentence is final and the command had real speech.

    The service ends a sentence after `max_sentence_silence` of silence (VAD segmentation) or
    when it is complete (semantic segmentation); a sentence still growing means the person
    is speaking. A cough gives no text or a very short sentence, so an end counts only after
    `min_speech_ms` of speech in the final sentences (when the service reports their times).
    """
    if transcript.partial is not None or not transcript.sentences:
        return False
    if not transcript.sentences[-1].text.strip():
        return False
    timed = [
        s.end_time - s.begin_time
        for s in transcript.sentences
        if s.begin_time is not None and s.end_time is not None
    ]
    return not timed or sum(timed) >= min_speech_ms


_KEPT_MARKS = frozenset("'\u2019-")  # inside words: what's, Wi-Fi


def command_text(transcript: Transcript) -> str:
    """Return the words so far as one command: without the marks the service put between them.

    A pause can make the service end a sentence in the middle of a command ("打开客厅的。"
    then "吊灯"), and its commas and full stops are no part of any sentence the
    home knows: the words are matched without them (and, when they match, returned so).
    """
    texts = [s.text for s in transcript.sentences]
    if transcript.partial is not None:
        texts.append(transcript.partial.text)
    plain = "".join(
        " " if unicodedata.category(ch) == "Po" and ch not in _KEPT_MARKS else ch
        for ch in " ".join(texts)
    )
    return join_sentences(plain.split())


def text_key(text: str) -> str:
    """Return what a text says, without case, spaces or punctuation (a final adds only those)."""
    kept = (ch for ch in text if not ch.isspace())
    return "".join(ch.casefold() for ch in kept if not unicodedata.category(ch).startswith("P"))


def last_word_end(transcript: Transcript) -> int | None:
    """Return where the last reported word ends (ms of the task's audio), when times are given."""
    if transcript.partial is not None and (end := transcript.partial.last_word_end) is not None:
        return end
    for sentence in reversed(transcript.sentences):
        if (end := sentence.last_word_end) is not None:
            return end
        if sentence.end_time is not None:
            return sentence.end_time
    return None


class SpeechEnd:
    """One utterance's end of speech: asks about the growing text, watches the silence.

    `heard` takes each new transcript, `audio_sent` how much audio the service has had; when
    the utterance should end, `ended` is set and `ended_by` says why ("service",
    "complete_command" or "long_silence"). At most one match is in flight, and only a text
    that changed is asked about.
    """

    def __init__(self, endpointing: Endpointing) -> None:
        """Prepare for one utterance."""
        self._policy = endpointing
        self.ended = asyncio.Event()
        self.ended_by: str | None = None
        self.command: CommandMatch | None = None  # what matched, when a command ended it
        self.command_text: str | None = None  # the text that matched
        self._transcript = Transcript()
        self._text = ""
        self._key = ""
        self._last_end: int | None = None  # ms of audio where the last word ended
        self._audio_ms = 0
        self._audio_at: float | None = None  # event-loop time the service's audio last grew
        self._verdicts: dict[str, CommandMatch] = {}
        self._texts: dict[str, str] = {}
        self._asking: asyncio.Task[None] | None = None

    def heard(self, transcript: Transcript, audio_ms: int) -> None:
        """Take a new transcript (`audio_ms`: the audio the service had when it arrived)."""
        self._transcript = transcript
        self._more_audio(audio_ms)
        text = command_text(transcript)
        key = text_key(text)
        if key != self._key:
            self._key, self._text = key, text
            # Without word times, a word counts as ending when its text arrives.
            self._last_end = self._audio_ms
        if (end := last_word_end(transcript)) is not None:
            self._last_end = end
        self._ask()
        self._decide()

    def audio_sent(self, audio_ms: int) -> None:
        """Note that the service has had `audio_ms` of audio: the silence may be long enough."""
        self._more_audio(audio_ms)
        self._decide()

    async def close(self) -> None:
        """Stop a match still in flight (its answer no longer matters)."""
        asking, self._asking = self._asking, None
        if asking is not None and not asking.done():
            asking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asking

    @property
    def silence_ms(self) -> int:
        """Return the silence since the last word, as far as the service's audio tells."""
        return 0 if self._last_end is None else max(0, self._audio_ms - self._last_end)

    @property
    def speech_ended_at(self) -> float | None:
        """Return when (event-loop time) the speech ended, as the audio sent so far tells.

        The last word ended `silence_ms` of audio before the last audio sent, and audio
        arrives in real time: the speech ended that long before that audio was sent. Without
        word times the last word ends when its text arrived (see `silence_ms`). None when no
        word was heard or the audio's length is unknown (compressed audio).
        """
        if self._last_end is None or self._audio_at is None:
            return None
        return self._audio_at - self.silence_ms / 1000

    def _more_audio(self, audio_ms: int) -> None:
        if audio_ms > self._audio_ms:
            self._audio_ms = audio_ms
            self._audio_at = asyncio.get_running_loop().time()

    def _ask(self) -> None:
        """Ask the glue about the current text, unless asked already or another ask runs."""
        matcher = self._policy.matcher
        if not self._policy.matches_commands or matcher is None:
            return
        if not self._key or self._key in self._verdicts or self._asking is not None:
            return
        self._texts[self._key] = self._text
        self._asking = asyncio.create_task(
            self._match(matcher, self._key, self._text), name="dashscope command match"
        )

    async def _match(self, matcher: CommandMatcher, key: str, text: str) -> None:
        try:
            async with asyncio.timeout(MATCH_TIMEOUT):
                verdict = await matcher(text)
        except Exception as err:  # noqa: BLE001 - the glue's failure only loses the early end
            _LOGGER.debug("Command match failed (%r): the service ends this utterance", err)
            verdict = NOT_A_COMMAND
        self._verdicts[key] = verdict
        self._asking = None
        _LOGGER.debug("Command match: %s %s", verdict.kind.value, verdict.name or "")
        if self.ended.is_set():
            return
        self._ask()  # the text moved on while this one was asked about
        self._decide()

    def _end(self, reason: str) -> None:
        if not self.ended.is_set():
            _LOGGER.debug("Speech ended (%s) %d ms after the last word", reason, self.silence_ms)
            self.ended_by = reason
            self.ended.set()

    def _decide(self) -> None:
        if self.ended.is_set():
            return
        policy = self._policy
        verdict = self._verdicts.get(self._key) if policy.matches_commands else NOT_A_COMMAND
        if verdict is not None and verdict.kind is CommandKind.COMPLETE:
            assert policy.command_silence_ms is not None
            if self.silence_ms >= policy.command_silence_ms:
                self.command = verdict
                self.command_text = self._texts.get(self._key, self._text)
                self._end("complete_command")
            return
        if verdict is not None and verdict.kind is CommandKind.PREFIX:
            # A beginning: neither the service's end nor its silence ends it, a long one does.
            if self.silence_ms >= policy.prefix_silence_ms:
                self._end("long_silence")
            return
        if verdict is None:  # being asked about: the answer decides (bounded by MATCH_TIMEOUT)
            return
        if policy.on_service_end and ends_command(self._transcript, policy.min_speech_ms):
            self._end("service")
