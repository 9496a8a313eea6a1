"""input validation: capacity policy names unique per account

Capacity policy names were documented as unique per account but nothing held it. A
unique index (not a constraint: SQLite adds an index in place, whereas adding a
constraint rebuilds the table, and dropping the old table would cascade to its inbox
limits and detach its agents) now does, and a duplicate is a 409.

Names that are already duplicated are renamed first, the same way on every run: in each
account the policy with the lowest id keeps its name and the others, in id order, get the
first free suffix " (2)", " (3)"... (the name cut so that it still fits 255 characters).
A suffix never takes a name that another policy of the account already has.

Revision ID: c811a38e55bc
Revises: 5e6f7a8b9c0d
Create Date: 2026-11-27 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c811a38e55bc"
down_revision: str | None = "5e6f7a8b9c0d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_capacity_policies_account_id_name"
MAX_NAME = 255

policies = sa.table(
    "capacity_policies",
    sa.column("id", sa.BigInteger()),
    sa.column("account_id", sa.BigInteger()),
    sa.column("name", sa.String(MAX_NAME)),
)


def renames(rows: Sequence[tuple[int, int, str]]) -> dict[int, str]:
    """New names for the duplicates among (id, account_id, name) rows: id → name."""
    taken: dict[int, set[str]] = {}
    for _id, account_id, name in rows:
        taken.setdefault(account_id, set()).add(name)
    kept: set[tuple[int, str]] = set()
    renamed: dict[int, str] = {}
    for policy_id, account_id, name in sorted(rows):
        if (account_id, name) not in kept:
            kept.add((account_id, name))
            continue
        number = 2
        while True:
            suffix = f" ({number})"
            candidate = name[: MAX_NAME - len(suffix)] + suffix
            if candidate not in taken[account_id]:
                break
            number += 1
        taken[account_id].add(candidate)
        renamed[policy_id] = candidate
    return renamed


def upgrade() -> None:
    conn = op.get_bind()
    duplicated = (
        sa.select(policies.c.account_id)
        .group_by(policies.c.account_id, policies.c.name)
        .having(sa.func.count() > 1)
    )
    rows = conn.execute(
        sa.select(policies.c.id, policies.c.account_id, policies.c.name).where(
            policies.c.account_id.in_(duplicated)
        )
    ).all()
    for policy_id, name in renames([(r.id, r.account_id, r.name) for r in rows]).items():
        conn.execute(sa.update(policies).where(policies.c.id == policy_id).values(name=name))
    op.create_index(INDEX, "capacity_policies", ["account_id", "name"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="capacity_policies")
