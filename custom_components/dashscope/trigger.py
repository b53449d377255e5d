"""`trigger: dashscope`: run an automation when a transcript matches phrases.

```yaml
trigger: dashscope
phrases: ["开灯", "turn on the light"]
match: contains        # exact (default) | contains | regex
entity_id: stt.fun_asr_realtime   # optional: only this recognizer
```
Matching ignores case, full-width/half-width forms, punctuation and repeated spaces, in
Chinese and English alike; a regex runs on the text normalised the same way.
"""

from __future__ import annotations

import re
from typing import Any
import unicodedata

from homeassistant.const import CONF_ENTITY_ID, CONF_PLATFORM
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN, EVENT_TRANSCRIPT
from .validation import vol

CONF_PHRASES = "phrases"
CONF_MATCH = "match"
MATCH_EXACT, MATCH_CONTAINS, MATCH_REGEX = "exact", "contains", "regex"


def normalize(text: str) -> str:
    """Fold case and width, drop punctuation, collapse spaces: what matching compares."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(" " if unicodedata.category(char).startswith("P") else char for char in folded)
    return " ".join(kept.split())


def _valid_phrases(config: dict[str, Any]) -> dict[str, Any]:
    """Regexes must compile; plain phrases must keep something once normalised."""
    phrases: list[str] = config[CONF_PHRASES]
    if not phrases:
        raise vol.Invalid("at least one phrase is required", path=[CONF_PHRASES])
    for phrase in phrases:
        if config[CONF_MATCH] == MATCH_REGEX:
            try:
                re.compile(phrase)
            except re.error as err:
                raise vol.Invalid(
                    f"invalid regular expression {phrase!r}: {err}", path=[CONF_PHRASES]
                ) from err
        elif not normalize(phrase):
            raise vol.Invalid(
                f"phrase {phrase!r} has no letter, digit or character", path=[CONF_PHRASES]
            )
    return config


TRIGGER_SCHEMA = vol.All(
    cv.TRIGGER_BASE_SCHEMA.extend(
        {
            vol.Required(CONF_PLATFORM): DOMAIN,
            vol.Required(CONF_PHRASES): vol.All(cv.ensure_list, [cv.string]),
            vol.Optional(CONF_MATCH, default=MATCH_EXACT): vol.In(
                [MATCH_EXACT, MATCH_CONTAINS, MATCH_REGEX]
            ),
            vol.Optional(CONF_ENTITY_ID): cv.entity_ids,
        }
    ),
    _valid_phrases,
)


def _matcher(config: ConfigType) -> Any:
    """Return a function from normalised text to the matching phrase (or None)."""
    mode = config[CONF_MATCH]
    phrases: list[str] = config[CONF_PHRASES]
    if mode == MATCH_REGEX:
        patterns = [(phrase, re.compile(phrase, re.IGNORECASE)) for phrase in phrases]
        return lambda text: next((p for p, rx in patterns if rx.search(text)), None)
    normalized = [(phrase, normalize(phrase)) for phrase in phrases]
    if mode == MATCH_CONTAINS:
        return lambda text: next((p for p, n in normalized if n in text), None)
    return lambda text: next((p for p, n in normalized if n == text), None)


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Listen for transcripts and run the action when one matches."""
    trigger_data = trigger_info["trigger_data"]
    entity_ids: list[str] | None = config.get(CONF_ENTITY_ID)
    match = _matcher(config)
    job = HassJob(action, f"{DOMAIN} trigger")

    @callback
    def _transcript(event: Event) -> None:
        data = event.data
        if entity_ids is not None and data.get("entity_id") not in entity_ids:
            return
        matched = match(normalize(str(data.get("text", ""))))
        if matched is None:
            return
        hass.async_run_hass_job(
            job,
            {
                "trigger": {
                    **trigger_data,
                    "platform": DOMAIN,
                    "text": data.get("text"),
                    "matched": matched,
                    "entity_id": data.get("entity_id"),
                    "emotion": data.get("emotion"),
                    "language": data.get("language"),
                    "model": data.get("model"),
                    "description": f"{DOMAIN} transcript matching {matched!r}",
                }
            },
            event.context,
        )

    return hass.bus.async_listen(EVENT_TRANSCRIPT, _transcript)
