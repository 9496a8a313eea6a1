"""The Chatwoot connector's adapters: its REST client and its tables."""

from __future__ import annotations

from functools import partial

from autoassign.adapters.chatwoot.client import HttpChatwootApi
from autoassign.adapters.chatwoot.store import SqlConnectorStore
from autoassign.chatwoot.ports import ChatwootApiFactory


def http_api_factory(timeout: float = 10.0) -> ChatwootApiFactory:
    """A client per connection, from its base URL, account and token."""
    return partial(HttpChatwootApi.for_connection, timeout=timeout)


__all__ = ["HttpChatwootApi", "SqlConnectorStore", "http_api_factory"]
