"""autoassign: assigns support conversations to agents fairly, within limits, atomically."""

from __future__ import annotations

from importlib.metadata import version

from autoassign.bootstrap import Engine, build, upgrade_database
from autoassign.config import Settings
from autoassign.core import errors
from autoassign.core.reasons import OutcomeKind
from autoassign.services.assign import BatchResult, Outcome

__version__ = version("autoassign")  # one version: the one pyproject.toml declares

__all__ = [
    "BatchResult",
    "Engine",
    "Outcome",
    "OutcomeKind",
    "Settings",
    "__version__",
    "build",
    "errors",
    "upgrade_database",
]
