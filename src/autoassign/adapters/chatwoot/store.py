"""SqlConnectorStore: the connector's tables, one short transaction per call: the
connection and its lease, id links, conversation links (here), and the received-webhook
and write-back queues (``queues``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from autoassign.adapters.chatwoot.queues import SqlQueues
from autoassign.adapters.sql.tables import (
    chatwoot_connections,
    chatwoot_conversations,
    chatwoot_inbound,
    chatwoot_links,
    chatwoot_writebacks,
)
from autoassign.chatwoot.records import (
    Connection,
    ConversationLink,
    Kind,
)
from autoassign.core import errors

C = chatwoot_connections.c
L = chatwoot_conversations.c
W = chatwoot_writebacks.c
I = chatwoot_inbound.c  # noqa: E741


def _connection(row: Any) -> Connection:
    return Connection(
        id=row.id,
        account_id=row.account_id,
        base_url=row.base_url,
        chatwoot_account_id=row.chatwoot_account_id,
        api_token=row.api_token,
        webhook_secret=row.webhook_secret,
        created_at=row.created_at,
        synced_at=row.synced_at,
        sync_requested=bool(row.sync_requested),
    )


def _link(row: Any) -> ConversationLink:
    return ConversationLink(
        row.connection_id,
        row.chatwoot_id,
        row.conversation_id,
        row.version,
        row.chatwoot_assignee_id,
        row.written_assignee_id,
    )


class SqlConnectorStore(SqlQueues):
    # connections ----------------------------------------------------------------------

    async def add_connection(
        self,
        account_id: int,
        base_url: str,
        chatwoot_account_id: int,
        api_token: str,
        webhook_token_hash: str,
        webhook_secret: str | None,
        now: datetime,
        lease: tuple[str, datetime] | None = None,
    ) -> Connection:
        if await self.connection(account_id) is not None:
            raise errors.Conflict(f"account {account_id} is connected to Chatwoot already")
        async with self._write() as conn:
            await conn.execute(
                sa.insert(chatwoot_connections).values(
                    account_id=account_id,
                    base_url=base_url,
                    chatwoot_account_id=chatwoot_account_id,
                    api_token=api_token,
                    webhook_token_hash=webhook_token_hash,
                    webhook_secret=webhook_secret,
                    created_at=now,
                    lease_owner=lease[0] if lease else None,
                    lease_until=lease[1] if lease else None,
                )
            )
        found = await self.connection(account_id)
        assert found is not None
        return found

    async def connection(self, account_id: int) -> Connection | None:
        row = await self._one(sa.select(chatwoot_connections).where(C.account_id == account_id))
        return _connection(row) if row is not None else None

    async def connection_by_webhook(self, webhook_token_hash: str) -> Connection | None:
        query = sa.select(chatwoot_connections).where(C.webhook_token_hash == webhook_token_hash)
        row = await self._one(query)
        return _connection(row) if row is not None else None

    async def connections(self) -> list[Connection]:
        rows = await self._rows(sa.select(chatwoot_connections).order_by(C.id))
        return [_connection(r) for r in rows]

    async def _update(self, connection_id: int, **values: Any) -> int:
        async with self._write() as conn:
            done = await conn.execute(
                sa.update(chatwoot_connections).where(C.id == connection_id).values(**values)
            )
        return int(done.rowcount)

    async def set_webhook_secret(self, connection_id: int, secret: str | None) -> None:
        await self._update(connection_id, webhook_secret=secret)

    async def remove_connection(self, account_id: int) -> bool:
        async with self._write() as conn:
            done = await conn.execute(
                sa.delete(chatwoot_connections).where(C.account_id == account_id)
            )
        return bool(done.rowcount)

    async def lease(self, connection_id: int, owner: str, until: datetime, now: datetime) -> bool:
        async with self._write() as conn:
            done = await conn.execute(
                sa.update(chatwoot_connections)
                .where(
                    C.id == connection_id,
                    sa.or_(C.lease_owner.is_(None), C.lease_owner == owner, C.lease_until < now),
                )
                .values(lease_owner=owner, lease_until=until)
            )
        return bool(done.rowcount)

    async def release(self, connection_id: int, owner: str) -> None:
        async with self._write() as conn:
            await conn.execute(
                sa.update(chatwoot_connections)
                .where(C.id == connection_id, C.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    async def request_sync(self, connection_id: int) -> None:
        await self._update(connection_id, sync_requested=True)

    async def synced(self, connection_id: int, now: datetime) -> None:
        await self._update(connection_id, synced_at=now, sync_requested=False)

    # links ----------------------------------------------------------------------------

    async def links(self, connection_id: int, kind: Kind) -> dict[int, int]:
        t = chatwoot_links.c
        rows = await self._rows(
            sa.select(t.chatwoot_id, t.local_id).where(
                t.connection_id == connection_id, t.kind == kind.value
            )
        )
        return {int(r.chatwoot_id): int(r.local_id) for r in rows}

    async def link(self, connection_id: int, kind: Kind, chatwoot_id: int, local_id: int) -> None:
        t = chatwoot_links.c
        async with self._write() as conn:
            await conn.execute(
                sa.delete(chatwoot_links).where(
                    t.connection_id == connection_id,
                    t.kind == kind.value,
                    t.chatwoot_id == chatwoot_id,
                )
            )
            await conn.execute(
                sa.insert(chatwoot_links).values(
                    connection_id=connection_id,
                    kind=kind.value,
                    chatwoot_id=chatwoot_id,
                    local_id=local_id,
                )
            )

    async def unlink(self, connection_id: int, kind: Kind, chatwoot_id: int) -> None:
        t = chatwoot_links.c
        async with self._write() as conn:
            await conn.execute(
                sa.delete(chatwoot_links).where(
                    t.connection_id == connection_id,
                    t.kind == kind.value,
                    t.chatwoot_id == chatwoot_id,
                )
            )

    async def conversation_link(
        self, connection_id: int, chatwoot_id: int
    ) -> ConversationLink | None:
        query = sa.select(chatwoot_conversations).where(
            L.connection_id == connection_id, L.chatwoot_id == chatwoot_id
        )
        row = await self._one(query)
        return _link(row) if row is not None else None

    async def conversation_link_of(self, conversation_id: int) -> ConversationLink | None:
        query = sa.select(chatwoot_conversations).where(L.conversation_id == conversation_id)
        row = await self._one(query)
        return _link(row) if row is not None else None

    async def save_conversation_link(self, link: ConversationLink) -> None:
        values = {
            "conversation_id": link.conversation_id,
            "version": link.version,
            "chatwoot_assignee_id": link.chatwoot_assignee_id,
            "written_assignee_id": link.written_assignee_id,
        }
        async with self._write() as conn:
            done = await conn.execute(
                sa.update(chatwoot_conversations)
                .where(L.connection_id == link.connection_id, L.chatwoot_id == link.chatwoot_id)
                .values(**values)
            )
            if done.rowcount == 0:
                await conn.execute(
                    sa.insert(chatwoot_conversations).values(
                        connection_id=link.connection_id, chatwoot_id=link.chatwoot_id, **values
                    )
                )
