"""`trigger: dashscope`: run an automation when a transcript matches phrases.

The automation editor offers it as "Phrase recognized" (described in `triggers.yaml`)
and saves the fields under `options:`:

```yaml
trigger: dashscope
options:
  phrases: ["开灯", "turn on the light"]
  match: contains        # exact (default) | contains | regex
  entity_id: [stt.dashscope_fun_asr_realtime]   # optional: only these recognizers
```
YAML written before the editor offered the trigger has the same fields at the top level
(`trigger: dashscope` / `phrases:` / `match:` / `entity_id:`); it is read as the same trigger.

Matching ignores case, full-width/half-width forms, punctuation and repeated spaces, in
Chinese and English alike; a regex runs on the text normalised the same way. Transcripts
arrive in-process (`transcript.async_publish`), not over the event bus.
"""

from __future__ import annotations

from collections.abc import Callable
import re
from typing import TYPE_CHECKING, Any, Final, cast
import unicodedata

from homeassistant.const import CONF_ENTITY_ID, CONF_OPTIONS
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.automation import move_top_level_schema_fields_to_options
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.trigger import Trigger, TriggerActionRunner, TriggerConfig
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN, SIGNAL_ANY_TRANSCRIPT
from .transcript import TranscriptRecord
from .validation import vol

if TYPE_CHECKING:
    # Home Assistant 2026.10 and later pass it; earlier releases call with the runner only.
    from homeassistant.helpers.trigger import TriggerNotTriggeredReporter

CONF_PHRASES: Final = "phrases"
CONF_MATCH: Final = "match"
MATCH_EXACT, MATCH_CONTAINS, MATCH_REGEX = "exact", "contains", "regex"
MATCH_MODES: Final = (MATCH_EXACT, MATCH_CONTAINS, MATCH_REGEX)
# "_" is the integration's own key: the trigger is `trigger: dashscope`, in YAML and the editor.
TRIGGER_PHRASE: Final = "_"

type Matcher = Callable[[str], str | None]


def normalize(text: str) -> str:
    """Fold case and width, drop punctuation, collapse spaces: what matching compares."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(" " if unicodedata.category(char).startswith("P") else char for char in folded)
    return " ".join(kept.split())


def _valid_phrases(options: dict[str, Any]) -> dict[str, Any]:
    """Regexes must compile; plain phrases must keep something once normalised."""
    phrases: list[str] = options[CONF_PHRASES]
    if not phrases:
        raise vol.Invalid("at least one phrase is required", path=[CONF_PHRASES])
    for phrase in phrases:
        if options[CONF_MATCH] == MATCH_REGEX:
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
    return options


def _bad_regex(config: ConfigType) -> tuple[str, re.error] | None:
    """Return the first phrase of a regex trigger that does not compile, and why."""
    options = config.get(CONF_OPTIONS)
    if not isinstance(options, dict) or options.get(CONF_MATCH) != MATCH_REGEX:
        return None
    phrases = options.get(CONF_PHRASES)
    for phrase in phrases if isinstance(phrases, list) else [phrases]:
        try:
            re.compile(str(phrase))
        except re.error as err:
            return str(phrase), err
    return None


async def _regex_message(hass: HomeAssistant, phrase: str, error: re.error) -> str:
    """Return the invalid-regex message in the home's language (English if it has none)."""
    key = f"component.{DOMAIN}.exceptions.invalid_regex.message"
    for language in (hass.config.language, "en"):
        translations = await async_get_translations(hass, language, "exceptions", [DOMAIN])
        if key in translations:
            position = (error.pos or 0) + 1
            return translations[key].format(phrase=phrase, position=position)
    return f"invalid regular expression {phrase!r}: {error}"  # pragma: no cover - en ships


