"""Exceptions raised by the DashScope client, and the one place service codes are decided.

Every failure that leaves the client is one of these, converted once at the edge where it
happens: transport problems become `DashScopeConnectionError`, an expired deadline
`DashScopeTimeoutError`, a refused key `DashScopeAuthError`, and every error code the service
answers with (a `task-failed` event, an HTTP error body, an HTTP 429 on connect) goes through
`service_error`, which picks the class from `_KINDS`. None of them carries the API key.

    DashScopeError
    ├── DashScopeConnectionError, DashScopeTimeoutError, DashScopeAuthError
    ├── UnsupportedAudioError (the audio cannot be sent as declared)
    ├── MessageError (an answer of a shape, type, size or depth the client cannot read)
    └── DashScopeServiceError(code, message)
        ├── DashScopeModelNotFoundError, DashScopeVocabularyMissingError,
        │   DashScopeNoSpeechError, DashScopeBadAudioError
        ├── DashScopeThrottledError
        │   └── DashScopeQuotaError
        └── DashScopeTaskError (any other `task-failed`)
"""

from __future__ import annotations


class DashScopeError(Exception):
    """Base class of every error raised by the DashScope client."""


class DashScopeConnectionError(DashScopeError):
    """The service could not be reached or the connection broke."""


class DashScopeAuthError(DashScopeError):
    """The service refused the API key (HTTP 401/403 or `InvalidApiKey`)."""


class DashScopeTimeoutError(DashScopeError):
    """The service did not answer within the allowed time."""


class UnsupportedAudioError(DashScopeError):
    """The audio is not in a format that can be sent as declared (found before sending)."""


class MessageError(DashScopeError):
    """A message from the service could not be understood (never a raw Python exception)."""


class DashScopeServiceError(DashScopeError):
    """The service answered with an error code (a failed task or HTTP request)."""

    def __init__(self, code: str, message: str) -> None:
        """Keep the service's error code and message."""
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class DashScopeTaskError(DashScopeServiceError):
    """The service ended a task with `task-failed`, for a reason with no class of its own."""


class DashScopeModelNotFoundError(DashScopeServiceError):
    """The model does not exist at this endpoint (wrong name, or not in this region)."""


class DashScopeThrottledError(DashScopeServiceError):
    """The service asks to slow down (`Throttling.*`, HTTP 429): worth one retry."""


class DashScopeQuotaError(DashScopeThrottledError):
    """A free allocation is used up (e.g. the account's 10 hotword lists)."""


class DashScopeVocabularyMissingError(DashScopeServiceError):
    """The vocabulary a request names does not exist (deleted behind our back)."""


class DashScopeNoSpeechError(DashScopeServiceError):
    """The audio held no speech; the key, endpoint and model still work."""


class DashScopeBadAudioError(DashScopeServiceError):
    """The service could not decode the audio as declared."""


# The service's codes (../shared/dashscope-protocol.md, section 2) and what they mean.
_AUTH_CODES = frozenset({"InvalidApiKey", "AccessDenied", "Unauthorized"})
_KINDS: dict[str, type[DashScopeServiceError]] = {
    "ModelNotFound": DashScopeModelNotFoundError,
    "model_not_found": DashScopeModelNotFoundError,  # the realtime protocol's spelling
    "Throttling.AllocationQuota": DashScopeQuotaError,
    "BadRequest.ResourceNotExist": DashScopeVocabularyMissingError,
    "NotFound": DashScopeVocabularyMissingError,
    "NO_INPUT_AUDIO_ERROR": DashScopeNoSpeechError,
    "NO_VALID_AUDIO_ERROR": DashScopeNoSpeechError,
    "UNSUPPORTED_FORMAT": DashScopeBadAudioError,
}
_THROTTLING_PREFIX = "Throttling"  # Throttling.RateQuota, Throttling.Concurrency, …
THROTTLED_CODE = "Throttling.RateQuota"  # what an HTTP 429 on connect stands for


def service_error(code: str, message: str = "", *, task: bool = False) -> DashScopeError:
    """Return the exception for an error code the service answered with.

    `task` says the code came in a `task-failed` event: a code without a class of its own is
    then a `DashScopeTaskError`, otherwise (an HTTP API's answer) a `DashScopeServiceError`.
    """
    if code in _AUTH_CODES:
        return DashScopeAuthError(f"{code}: {message}" if message else code)
    kind = _KINDS.get(code)
    if kind is None and code.startswith(_THROTTLING_PREFIX):
        kind = DashScopeThrottledError
    if kind is None:
        kind = DashScopeTaskError if task else DashScopeServiceError
    return kind(code, message)
