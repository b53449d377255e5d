"""Which words are a command the home understands: recognized, never run.

The client ends a complete command after a short silence and waits longer for the beginning
of one (`client/endpointing.py`); this module answers the question for a text, the way the
Assist pipeline decides whether to "prefer handling commands locally":

- a sentence of an automation's conversation trigger: the default agent's
  `async_recognize_sentence_trigger`, which only recognizes (its callbacks run in
  `_handle_trigger_result`, reached only from `async_handle_sentence_triggers`, never here);
- a strict match of Home Assistant's local intents against the exposed entities and areas,
  without a satellite's area and then in each area that has an Assist satellite:
  `conversation.async_handle_intents` with an `intent_filter`, the call the pipeline itself
  makes, on every supported release (2026.2 to 2026.11). Its filter is given the recognized
  intent *before* anything runs; ours notes it and refuses it, so the function returns None
  without handling an intent, firing a trigger or changing a state. The chat log it takes is
  a throwaway one, never registered (no chat session, no event).

Which path, and why: `async_handle_intents` is module-level on every release and is the
pipeline's own call; the default agent comes from `conversation.async_get_agent` (imported
into the component on every release, in its `__all__` from 2026.11); the language is
loaded ahead of the first utterance with `conversation.async_prepare_intents` (2026.11: strict
intents and sentence triggers only) or `conversation.async_prepare_agent` (older releases).
Recognition runs in Home Assistant's executor (`async_recognize_intent` hands it there); the
trigger sentences are matched on the loop, as the pipeline does.

A beginning ("打开客厅的", "turn on the") is told by words (`is_beginning`): a text that is not
a whole command but ends on a word no command ends on ("the", "的"), or is an action ("turn
on", "打开") with at most one word after it. Languages without such lists (all but Chinese and
English) only end complete commands early.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .client import NOT_A_COMMAND, CommandKind, CommandMatch
from .const import DOMAIN

# The default agent: `conversation.async_get_agent` is in the component's `__all__` from
# 2026.11; older releases import the same function into the component without exporting it.
_get_agent: Callable[[HomeAssistant], Any] | None = getattr(conversation, "async_get_agent", None)

# How the home's commands begin (an action), and words they never end on, per language
# family; read from the intents' own sentences (home-assistant-intents, en and zh-cn).
_OPENERS: dict[str, tuple[str, ...]] = {
    "en": (
        "turn on",
        "turn off",
        "switch on",
        "switch off",
        "set",
        "open",
        "close",
        "lock",
        "unlock",
        "dim",
        "brighten",
        "activate",
        "toggle",
    ),
    "zh": ("打开", "关闭", "关掉", "关上", "开启", "把", "将", "调", "设置", "启动", "锁上"),
}
_DANGLING: dict[str, frozenset[str]] = {
    "en": frozenset(
        ("the", "a", "an", "to", "in", "of", "my", "and", "at", "for", "with", "turn", "switch")
    ),
    "zh": frozenset("的把将和到在给为成跟"),  # not 调: 空调 ends commands
}
_ARTICLES = frozenset(("the", "a", "an", "my", "all"))
_CHINESE_WORD = 2  # characters of one Chinese word after an action: "打开灯", "打开客厅"


def _family(language: str) -> str:
    return language.replace("_", "-").split("-")[0].lower()


def is_beginning(text: str, language: str) -> bool:
    """Return True when `text` reads as the beginning of a command (it is not a whole one).

    A beginning ends on a word no command ends on ("turn on the", "打开客厅的"), or is an
    action with at most one word after it ("turn on the light", "打开灯"): what a person says
    before naming where. Anything longer that is not a whole command is not a beginning.
    """
    family = _family(language)
    words = text.casefold().strip()
    if family == "zh" and words:
        if words[-1] in _DANGLING["zh"]:
            return True
        opener = next((o for o in _OPENERS["zh"] if words.startswith(o)), None)
        return opener is not None and len(words) - len(opener) <= _CHINESE_WORD
    tokens = words.split()
    if not tokens or family not in _OPENERS:
        return False
    if tokens[-1] in _DANGLING[family]:
        return True
    spaced = " ".join(tokens)
    opener = next((o for o in _OPENERS[family] if spaced.startswith(o)), None)
    if opener is None:
        return False
    rest = [token for token in tokens[len(opener.split()) :] if token not in _ARTICLES]
    return len(rest) <= 1


class HomeCommands:
    """Tells complete commands and beginnings of commands apart, for one Home Assistant."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Prepare nothing yet: the conversation component may not be loaded."""
        self._hass = hass
        self._prepared: set[str] = set()

    @property
    def available(self) -> bool:
        """Return True when Home Assistant's conversation component is loaded."""
        return conversation.DOMAIN in self._hass.config.components

    async def async_prepare(self, language: str) -> None:
        """Load the language's intents and trigger sentences, ahead of the first utterance."""
        if language in self._prepared or not self.available:
            return
        prepare_intents = getattr(conversation, "async_prepare_intents", None)
        if prepare_intents is not None:  # 2026.11: strict intents and triggers only
            await prepare_intents(self._hass, language)
        else:
            await conversation.async_prepare_agent(self._hass, None, language)
        self._prepared.add(language)

    def matcher(self, language: str) -> Callable[[str], Any]:
        """Return the client's matcher for utterances in `language`."""

        async def match(text: str) -> CommandMatch:
            return await self.async_match(text, language)

        return match

    async def _recognize_intent(self, user_input: conversation.ConversationInput) -> str | None:
        """Return the intent a strict match recognizes in `user_input`, running nothing."""
        recognized: list[str] = []

        def note_and_refuse(result: Any) -> bool:
            # Called with the strict match before anything runs; True refuses it, so
            # `async_handle_intents` returns None without handling it.
            recognized.append(str(result.intent.name))
            return True

        await conversation.async_handle_intents(
            self._hass,
            user_input,
            conversation.ChatLog(self._hass, f"{DOMAIN}-recognition"),
            intent_filter=note_and_refuse,
        )
        return recognized[0] if recognized else None

    def _satellites(self) -> list[str]:
        """Return one Assist satellite per area (its area is a command's context)."""
        entities = er.async_get(self._hass)
        devices = dr.async_get(self._hass)
        by_area: dict[str, str] = {}
        for entry in entities.entities.values():
            if entry.domain != "assist_satellite":
                continue
            area = entry.area_id
            if area is None and entry.device_id is not None:
                device = devices.async_get(entry.device_id)
                area = device.area_id if device is not None else None
            if area is not None:
                by_area.setdefault(area, entry.entity_id)
        return list(by_area.values())

    async def async_match(self, text: str, language: str) -> CommandMatch:
        """Say whether `text` is a whole command, the beginning of one, or neither."""
        if not self.available:
            return NOT_A_COMMAND
        await self.async_prepare(language)
        user_input = conversation.ConversationInput(
            text=text,
            context=Context(),
            conversation_id=None,
            device_id=None,
            satellite_id=None,
            language=language,
            agent_id=conversation.HOME_ASSISTANT_AGENT,
        )
        agent = _get_agent(self._hass) if _get_agent is not None else None
        recognize_trigger = getattr(agent, "async_recognize_sentence_trigger", None)
        if recognize_trigger is not None and await recognize_trigger(user_input):
            return CommandMatch(CommandKind.COMPLETE, "trigger")
        # Speech to text is not told which satellite listens: a command that leans on a
        # satellite's area ("turn on the light") is complete if it is so in any satellite's.
        for satellite_id in (None, *self._satellites()):
            if name := await self._recognize_intent(replace(user_input, satellite_id=satellite_id)):
                return CommandMatch(CommandKind.COMPLETE, name)
        if is_beginning(text, language):
            return CommandMatch(CommandKind.PREFIX)
        return NOT_A_COMMAND
