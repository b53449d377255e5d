"""The HTTP APIs: authenticated JSON requests, and custom vocabularies (hotwords)."""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
import json
from typing import Any

import aiohttp

from .endpoints import Endpoint
from .errors import (
    DashScopeAuthError,
    DashScopeConnectionError,
    DashScopeError,
    DashScopeTimeoutError,
    MessageError,
    service_error,
)
from .hotwords import Hotword
from .messages import object_field, text_field

CUSTOMIZATION_PATH = "/api/v1/services/audio/asr/customization"
_TIMEOUT = aiohttp.ClientTimeout(total=15)


class HttpApi:
    """Authenticated JSON requests to one endpoint; every failure becomes a DashScope error.

    Errors are converted here, once, for every HTTP API: transport problems and timeouts,
    401/403, and any other answer without the expected JSON (a proxy's HTML page included).
    """

    def __init__(self, http: aiohttp.ClientSession, api_key: str, endpoint: Endpoint) -> None:
        """Use the account's key on the endpoint's HTTP base URL."""
        self._http = http
        self._api_key = api_key
        self._endpoint = endpoint

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        require: str | None = None,
    ) -> dict[str, Any]:
        """Return the JSON answer; `require` names a key a successful answer must have."""
        status, text = await self.send(
            method,
            self._endpoint.http_base_url + path,
            what=path,
            json=json_body,
            headers=headers or {},
            params=params,
            authenticated=True,
        )
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            data = None  # e.g. a proxy's HTML error page
        if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            raise DashScopeAuthError(f"API key refused (HTTP {status})")
        if (
            status != HTTPStatus.OK
            or not isinstance(data, dict)
            or (require is not None and require not in data)
        ):
            details = data if isinstance(data, dict) else {}
            code = text_field(details, "code") or f"HTTP {status}"
            raise service_error(code, text_field(details, "message"))
        return data

    async def send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        client_timeout: aiohttp.ClientTimeout = _TIMEOUT,
        headers: dict[str, str] | None = None,
        authenticated: bool = False,
        **kwargs: Any,
    ) -> tuple[int, str]:
        """Return the status and body of one request; transport failures become errors here.

        Also for the URLs the service hands out (the upload host, result files), which take
        no key (`authenticated` False): `what` names the request in the error, never the
        URL's signature. The key is added in the call itself, so that no local variable of
        a frame in an error's traceback holds it.
        """
        failure: DashScopeError
        try:
            async with self._http.request(
                method,
                url,
                timeout=client_timeout,
                headers=(self._endpoint.headers(self._api_key) if authenticated else {})
                | (headers or {}),
                **kwargs,
            ) as response:
                return response.status, await response.text()
        except TimeoutError:
            failure = DashScopeTimeoutError(f"{what} did not answer")
        except aiohttp.ClientError as err:
            failure = DashScopeConnectionError(f"{what} failed: {err.__class__.__name__}")
        # Raised outside the handler: aiohttp's errors carry the request's headers (the key)
        # in their repr, so they must be neither the cause nor the context of ours.
        raise failure


class VocabularyClient:
    """Create, update, list and delete hotword vocabularies of one account."""

    def __init__(self, api: HttpApi) -> None:
        """Use the account's HTTP API."""
        self._api = api

    async def create(self, prefix: str, target_model: str, entries: Iterable[Hotword]) -> str:
        """Create a vocabulary; return its id."""
        output = await self._call(
            {
                "action": "create_vocabulary",
                "target_model": target_model,
                "prefix": prefix,
                "vocabulary": [entry.to_json() for entry in entries],
            }
        )
        vocabulary_id = text_field(output, "vocabulary_id")
        if not vocabulary_id:
            raise MessageError("Malformed vocabulary answer: no vocabulary_id")
        return vocabulary_id

    async def update(self, vocabulary_id: str, entries: Iterable[Hotword]) -> None:
        """Replace a vocabulary's entries."""
        await self._call(
            {
                "action": "update_vocabulary",
                "vocabulary_id": vocabulary_id,
                "vocabulary": [entry.to_json() for entry in entries],
            }
        )

    async def delete(self, vocabulary_id: str) -> None:
        """Delete a vocabulary."""
        await self._call({"action": "delete_vocabulary", "vocabulary_id": vocabulary_id})

    async def list(self, prefix: str) -> list[dict[str, Any]]:
        """Return the vocabularies whose id starts with the prefix."""
        output = await self._call(
            {"action": "list_vocabulary", "prefix": prefix, "page_index": 0, "page_size": 100}
        )
        found = output.get("vocabulary_list") or []
        if not isinstance(found, list) or not all(
            isinstance(row, dict) and text_field(row, "vocabulary_id") for row in found
        ):
            raise MessageError("Malformed vocabulary list")
        return found

    async def _call(self, request_input: dict[str, Any]) -> dict[str, Any]:
        body = {"model": "speech-biasing", "input": request_input}
        data = await self._api.request("POST", CUSTOMIZATION_PATH, json_body=body, require="output")
        return object_field(data, "output", "vocabulary answer")
