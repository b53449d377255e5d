"""The recorded-file transcription API of the local server, with its temporary upload.

Tasks move PENDING -> RUNNING -> a final state after `polls_to_finish` polls. Each file
succeeds or fails on its own (scripted per URL); the task is SUCCEEDED when any file did.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import itertools
import time
from typing import Any

from aiohttp import web

SUBMIT_PATH = "/api/v1/services/audio/asr/transcription"
MODELS = frozenset({"paraformer-v2", "paraformer-8k-v2", "paraformer-v1", "fun-asr", "fun-asr-mtl"})


@dataclass
class FileOutcome:
    """What the service makes of one file."""

    text: str = "录音内容。"
    speakers: int = 1
    error: tuple[str, str] | None = None  # (code, message) to fail this file


@dataclass
class AsyncTask:
    """One submitted task."""

    task_id: str
    request: dict[str, Any]
    headers: dict[str, str]
    status: str = "PENDING"
    polls: list[float] = field(default_factory=list)


class TranscriptionService:
    """Keeps tasks and uploads; tests script outcomes and read what was asked."""

    def __init__(self, api_key_source: Any) -> None:
        """`api_key_source()` returns the key the service accepts."""
        self._key = api_key_source
        self.outcomes: dict[str, FileOutcome] = {}
        self.tasks: dict[str, AsyncTask] = {}
        self.uploads: dict[str, bytes] = {}
        self.polls_to_finish = 2
        self.slow_seconds = 0.0  # uploads and result downloads answer this late
        self._ids = itertools.count(1)

    def routes(self, app: web.Application) -> None:
        """Register the routes."""
        app.router.add_post(SUBMIT_PATH, self._submit)
        app.router.add_get("/api/v1/tasks/{task_id}", self._status)
        app.router.add_post("/api/v1/tasks/{task_id}/cancel", self._cancel)
        app.router.add_get("/api/v1/uploads", self._policy)
        app.router.add_post("/oss", self._upload)
        app.router.add_get("/results/{task_id}/{index}.json", self._result)

    def _authorized(self, request: web.Request) -> bool:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and key == self._key()

    async def _submit(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "InvalidApiKey", "Invalid API-key provided.")
        if request.headers.get("X-DashScope-Async") != "enable":
            return _error(
                403, "AccessDenied", "current user api does not support synchronous calls"
            )
        body = await request.json()
        urls = body.get("input", {}).get("file_urls")
        if body.get("model") not in MODELS:
            return _error(400, "ModelNotFound", "Model can not be found.")
        if "parameters" not in body or not isinstance(urls, list) or not 1 <= len(urls) <= 100:
            return _error(400, "InvalidParameter", "parameters and 1..100 file_urls are required")
        for url in urls:
            if url.startswith("oss://"):
                if request.headers.get("X-DashScope-OssResourceResolve") != "enable":
                    return _error(400, "InvalidParameter", "oss:// needs OssResourceResolve")
                if url.removeprefix("oss://") not in self.uploads:
                    return _error(400, "InvalidFile.NotFound", "uploaded file not found")
            elif not url.startswith(("http://", "https://")):
                return _error(400, "InvalidParameter", f"unsupported URL {url}")
        task_id = f"task-{next(self._ids):04d}"
        self.tasks[task_id] = AsyncTask(task_id, body, dict(request.headers))
        return web.json_response(
            {"output": {"task_status": "PENDING", "task_id": task_id}, "request_id": "r"}
        )

    async def _status(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "InvalidApiKey", "Invalid API-key provided.")
        task = self.tasks.get(request.match_info["task_id"])
        if task is None:
            return _error(404, "NotFound", "task not found")
        task.polls.append(time.monotonic())
        if task.status in ("PENDING", "RUNNING"):
            task.status = "RUNNING"
            if len(task.polls) >= self.polls_to_finish:
                task.status = self._final(task)
        output: dict[str, Any] = {"task_id": task.task_id, "task_status": task.status}
        if task.status in ("SUCCEEDED", "FAILED"):
            output["results"] = self._results(task, request)
        return web.json_response({"output": output, "request_id": "r"})

    def _final(self, task: AsyncTask) -> str:
        urls = task.request["input"]["file_urls"]
        ok = any(self.outcomes.get(url, FileOutcome()).error is None for url in urls)
        return "SUCCEEDED" if ok else "FAILED"

    def _results(self, task: AsyncTask, request: web.Request) -> list[dict[str, Any]]:
        results = []
        for index, url in enumerate(task.request["input"]["file_urls"]):
            outcome = self.outcomes.get(url, FileOutcome())
            if outcome.error is not None:
                results.append(
                    {
                        "file_url": url,
                        "subtask_status": "FAILED",
                        "code": outcome.error[0],
                        "message": outcome.error[1],
                    }
                )
            else:
                base = f"{request.scheme}://{request.host}"
                results.append(
                    {
                        "file_url": url,
                        "subtask_status": "SUCCEEDED",
                        "transcription_url": f"{base}/results/{task.task_id}/{index}.json",
                    }
                )
        return results  # fmt: skip

    async def _result(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.slow_seconds)
        task = self.tasks[request.match_info["task_id"]]
        url = task.request["input"]["file_urls"][int(request.match_info["index"])]
        outcome = self.outcomes.get(url, FileOutcome())
        diarize = task.request["parameters"].get("diarization_enabled", False)
        sentences = []
        for number, text in enumerate(outcome.text.split("。")[:-1] or [outcome.text]):
            sentence: dict[str, Any] = {
                "begin_time": number * 1000,
                "end_time": number * 1000 + 900,
                "text": text + "。",
                "sentence_id": number + 1,
                "words": [],
            }
            if diarize:
                sentence["speaker_id"] = number % outcome.speakers
            sentences.append(sentence)
        return web.json_response({
            "file_url": url,
            "properties": {"audio_format": "wav", "channels": [0],
                           "original_sampling_rate": 16000,
                           "original_duration_in_milliseconds": len(sentences) * 1000},
            "transcripts": [{"channel_id": 0, "text": outcome.text, "sentences": sentences}],
        })  # fmt: skip

    async def _cancel(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "InvalidApiKey", "Invalid API-key provided.")
        task = self.tasks.get(request.match_info["task_id"])
        if task is None:
            return _error(404, "NotFound", "task not found")
        if task.status in ("PENDING", "RUNNING"):
            task.status = "CANCELED"
        return web.json_response({"request_id": "r"})

    async def _policy(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _error(401, "InvalidApiKey", "Invalid API-key provided.")
        if request.query.get("action") != "getPolicy" or "model" not in request.query:
            return _error(400, "InvalidParameter", "action=getPolicy&model= required")
        base = f"{request.scheme}://{request.host}"
        return web.json_response({"request_id": "r", "data": {
            "policy": "cG9saWN5", "signature": "c2ln", "upload_dir": "dashscope-instant/abc/2026",
            "upload_host": f"{base}/oss", "oss_access_key_id": "LTAI", "expire_in_seconds": 300,
            "max_file_size_mb": 100, "capacity_limit_mb": 999, "x_oss_object_acl": "private",
            "x_oss_forbid_overwrite": "true"}})  # fmt: skip

    async def _upload(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.slow_seconds)
        form = await request.post()
        required = {"OSSAccessKeyId", "Signature", "policy", "key", "success_action_status", "file"}
        if not required <= set(form):
            return web.Response(status=400, text="missing fields")
        upload = form["file"]
        content = upload.file.read() if isinstance(upload, web.FileField) else b""
        self.uploads[str(form["key"])] = content
        return web.Response(status=200)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message, "request_id": "r"}, status=status)
