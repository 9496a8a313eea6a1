"""Delivery: the CLI (and later the HTTP API and admin page)."""

from __future__ import annotations
