"""The customization API of the local server: hotword vocabularies with the service's limits."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import itertools
import re
from typing import Any

from aiohttp import web

CUSTOMIZATION_PATH = "/api/v1/services/audio/asr/customization"
MAX_LISTS = 10
MAX_ENTRIES = 500
_PREFIX = re.compile(r"^[a-z0-9]{1,10}$")


@dataclass
class StoredVocabulary:
    """A vocabulary as the service keeps it."""

    vocabulary_id: str
    prefix: str
    target_model: str
    entries: list[dict[str, Any]] = field(default_factory=list)


class CustomizationError(Exception):
    """An error answer: HTTP status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        """Keep the answer."""
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


class CustomizationService:
    """Keeps vocabularies per account, as the service does; records every request."""

    def __init__(self, api_key: str, models: dict[str, Any]) -> None:
        """Accept `api_key`; vocabularies may target any of `models`."""
        self.api_key = api_key
        self.models = models
        self.vocabularies: dict[str, StoredVocabulary] = {}
        self.requests: list[dict[str, Any]] = []
        self.delay = 0.0  # seconds before each answer: a slow (or, long, unreachable) service
        self._ids = itertools.count(1)

    async def handle(self, request: web.Request) -> web.Response:
        """Answer one POST to the customization endpoint."""
        if self.delay:
            await asyncio.sleep(self.delay)
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or key != self.api_key:
            return _error(401, "InvalidApiKey", "Invalid API-key provided.")
        try:
            body = await request.json()
            self.requests.append(body)
            output = self._dispatch(body)
        except CustomizationError as err:
            return _error(err.status, err.code, err.message)
        except (ValueError, KeyError, TypeError):
            return _error(400, "InvalidParameter", "Invalid payload data")
        return web.json_response({"output": output, "usage": {"count": 1}, "request_id": "r"})

    def _dispatch(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("model") != "speech-biasing":
            raise CustomizationError(400, "InvalidParameter", "model must be speech-biasing")
        data = body["input"]
        action = data["action"]
        if action == "create_vocabulary":
            return self._create(data)
        if action == "update_vocabulary":
            self._get(data["vocabulary_id"]).entries = _checked(data["vocabulary"])
            return {}
        if action == "delete_vocabulary":
            self._get(data["vocabulary_id"])
            del self.vocabularies[data["vocabulary_id"]]
            return {}
        if action == "query_vocabulary":
            stored = self._get(data["vocabulary_id"])
            return {
                "vocabulary": stored.entries,
                "target_model": stored.target_model,
                "status": "OK",
            }
        if action == "list_vocabulary":
            prefix = data.get("prefix", "")
            return {
                "vocabulary_list": [
                    {"vocabulary_id": v.vocabulary_id, "status": "OK"}
                    for v in self.vocabularies.values()
                    if v.prefix.startswith(prefix)
                ]
            }
        raise CustomizationError(400, "InvalidParameter", f"Unknown action {action}")

    def _create(self, data: dict[str, Any]) -> dict[str, Any]:
        prefix = data.get("prefix", "")
        if not _PREFIX.match(prefix):
            raise CustomizationError(
                400, "InvalidParameter", "prefix: lowercase letters and digits, at most 10"
            )
        if data.get("target_model") not in self.models:
            raise CustomizationError(400, "InvalidParameter", "target_model not supported")
        if len(self.vocabularies) >= MAX_LISTS:
            raise CustomizationError(
                429, "Throttling.AllocationQuota", "Free allocated quota exceeded."
            )
        vocabulary_id = f"vocab-{prefix}-{next(self._ids):08x}"
        self.vocabularies[vocabulary_id] = StoredVocabulary(
            vocabulary_id, prefix, data["target_model"], _checked(data["vocabulary"])
        )
        return {"vocabulary_id": vocabulary_id}

    def _get(self, vocabulary_id: str) -> StoredVocabulary:
        if vocabulary_id not in self.vocabularies:
            raise CustomizationError(404, "BadRequest.ResourceNotExist", "vocabulary not found")
        return self.vocabularies[vocabulary_id]

    def check_task(self, model: str, parameters: dict[str, Any]) -> tuple[str, str] | None:
        """Return (code, message) when a run-task names a vocabulary the service would refuse."""
        vocabulary_id = parameters.get("vocabulary_id")
        if vocabulary_id is None:
            return None
        stored = self.vocabularies.get(vocabulary_id)
        if stored is None:
            return "BadRequest.ResourceNotExist", "vocabulary not found"
        if stored.target_model != model:
            return "InvalidParameter", "vocabulary target_model differs from model"
        return None


def _checked(entries: Any) -> list[dict[str, Any]]:
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise CustomizationError(400, "InvalidParameter", "at most 500 entries")
    for entry in entries:
        text, weight = entry.get("text", ""), entry.get("weight", 4)
        too_long = len(text.split()) > 7 if text.isascii() else len(text) > 15
        if not text or too_long or not isinstance(weight, int) or not 1 <= weight <= 5:
            raise CustomizationError(400, "InvalidParameter", f"invalid entry {entry!r}")
    return list(entries)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message, "request_id": "r"}, status=status)
