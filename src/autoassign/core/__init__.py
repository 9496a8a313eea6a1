"""The pure domain core: entities, policies, eligibility, selectors and the batch planner.

Nothing here performs I/O or reads the wall clock; time is always handed in.
"""

from __future__ import annotations
