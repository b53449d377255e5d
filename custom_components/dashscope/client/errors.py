"""Exceptions raised by the DashScope client.

Every failure that leaves the client is one of these, converted once at the edge where it
happens: transport problems become `DashScopeConnectionError`, a refused handshake
`DashScopeAuthError`, a `task-failed` event `DashScopeTaskError` and an expired deadline
`DashScopeTimeoutError`. None of them carries the API key.
"""

from __future__ import annotations

AUTH_ERROR_CODES = frozenset({"InvalidApiKey", "AccessDenied", "Unauthorized"})
MODEL_NOT_FOUND_CODE = "ModelNotFound"
QUOTA_EXCEEDED_CODE = "Throttling.AllocationQuota"
THROTTLING_PREFIX = "Throttling"
THROTTLED_CODE = "Throttling.RateQuota"


class DashScopeError(Exception):
    """Base class of every error raised by the DashScope client."""


class DashScopeConnectionError(DashScopeError):
    """The service could not be reached or the connection broke."""


class DashScopeAuthError(DashScopeError):
    """The service refused the API key (HTTP 401/403 or `InvalidApiKey`)."""


class DashScopeTimeoutError(DashScopeError):
    """The service did not answer within the allowed time."""


class DashScopeServiceError(DashScopeError):
    """The service answered with an error code (a failed task or HTTP request)."""

    def __init__(self, code: str, message: str) -> None:
        """Keep the service's error code and message."""
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message

    @property
    def model_not_found(self) -> bool:
        """Return True when the model does not exist in this region."""
        return self.code == MODEL_NOT_FOUND_CODE

    @property
    def throttled(self) -> bool:
        """Return True when the service asks to slow down (`Throttling.*`, HTTP 429)."""
        return self.code.startswith(THROTTLING_PREFIX)


class DashScopeTaskError(DashScopeServiceError):
    """The service ended a task with `task-failed`."""
