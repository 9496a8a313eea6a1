"""One repository per aggregate: the writes, and the look-ups those writes need.

Lists and composite views are the read side's (``adapters/sql/queries.py``).
"""
