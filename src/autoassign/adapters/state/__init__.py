"""State store adapters: in-process memory (embedded) and Redis (production)."""

from __future__ import annotations
