"""The HTTP API: FastAPI routers over the engine, Chatwoot-shaped where Chatwoot has a shape."""

from __future__ import annotations
