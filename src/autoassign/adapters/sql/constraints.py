"""Constraint violations → typed domain errors, by constraint name, in one table.

The schema's naming convention (``tables.metadata``) makes every constraint name stable,
so a violation is recognised by its name, never by matching driver text, and no driver
text ever reaches a client. PostgreSQL reports the name; SQLite reports the columns of a
unique or primary key, which are mapped back to the name through the metadata.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from autoassign.adapters.sql.owned import NOT_FOUND
from autoassign.adapters.sql.tables import metadata
from autoassign.core import errors

#: what a client is told when a uniqueness rule would be broken
UNIQUE: Mapping[str, str] = {
    "uq_assignment_policies_account_id_name": "an assignment policy with this name exists",
    "uq_capacity_policies_account_id_name": "a capacity policy with this name exists",
    "uq_inbox_capacity_limits_capacity_policy_id_inbox_id": (
        "this capacity policy already has a limit for this inbox"
    ),
    "uq_api_tokens_token_hash": "this token exists already",
    "pk_inbox_members": "the agent is already a member of this inbox",
    "pk_team_members": "the agent is already a member of this team",
    "pk_inbox_assignment_policies": "the inbox already has an assignment policy",
}

_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")


def _sqlite_name(message: str) -> str | None:
    """The name of the unique or primary key (or unique index) SQLite names by its columns."""
    match = _SQLITE_UNIQUE.search(message)
    if match is None:
        return None
    qualified = [part.strip().split(".") for part in match.group(1).split(",")]
    table = metadata.tables.get(qualified[0][0])
    columns = {column for _table, column in qualified}
    if table is None:
        return None
    for constraint in table.constraints:
        if isinstance(constraint, sa.PrimaryKeyConstraint | sa.UniqueConstraint) and (
            {c.name for c in constraint.columns} == columns
        ):
            return str(constraint.name)
    for index in table.indexes:
        if index.unique and {c.name for c in index.columns} == columns:
            return str(index.name)
    return None


def constraint_name(exc: IntegrityError) -> str | None:
    diag = getattr(exc.orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if isinstance(name, str):
        return name
    return _sqlite_name(str(exc.orig))


def _referred(name: str) -> str:
    """What a foreign key points at, as a kind a client understands."""
    for table in metadata.tables.values():
        for fk in table.foreign_key_constraints:
            if fk.name == name:
                error = NOT_FOUND.get(fk.referred_table)
                return error.kind if error is not None else fk.referred_table.name
    return "object"


def translate(exc: IntegrityError) -> errors.AutoassignError:
    name = constraint_name(exc)
    if name is not None and name in UNIQUE:
        return errors.Conflict(UNIQUE[name])
    if name is not None and name.startswith("fk_"):
        return errors.Conflict(f"the change refers to a {_referred(name)} that no longer exists")
    if name is not None and name.startswith("ck_"):
        return errors.InvalidValue("a value is outside what this field allows")
    if "FOREIGN KEY" in str(exc.orig):  # SQLite names no foreign key
        return errors.Conflict("the change refers to an object that no longer exists")
    return errors.Conflict("the change conflicts with existing data")
