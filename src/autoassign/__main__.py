"""``python -m autoassign`` runs the CLI."""

from __future__ import annotations

from autoassign.entrypoints.cli import main

main()
