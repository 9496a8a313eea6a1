"""The API tests' client fixtures (an app per back end pair), for the what-if route."""

from __future__ import annotations

from tests.api.conftest import account, api

__all__ = ["account", "api"]
