"""SQL store adapter: SQLAlchemy Core over SQLite (embedded) or PostgreSQL (production)."""

from __future__ import annotations
