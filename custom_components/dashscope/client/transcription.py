"""Recorded-file transcription: the asynchronous task API, polling and the temporary upload."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass, field
from http import HTTPStatus
import json
from typing import Any

import aiohttp

from .errors import (
    DashScopeConnectionError,
    DashScopeServiceError,
    DashScopeTimeoutError,
    MessageError,
)
from .messages import MALFORMED, object_field, text_field
from .rest import HttpApi

SUBMIT_PATH = "/api/v1/services/audio/asr/transcription"
TASK_PATH = "/api/v1/tasks/{task_id}"
UPLOAD_POLICY_PATH = "/api/v1/uploads"
FIRST_POLL_SECONDS = 1.0  # then doubling, up to MAX_POLL_SECONDS (as the SDK does)
MAX_POLL_SECONDS = 5.0
FINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"})
_TIMEOUT = aiohttp.ClientTimeout(total=30)


@dataclass(frozen=True, slots=True)
class FileTranscript:
    """The outcome for one file: its text and sentences, or its error."""

    file_url: str
    status: str
    text: str = ""
    sentences: tuple[dict[str, Any], ...] = ()
    error_code: str | None = None
    error_message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the action's response for this file."""
        out: dict[str, Any] = {"url": self.file_url, "status": self.status}
        if self.status == "SUCCEEDED":
            out |= {"text": self.text, "sentences": list(self.sentences)}
        else:
            out["error"] = {"code": self.error_code, "message": self.error_message}
        return out


@dataclass(frozen=True, slots=True)
class TranscriptionJob:
    """What to transcribe and how."""

    model: str
    file_urls: Sequence[str]
    parameters: dict[str, Any] = field(default_factory=dict)


