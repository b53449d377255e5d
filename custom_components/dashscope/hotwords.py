"""Keep each recognizer's hotwords in sync with its phrases and the home's names.

How a model is biased is the catalog's answer (`ModelInfo.bias`). Vocabulary models (Fun-ASR,
Paraformer v2): one vocabulary per recognizer, created through the customization API under a
prefix unique to this installation, targeted at the recognizer's model; its id is stored so
that it is used (and later updated or deleted) across restarts. Context models: the same
phrases and names become Qwen3's session context text, or the word lists of run-task's
`input.context` (Fun-ASR, Qwen-Audio) within its limits, built here (nothing is uploaded) and
rebuilt when the names change. Either reaches a recognition as a `Biasing` (`biasing`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
import functools
import hashlib
import json
from typing import Any, TypedDict

from homeassistant.components.homeassistant import exposed_entities
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import (
    area_registry as ar,
    entity_registry as er,
    instance_id,
)
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.storage import Store

from .client import (
    DashScopeError,
    DashScopeQuotaError,
    DashScopeServiceError,
    DashScopeVocabularyMissingError,
    Hotword,
    ModelInfo,
    Region,
    VocabularyClient,
    build_context,
    build_context_messages,
    build_vocabulary,
    parse_phrases,
)
from .client.catalog import CONTEXT_MESSAGES, CONTEXT_TURN_CHARACTERS, Bias
from .const import (
    CONF_REGION,
    DOMAIN,
    HOTWORD_REFRESH_COOLDOWN,
    LOGGER,
)
from .issues import async_vocabularies_full, async_vocabulary_uploaded
from .recognizer import NO_BIASING, Biasing, Recognizer

STORE_VERSION = 1
ASSISTANT = "conversation"  # Assist: what "exposed" means


class StoredVocabulary(TypedDict):
    """What is remembered of a recognizer's vocabulary."""

    vocabulary_id: str
    model: str
    digest: str


REMOVE_ALL_SECONDS = 30.0  # one bound for deleting every vocabulary of a removed account


def takes_phrases(model: ModelInfo, region: Region) -> bool:
    """Return True when a recognizer with `model` at `region` can be biased by phrases."""
    return model.bias(region) is not Bias.NONE


@callback
def exposed_names(hass: HomeAssistant) -> list[Hotword]:
    """Return the names and aliases of entities exposed to Assist, and of the areas."""
    if "homeassistant" not in hass.config.components:
        return []
    names: list[str] = []
    entities = er.async_get(hass)
    for state in hass.states.async_all():
        if not exposed_entities.async_should_expose(hass, ASSISTANT, state.entity_id):
            continue
        names.append(state.name)
        if (registry_entry := entities.async_get(state.entity_id)) is not None:
            # From 2026.10 the aliases may hold a marker for the entity's own name (added above).
            names.extend(sorted(a for a in registry_entry.aliases if isinstance(a, str)))
    for area in ar.async_get(hass).async_list_areas():
        names.append(area.name)
        names.extend(sorted(area.aliases))
    return [Hotword(name) for name in names]


def _sources(recognizer: Recognizer, names: Callable[[], list[Hotword]]) -> list[list[Hotword]]:
    """Return a recognizer's hotwords in priority order: its phrases, then the home's names."""
    sources = [parse_phrases(recognizer.phrases)]
    if recognizer.exposed_names:
        sources.append(names())
    return sources


