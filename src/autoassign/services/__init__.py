"""Use cases: each opens what it needs through the ports, calls the core, and commits."""

from __future__ import annotations
