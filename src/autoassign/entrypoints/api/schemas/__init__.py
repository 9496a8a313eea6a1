"""Request and response models, apart from the tables (XCreate / XUpdate / XPublic)."""

from __future__ import annotations
