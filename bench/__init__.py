"""`make bench`: how fast autoassign assigns, against what, and how its cost grows.

Not part of the product (nothing under ``src/`` imports it). ``baseline.py`` holds a port
of the reference system's per-conversation algorithm, kept only as the comparison baseline.
"""