def _digest(model: str, entries: Iterable[Hotword]) -> str:
    payload = json.dumps([model, [entry.to_json() for entry in entries]], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


class HotwordManager:
    """The vocabularies and context texts of one account's recognizers."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: VocabularyClient,
        recognizers: Mapping[str, Recognizer],
    ) -> None:
        """Prepare to keep `recognizers` in sync; call `async_load` before use."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._store: Store[dict[str, StoredVocabulary]] = Store(
            hass, STORE_VERSION, f"{DOMAIN}.{entry.entry_id}.vocabularies"
        )
        self._vocabularies: dict[str, StoredVocabulary] = {}
        self._recognizers = recognizers
        self._contexts: dict[str, str] = {}  # built on first use, dropped on each sync
        self._context_messages: dict[str, tuple[str, ...]] = {}  # likewise
        self._lock = asyncio.Lock()
        self._debouncer = Debouncer(
            hass,
            LOGGER,
            cooldown=HOTWORD_REFRESH_COOLDOWN,
            immediate=False,
            function=self.async_sync,
        )

    async def async_load(self) -> None:
        """Read the stored vocabulary ids, so they are used before the first sync ends."""
        self._vocabularies = dict(await self._store.async_load() or {})

    @callback
    def biasing(self, recognizer: Recognizer) -> Biasing:
        """Return what biases a recognizer's next recognition, as its model is biased."""
        model = recognizer.model
        bias = model.bias(self._region)
        if bias is Bias.NONE:
            return NO_BIASING
        vocabulary_id = (
            self.vocabulary_id(recognizer.recognizer_id, model.name) if bias.vocabulary else None
        )
        # Context goes as the realtime protocol's text or as run-task's word lists.
        context = self.context(recognizer) if bias.context and model.context_tokens else ""
        lists = self.context_messages(recognizer) if bias.context and model.input_context else ()
        return Biasing(vocabulary_id=vocabulary_id, context=context, context_messages=lists)

    @property
    def _region(self) -> Region:
        return Region(self._entry.data[CONF_REGION])

    def vocabulary_id(self, recognizer_id: str, model: str) -> str | None:
        """Return the vocabulary to use for a recognizer's tasks, if it has one for `model`."""
        stored = self._vocabularies.get(recognizer_id)
        if stored is None or stored["model"] != model:
            return None
        return stored["vocabulary_id"]

    @callback
    def context(self, recognizer: Recognizer) -> str:
        """Return a recognizer's context biasing text: its phrases, then the home's names."""
        if recognizer.recognizer_id not in self._contexts:
            self._contexts[recognizer.recognizer_id] = self._build_context(recognizer)
        return self._contexts[recognizer.recognizer_id]

    @callback
    def context_messages(self, recognizer: Recognizer) -> tuple[str, ...]:
        """Return a recognizer's `input.context` word lists: its phrases, then the home's names."""
        if recognizer.recognizer_id not in self._context_messages:
            sources = _sources(recognizer, lambda: exposed_names(self._hass))
            built = build_context_messages(CONTEXT_MESSAGES, CONTEXT_TURN_CHARACTERS, *sources)
            for text, problem in built.skipped:
                LOGGER.debug(
                    "Context phrase %r of %s left out: %s", text, recognizer.title, problem
                )
            self._context_messages[recognizer.recognizer_id] = built.texts
        return self._context_messages[recognizer.recognizer_id]

    def _build_context(self, recognizer: Recognizer) -> str:
        sources = _sources(recognizer, lambda: exposed_names(self._hass))
        context = build_context(recognizer.model.context_tokens, *sources)
        for text, problem in context.skipped:
            LOGGER.debug("Context phrase %r of %s left out: %s", text, recognizer.title, problem)
        return context.text

    @callback
    def async_forget(self, subentry_id: str) -> None:
        """Drop a vocabulary the service no longer knows, and make a new one soon."""
        if self._vocabularies.pop(subentry_id, None) is not None:
            self._store.async_delay_save(lambda: self._vocabularies, 0)
            self.async_schedule_refresh()

    @callback
    def async_schedule_refresh(self) -> None:
        """Sync after the cooldown (names change in bursts)."""
        self._debouncer.async_schedule_call()

    @callback
    def async_listen(self) -> Callable[[], None]:
        """Refresh when exposed entities, their names or the areas change."""
        unsubs: list[CALLBACK_TYPE] = []
        if not any(recognizer.exposed_names for recognizer in self._recognizers.values()):
            return self._debouncer.async_shutdown

        @callback
        def _changed(*_: Any) -> None:
            self.async_schedule_refresh()

        unsubs.append(self._hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, _changed))
        unsubs.append(self._hass.bus.async_listen(ar.EVENT_AREA_REGISTRY_UPDATED, _changed))
        if "homeassistant" in self._hass.config.components:
            unsubs.append(
                exposed_entities.async_listen_entity_updates(self._hass, ASSISTANT, _changed)
            )

        @callback
        def _stop() -> None:
            for unsub in unsubs:
                unsub()
            self._debouncer.async_shutdown()

        return _stop

    def _wanted(self) -> dict[str, tuple[str, list[Hotword]]]:
        """Return, per recognizer that wants hotwords, its model and its entries."""
        names = functools.cache(lambda: exposed_names(self._hass))  # once for all recognizers
        wanted: dict[str, tuple[str, list[Hotword]]] = {}
        for recognizer in self._recognizers.values():
            model = recognizer.model.name
            if not recognizer.model.bias(self._region).vocabulary:
                continue
            vocabulary = build_vocabulary(*_sources(recognizer, names))
            for text, problem in vocabulary.skipped:
                LOGGER.debug("Hotword %r of %s left out: %s", text, recognizer.title, problem)
            if vocabulary.entries:
                wanted[recognizer.recognizer_id] = (model, list(vocabulary.entries))
        return wanted

    async def async_sync(self) -> None:
        """Create, update or delete vocabularies so that each recognizer has what it wants."""
        async with self._lock:
            self._contexts.clear()  # names may have changed: rebuilt on the next utterance
            self._context_messages.clear()
            wanted = self._wanted()
            for subentry_id, stored in list(self._vocabularies.items()):
                if subentry_id not in wanted or wanted[subentry_id][0] != stored["model"]:
                    await self._delete(stored)
                    del self._vocabularies[subentry_id]
            prefix = await self._prefix() if wanted else ""
            for subentry_id, (model, entries) in wanted.items():
                await self._upload(prefix, subentry_id, model, entries)
            await self._store.async_save(self._vocabularies)

    async def _upload(
        self, prefix: str, subentry_id: str, model: str, entries: list[Hotword]
    ) -> None:
        digest = _digest(model, entries)
        stored = self._vocabularies.get(subentry_id)
        if stored is not None and stored["digest"] == digest:
            return
        try:
            if stored is not None:
                try:
                    await self._client.update(stored["vocabulary_id"], entries)
                    vocabulary_id = stored["vocabulary_id"]
                except DashScopeVocabularyMissingError:
                    vocabulary_id = await self._client.create(prefix, model, entries)
            else:
                vocabulary_id = await self._client.create(prefix, model, entries)
        except DashScopeError as err:
            self._upload_failed(err, len(entries))
            return
        async_vocabulary_uploaded(self._hass, self._entry.entry_id)
        LOGGER.debug("Vocabulary %s holds %d hotwords", vocabulary_id, len(entries))
        self._vocabularies[subentry_id] = StoredVocabulary(
            vocabulary_id=vocabulary_id, model=model, digest=digest
        )

    @callback
    def _upload_failed(self, err: DashScopeError, entries: int) -> None:
        """Tell what stopped an upload; recognition keeps working without the list."""
        if isinstance(err, DashScopeQuotaError):
            async_vocabularies_full(self._hass, self._entry.entry_id, self._entry.title)
        elif isinstance(err, DashScopeServiceError):
            LOGGER.warning("Cannot upload the hotwords (%s entries): %s", entries, err)
        else:
            LOGGER.warning("Cannot upload the hotwords, will retry on the next change: %s", err)

    async def _delete(self, stored: StoredVocabulary) -> None:
        try:
            await self._client.delete(stored["vocabulary_id"])
        except DashScopeVocabularyMissingError:
            pass  # already gone
        except DashScopeError as err:
            LOGGER.warning("Cannot delete vocabulary %s: %s", stored["vocabulary_id"], err)

    async def async_remove_all(self) -> None:
        """Delete every vocabulary of this account (the entry is being removed).

        All at once and within one bound: removing an account must not wait on an unreachable
        service once per vocabulary. What is left then stays on the service (it is named with
        this installation's prefix, so it can be found and deleted in the console).
        """
        await self.async_load()
        deletions = [self._delete(stored) for stored in self._vocabularies.values()]
        try:
            async with asyncio.timeout(REMOVE_ALL_SECONDS):
                await asyncio.gather(*deletions)
        except TimeoutError:
            LOGGER.warning(
                "Gave up deleting %d vocabularies after %.0f s; they stay on the service",
                len(deletions),
                REMOVE_ALL_SECONDS,
            )
        await self._store.async_remove()

    async def _prefix(self) -> str:
        """Return this installation's vocabulary prefix: lowercase letters and digits, 10 max."""
        digest = hashlib.sha256((await instance_id.async_get(self._hass)).encode()).hexdigest()
        return f"ha{digest[:8]}"
