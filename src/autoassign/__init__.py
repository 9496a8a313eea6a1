"""autoassign: assigns support conversations to agents fairly, within limits, atomically."""

from __future__ import annotations

from autoassign.bootstrap import Engine, build, upgrade_database
from autoassign.config import Settings
from autoassign.core import errors
from autoassign.services.assign import BatchResult, Outcome

__all__ = ["BatchResult", "Engine", "Outcome", "Settings", "build", "errors", "upgrade_database"]
