"""A local, protocol-faithful DashScope server for the tests (runnable on its own)."""

from .script import TaskScript
from .server import DashScopeServer, ServerTask

__all__ = ["DashScopeServer", "ServerTask", "TaskScript"]
