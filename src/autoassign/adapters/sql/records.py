"""Account-scoped reads and plain writes for the API: rows straight to dicts.

The engine's hot path lives in store.py; this is the side that lists, shows, edits and
deletes. Every call takes the account id, and an object of another account is NotFound.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from autoassign.adapters.sql.engine import wrap_errors
from autoassign.core import errors

Row = dict[str, Any]


def owner_column(table: sa.Table) -> sa.ColumnElement[Any]:
    return table.c.account_id if "account_id" in table.c else table.c.id


async def require(
    conn: AsyncConnection,
    table: sa.Table,
    ids: Iterable[int],
    account_id: int,
    missing: type[errors.NotFound],
) -> None:
    """Raise ``missing`` for the first id that is not an object of this account."""
    wanted = set(ids)
    if not wanted:
        return
    query = sa.select(table.c.id).where(table.c.id.in_(wanted), owner_column(table) == account_id)
    found = set((await conn.execute(query)).scalars())
    for object_id in sorted(wanted - found):
        raise missing(object_id)


def conflict(table: sa.Table, exc: IntegrityError) -> errors.Conflict:
    text = str(exc.orig).lower()
    if "unique" in text or "duplicate" in text:
        return errors.Conflict(f"a {table.name} row with these values already exists")
    return errors.Conflict(f"{table.name}: the change conflicts with existing data")


class Records:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: commits on success, rolls back on any error."""
        async with wrap_errors(), self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read transaction; on SQLite it does not take the write lock."""
        async with wrap_errors(), self.engine.connect() as conn:
            await conn.execution_options(sqlite_begin="DEFERRED")
            async with conn.begin():
                yield conn

    async def insert(self, table: sa.Table, values: Mapping[str, Any]) -> Row:
        async with self.write() as conn:
            return await insert(conn, table, values)

    async def get(
        self, table: sa.Table, account_id: int, object_id: int, missing: type[errors.NotFound]
    ) -> Row:
        async with self.read() as conn:
            return await get(conn, table, account_id, object_id, missing)

    async def page(
        self,
        table: sa.Table,
        account_id: int,
        *where: sa.ColumnElement[bool],
        order_by: Sequence[sa.ColumnElement[Any]] = (),
        page: int = 1,
        per_page: int = 100,
    ) -> tuple[list[Row], int]:
        conditions = [owner_column(table) == account_id, *where]
        async with self.read() as conn:
            total = (
                await conn.execute(sa.select(sa.func.count()).select_from(table).where(*conditions))
            ).scalar_one()
            found = await conn.execute(
                sa.select(table)
                .where(*conditions)
                .order_by(*(order_by or (table.c.id,)))
                .offset((page - 1) * per_page)
                .limit(per_page)
            )
            return [dict(r._mapping) for r in found], int(total)

    async def all(
        self, table: sa.Table, account_id: int, *where: sa.ColumnElement[bool]
    ) -> list[Row]:
        async with self.read() as conn:
            found = await conn.execute(
                sa.select(table)
                .where(owner_column(table) == account_id, *where)
                .order_by(table.c.id)
            )
            return [dict(r._mapping) for r in found]

    async def update(
        self,
        table: sa.Table,
        account_id: int,
        object_id: int,
        values: Mapping[str, Any],
        missing: type[errors.NotFound],
    ) -> Row:
        async with self.write() as conn:
            return await update(conn, table, account_id, object_id, values, missing)

    async def delete(
        self, table: sa.Table, account_id: int, object_id: int, missing: type[errors.NotFound]
    ) -> None:
        async with self.write() as conn:
            await require(conn, table, [object_id], account_id, missing)
            await conn.execute(sa.delete(table).where(table.c.id == object_id))


async def insert(conn: AsyncConnection, table: sa.Table, values: Mapping[str, Any]) -> Row:
    try:
        row = (await conn.execute(sa.insert(table).values(dict(values)).returning(table))).one()
    except IntegrityError as exc:
        raise conflict(table, exc) from exc
    return dict(row._mapping)


async def get(
    conn: AsyncConnection,
    table: sa.Table,
    account_id: int,
    object_id: int,
    missing: type[errors.NotFound],
) -> Row:
    row = (
        await conn.execute(
            sa.select(table).where(table.c.id == object_id, owner_column(table) == account_id)
        )
    ).one_or_none()
    if row is None:
        raise missing(object_id)
    return dict(row._mapping)


async def update(
    conn: AsyncConnection,
    table: sa.Table,
    account_id: int,
    object_id: int,
    values: Mapping[str, Any],
    missing: type[errors.NotFound],
) -> Row:
    await require(conn, table, [object_id], account_id, missing)
    if values:
        try:
            await conn.execute(sa.update(table).where(table.c.id == object_id).values(dict(values)))
        except IntegrityError as exc:
            raise conflict(table, exc) from exc
    return await get(conn, table, account_id, object_id, missing)
