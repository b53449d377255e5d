"""Actions: transcribe a local file (real-time API) or recordings at URLs (file API).

Failures follow the same path as Assist's (`outcome.py`): a refused key starts reauth, a
missing model raises the repair, the numbers reach diagnostics; then the action raises.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from homeassistant.components import media_source
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_ENTITY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, entity_registry as er

from .client import (
    DashScopeError,
    UnsupportedAudioError,
)
from .client.catalog import DEFAULT_FILE_MODEL
from .client.files import AudioFile, read_audio_file
from .client.transcription import TranscriptionJob
from .const import CONF_LANGUAGE_HINTS, CONF_MODEL, DOMAIN
from .failures import action_error
from .file_recognition import recognize_file
from .outcome import async_service_failed
from .recognizer import Recognizer
from .runtime import DashScopeConfigEntry
from .validation import vol

SERVICE_TRANSCRIBE_FILE = "transcribe_file"
SERVICE_TRANSCRIBE_URL = "transcribe_url"
ATTR_FILE = "file"
ATTR_MEDIA = "media"
ATTR_LANGUAGE = "language"
ATTR_SPEED = "speed"
ATTR_CONFIG_ENTRY = "config_entry_id"
ATTR_URLS = "urls"
ATTR_FILES = "files"
ATTR_DIARIZATION = "diarization"
ATTR_SPEAKER_COUNT = "speaker_count"
ATTR_VOCABULARY_ID = "vocabulary_id"
ATTR_TIMEOUT = "timeout"

TRANSCRIBE_FILE_SCHEMA = vol.All(
    vol.Schema(
        {
            vol.Required(CONF_ENTITY_ID): cv.entity_id,
            vol.Exclusive(ATTR_FILE, "source"): cv.string,
            vol.Exclusive(ATTR_MEDIA, "source"): cv.string,
            vol.Optional(ATTR_LANGUAGE): cv.string,
            vol.Optional(ATTR_SPEED, default=1.0): vol.All(
                vol.Coerce(float), vol.Range(min=0.5, max=10)
            ),
        }
    ),
    cv.has_at_least_one_key(ATTR_FILE, ATTR_MEDIA),
)
TRANSCRIBE_URL_SCHEMA = vol.All(
    vol.Schema(
        {
            vol.Required(ATTR_CONFIG_ENTRY): cv.string,
            vol.Optional(ATTR_URLS, default=[]): vol.All(cv.ensure_list, [cv.string]),
            vol.Optional(ATTR_FILES, default=[]): vol.All(cv.ensure_list, [cv.string]),
            vol.Optional(CONF_MODEL, default=DEFAULT_FILE_MODEL): cv.string,
            vol.Optional(CONF_LANGUAGE_HINTS, default=[]): vol.All(cv.ensure_list, [cv.string]),
            vol.Optional(ATTR_DIARIZATION, default=False): cv.boolean,
            vol.Optional(ATTR_SPEAKER_COUNT): vol.All(vol.Coerce(int), vol.Range(min=2, max=100)),
            vol.Optional(ATTR_VOCABULARY_ID): cv.string,
            vol.Optional(ATTR_TIMEOUT, default=300): vol.All(
                vol.Coerce(float), vol.Range(min=1, max=43200)
            ),
        }
    ),
    cv.has_at_least_one_key(ATTR_URLS, ATTR_FILES),
)


# The ids of the local media source (media_source/local/...): `media-source://media_source/`.
LOCAL_MEDIA = f"{media_source.generate_media_source_id(media_source.DOMAIN, '')}/"


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


async def _allowed_file(hass: HomeAssistant, path_text: str) -> Path:
    """Refuse anything outside `allowlist_external_dirs`, and files that do not exist."""
    path = await hass.async_add_executor_job(Path(path_text).resolve)
    if not await hass.async_add_executor_job(hass.config.is_allowed_path, str(path)):
        raise _invalid("path_not_allowed", path=path_text)
    if not await hass.async_add_executor_job(path.is_file):
        raise _invalid("file_not_found", path=path_text)
    return path


async def _media_file(hass: HomeAssistant, media_id: str) -> Path:
    """Return the local file behind a media-source id, if the allowlist lets it be read.

    Resolved through the media source's public API: only items that resolve to a file on this
    machine (local media) have a path; anything else (TTS, cameras, remote media) does not.
    The local source serves only files whose type it can tell from the name (it fails
    otherwise, with no error of its API), so such names are refused before resolving.
    """
    if media_id.startswith(LOCAL_MEDIA) and mimetypes.guess_type(media_id)[0] is None:
        raise _invalid("unsupported_format", path=media_id, error="unknown file type")
    try:
        media = await media_source.async_resolve_media(hass, media_id, None)
    except HomeAssistantError as err:  # media_source.Unresolvable, and what a source raises
        raise _invalid("media_not_local", media=media_id) from err
    if media.path is None:
        raise _invalid("media_not_local", media=media_id)
    return await _allowed_file(hass, str(media.path))


async def _read(hass: HomeAssistant, path: Path, shown: str) -> AudioFile:
    try:
        return await hass.async_add_executor_job(read_audio_file, path)
    except UnsupportedAudioError as err:
        raise _invalid("unsupported_format", path=shown, error=str(err)) from err


def _recognizer(hass: HomeAssistant, entity_id: str) -> tuple[DashScopeConfigEntry, Recognizer]:
    """Return the account and the recognizer behind a DashScope speech-to-text entity."""
    registered = er.async_get(hass).async_get(entity_id)
    if registered is not None and registered.config_entry_id is not None:
        entry = hass.config_entries.async_get_entry(registered.config_entry_id)
        if (
            entry is not None
            and entry.domain == DOMAIN
            and entry.state is ConfigEntryState.LOADED
            and registered.config_subentry_id in entry.runtime_data.recognizers
        ):
            recognizer: Recognizer = entry.runtime_data.recognizers[registered.config_subentry_id]
            return entry, recognizer
    raise _invalid("not_a_dashscope_engine", entity_id=entity_id)


async def _transcribe_file(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    entity_id = call.data[CONF_ENTITY_ID]
    entry, recognizer = _recognizer(hass, entity_id)
    if ATTR_FILE in call.data:
        path = await _allowed_file(hass, call.data[ATTR_FILE])
        shown = call.data[ATTR_FILE]
    else:
        path = await _media_file(hass, call.data[ATTR_MEDIA])
        shown = call.data[ATTR_MEDIA]
    audio_file = await _read(hass, path, shown)
    try:
        language = call.data.get(ATTR_LANGUAGE) or recognizer.default_language(hass)
        response: ServiceResponse = await recognize_file(
            hass,
            entry.runtime_data,
            recognizer,
            audio_file,
            language,
            call.data[ATTR_SPEED],
            entity_id=entity_id,
        )
    except UnsupportedAudioError as err:
        raise _invalid("unsupported_format", path=shown, error=str(err)) from err
    except DashScopeError as err:
        raise action_error(err) from err
    return response


async def _transcribe_url(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    entry = hass.config_entries.async_get_entry(call.data[ATTR_CONFIG_ENTRY])
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        raise _invalid("entry_not_loaded", entry=call.data[ATTR_CONFIG_ENTRY])
    for url in call.data[ATTR_URLS]:
        if not url.startswith(("http://", "https://")):
            raise _invalid("url_not_http", url=url)
    client = entry.runtime_data.client.transcriptions
    model = call.data[CONF_MODEL]
    urls = list(call.data[ATTR_URLS])
    try:
        for path_text in call.data[ATTR_FILES]:
            path = await _allowed_file(hass, path_text)
            content = await hass.async_add_executor_job(path.read_bytes)
            urls.append(await client.upload(model, path.name, content))
        parameters: dict[str, Any] = {}
        if hints := call.data[CONF_LANGUAGE_HINTS]:
            parameters["language_hints"] = hints
        if call.data[ATTR_DIARIZATION]:
            parameters["diarization_enabled"] = True
            if ATTR_SPEAKER_COUNT in call.data:
                parameters["speaker_count"] = call.data[ATTR_SPEAKER_COUNT]
        if ATTR_VOCABULARY_ID in call.data:
            parameters["vocabulary_id"] = call.data[ATTR_VOCABULARY_ID]
        task_id, files = await client.transcribe(
            TranscriptionJob(model, urls, parameters), within=call.data[ATTR_TIMEOUT]
        )
    except DashScopeError as err:
        async_service_failed(hass, entry.entry_id, err)
        raise action_error(err) from err
    return {"task_id": task_id, "files": [file.as_dict() for file in files]}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions (once, for every account)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_TRANSCRIBE_FILE,
        _transcribe_file,
        schema=TRANSCRIBE_FILE_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_TRANSCRIBE_URL,
        _transcribe_url,
        schema=TRANSCRIBE_URL_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