class TranscriptionClient:
    """Submit recordings, poll until they are done, fetch the results."""

    def __init__(self, api: HttpApi) -> None:
        """Use the account's HTTP API (and its session for the upload host and result URLs)."""
        self._api = api

    async def transcribe(
        self, job: TranscriptionJob, *, within: float
    ) -> tuple[str, list[FileTranscript]]:
        """Run a job to the end; cancel it on timeout or cancellation. Return id and files."""
        oss = any(url.startswith("oss://") for url in job.file_urls)
        task_id = await self.submit(job, oss_resolve=oss)
        try:
            async with asyncio.timeout(within):
                output = await self._poll(task_id)
        except TimeoutError as err:
            await self._cancel_quietly(task_id)
            raise DashScopeTimeoutError(
                f"Transcription task {task_id} did not finish within {within:g} s"
            ) from err
        except asyncio.CancelledError:
            await asyncio.shield(self._cancel_quietly(task_id))
            raise
        results = output.get("results") or []
        if not isinstance(results, list):
            raise MessageError("Malformed transcription task: results is not a list")
        return task_id, [await self._file(result) for result in results]

    async def submit(self, job: TranscriptionJob, *, oss_resolve: bool = False) -> str:
        """Submit a job; return its task id."""
        headers = {"X-DashScope-Async": "enable"}
        if oss_resolve:
            headers["X-DashScope-OssResourceResolve"] = "enable"
        body = {
            "model": job.model,
            "input": {"file_urls": list(job.file_urls)},
            "parameters": dict(job.parameters),  # always sent, even empty
        }
        data = await self._api.request(
            "POST", SUBMIT_PATH, json_body=body, headers=headers, require="output"
        )
        task_id = text_field(object_field(data, "output", "transcription answer"), "task_id")
        if not task_id:
            raise MessageError("Malformed transcription answer: no task_id")
        return task_id

    async def status(self, task_id: str) -> dict[str, Any]:
        """Return a task's `output`."""
        data = await self._api.request("GET", TASK_PATH.format(task_id=task_id))
        return object_field(data, "output", "transcription task")

    async def cancel(self, task_id: str) -> None:
        """Cancel a task."""
        await self._api.request("POST", TASK_PATH.format(task_id=task_id) + "/cancel")

    async def upload(self, model: str, file_name: str, content: bytes) -> str:
        """Upload a local file through the temporary-upload API; return its `oss://` URL.

        Uploaded files live 48 hours; the service advises against this in production.
        """
        data = await self._api.request(
            "GET",
            UPLOAD_POLICY_PATH,
            params={"action": "getPolicy", "model": model},
            require="data",
        )
        policy = object_field(data, "data", "upload policy")
        try:
            key = f"{policy['upload_dir']}/{file_name}"
            fields = (
                ("OSSAccessKeyId", policy["oss_access_key_id"]),
                ("Signature", policy["signature"]),
                ("policy", policy["policy"]),
                ("key", key),
                ("x-oss-object-acl", policy["x_oss_object_acl"]),
                ("x-oss-forbid-overwrite", policy["x_oss_forbid_overwrite"]),
                ("success_action_status", "200"),
            )
        except KeyError as err:
            raise MessageError(f"Malformed upload policy: no {err}") from None
        form = aiohttp.FormData()
        for name, value in fields:
            form.add_field(name, str(value))
        form.add_field("file", content, filename=file_name)
        status, _ = await self._api.send(
            "POST", policy["upload_host"], what="The upload", data=form, client_timeout=_TIMEOUT
        )
        if status != HTTPStatus.OK:
            raise DashScopeServiceError(f"HTTP {status}", "upload refused")
        return f"oss://{key}"

    async def _poll(self, task_id: str) -> dict[str, Any]:
        """Poll after 1 s, doubling the wait up to 5 s, until the task reaches a final state."""
        wait = FIRST_POLL_SECONDS
        while True:
            await asyncio.sleep(wait)
            output = await self.status(task_id)
            if output.get("task_status") in FINAL_STATES:
                return output
            wait = min(wait * 2, MAX_POLL_SECONDS)

    async def _file(self, result: dict[str, Any]) -> FileTranscript:
        """Return one file's outcome: every subtask is checked, not only the task."""
        if not isinstance(result, dict):
            raise MessageError("Malformed transcription task: a result is not an object")
        url = text_field(result, "file_url")
        status = text_field(result, "subtask_status") or "UNKNOWN"
        if status != "SUCCEEDED" or not text_field(result, "transcription_url"):
            return FileTranscript(
                url,
                status,
                error_code=text_field(result, "code") or None,
                error_message=text_field(result, "message") or None,
            )
        document = await self._fetch(text_field(result, "transcription_url"))
        try:
            return _file_transcript(url, status, document)
        except MALFORMED:
            raise MessageError(f"Malformed transcription result of {url}") from None

    async def _fetch(self, url: str) -> dict[str, Any]:
        status, text = await self._api.send(
            "GET", url, what="The result download", client_timeout=_TIMEOUT
        )
        if status != HTTPStatus.OK:
            raise DashScopeServiceError(f"HTTP {status}", "result download")
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as err:
            raise DashScopeServiceError("InvalidResult", "the result is not JSON") from err
        if not isinstance(document, dict):
            raise DashScopeServiceError("InvalidResult", "the result is not a JSON object")
        return document

    async def _cancel_quietly(self, task_id: str) -> None:
        # The task may have finished meanwhile: a failed cancel changes nothing.
        with contextlib.suppress(
            DashScopeServiceError, DashScopeConnectionError, DashScopeTimeoutError
        ):
            await self.cancel(task_id)


def _file_transcript(url: str, status: str, document: dict[str, Any]) -> FileTranscript:
    """Read a result document: its channels' texts and sentences (a bad shape raises)."""
    transcripts = document.get("transcripts") or []
    sentences = tuple(
        {
            "text": text_field(sentence, "text"),
            "begin_ms": sentence.get("begin_time"),
            "end_ms": sentence.get("end_time"),
            **({"speaker_id": sentence["speaker_id"]} if "speaker_id" in sentence else {}),
            **({"channel_id": t.get("channel_id")} if len(transcripts) > 1 else {}),
        }
        for t in transcripts
        for sentence in t.get("sentences") or []
    )
    text = "\n".join(text_field(t, "text") for t in transcripts)
    return FileTranscript(url, status, text=text, sentences=sentences)