_OPTIONS_FIELDS: Final[dict[Any, Any]] = {
    vol.Required(CONF_PHRASES): vol.All(cv.ensure_list, [cv.string]),
    vol.Optional(CONF_MATCH, default=MATCH_EXACT): vol.In(MATCH_MODES),
    vol.Optional(CONF_ENTITY_ID): cv.entity_ids,
}
OPTIONS_SCHEMA: Final = vol.All(vol.Schema(_OPTIONS_FIELDS), _valid_phrases)
_CONFIG_SCHEMA: Final = vol.Schema({vol.Required(CONF_OPTIONS): OPTIONS_SCHEMA})


def _matcher(options: ConfigType) -> Matcher:
    """Return a function from normalised text to the matching phrase (or None)."""
    mode = options[CONF_MATCH]
    phrases: list[str] = options[CONF_PHRASES]
    if mode == MATCH_REGEX:
        patterns = [(phrase, re.compile(phrase, re.IGNORECASE)) for phrase in phrases]
        return lambda text: next((p for p, rx in patterns if rx.search(text)), None)
    normalized = [(phrase, normalize(phrase)) for phrase in phrases]
    if mode == MATCH_CONTAINS:
        return lambda text: next((p for p, n in normalized if n in text), None)
    return lambda text: next((p for p, n in normalized if n == text), None)


class PhraseTrigger(Trigger):
    """Fires when a DashScope transcript matches one of the phrases."""

    @classmethod
    async def async_validate_complete_config(
        cls, hass: HomeAssistant, complete_config: ConfigType
    ) -> ConfigType:
        """Validate, reading the fields of the older top-level shape as options."""
        return await super().async_validate_complete_config(
            hass, move_top_level_schema_fields_to_options(complete_config, _OPTIONS_FIELDS)
        )

    @classmethod
    async def async_validate_config(
        cls,
        hass: HomeAssistant,
        config: ConfigType,
    ) -> ConfigType:
        """Validate the options: phrases, match mode and the optional recognizers.

        An invalid regular expression is refused in the home's language, with where it breaks
        (the automation editor shows the message as it is).
        """
        try:
            return cast("ConfigType", _CONFIG_SCHEMA(config))
        except vol.Invalid as err:
            if (bad := _bad_regex(config)) is None:
                raise
            phrase, error = bad
            raise vol.Invalid(
                await _regex_message(hass, phrase, error), path=[CONF_OPTIONS, CONF_PHRASES]
            ) from err

    def __init__(self, hass: HomeAssistant, config: TriggerConfig) -> None:
        """Keep the validated options."""
        super().__init__(hass, config)
        assert config.options is not None  # validation requires them
        self._options = config.options

    async def async_attach_runner(
        self,
        run_action: TriggerActionRunner,
        did_not_trigger: TriggerNotTriggeredReporter | None = None,  # noqa: ARG002
    ) -> CALLBACK_TYPE:
        """Listen for transcripts and run the action when one matches."""
        # An empty list (the editor's field ticked but left empty) means any recognizer.
        entity_ids: list[str] = self._options.get(CONF_ENTITY_ID) or []
        match = _matcher(self._options)

        @callback
        def _transcript(record: TranscriptRecord) -> None:
            if entity_ids and record.entity_id not in entity_ids:
                return
            matched = match(normalize(record.text))
            if matched is None:
                return
            run_action(
                {
                    "text": record.text,
                    "matched": matched,
                    "entity_id": record.entity_id,
                    "emotion": record.emotion,
                    "language": record.language,
                    "model": record.model,
                },
                f"{DOMAIN} transcript matching {matched!r}",
            )

        return async_dispatcher_connect(self._hass, SIGNAL_ANY_TRANSCRIPT, _transcript)


TRIGGERS: Final[dict[str, type[Trigger]]] = {TRIGGER_PHRASE: PhraseTrigger}


async def async_get_triggers(hass: HomeAssistant) -> dict[str, type[Trigger]]:  # noqa: ARG001
    """Return the integration's triggers: the phrase trigger, keyed as `dashscope`."""
    return TRIGGERS
