"""The webhook outbox on SQLite and PostgreSQL: written with the batch or not at all,
claimed with leases and a per-account share, recorded attempt by attempt, replayed
under the same delivery id."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from autoassign.bootstrap import Engine
from autoassign.core.deliveries import DeliveryStatus
from autoassign.core.drafts import WebhookDraft
from autoassign.core.errors import DeliveryNotFound
from autoassign.core.events import ConversationAssigned
from autoassign.core.ports.deliveries import AttemptKind, AttemptResult, OutgoingDelivery, Settled
from autoassign.core.views import Paging
from autoassign.services import accounts
from autoassign.services import webhooks as webhook_service
from tests.conftest import FakeClock
from tests.factories import assign, seed_world

LEASE = timedelta(seconds=60)


def event(account_id: int, conversation_id: int, now: datetime) -> ConversationAssigned:
    return ConversationAssigned(account_id, 1, conversation_id, 1, None, now, "test")


async def hook(engine: Engine, account_id: int, *subscriptions: str) -> int:
    draft = WebhookDraft("https://hooks.example.test/", subscriptions or ("assignee_changed",))
    return (await webhook_service.create_webhook(engine.deps, account_id, draft)).id


async def queue(engine: Engine, account_id: int, count: int) -> None:
    now = engine.clock.now()
    async with engine.deps.uow.write() as uow:
        await uow.deliveries.queue([event(account_id, i, now) for i in range(count)], now)


async def claim(
    engine: Engine, limit: int = 10, per_account: int = 2, later: float = 0
) -> list[OutgoingDelivery]:
    now = engine.clock.now() + timedelta(seconds=later)
    async with engine.deps.uow.write() as uow:
        return await uow.deliveries.claim(now, limit, per_account, now + LEASE)


async def test_deliveries_commit_with_the_batch_or_not_at_all(engine: Engine):
    world = await seed_world(engine, conversations=2)
    await hook(engine, world.account.id)
    await hook(engine, world.account.id, "something_else")  # not subscribed: nothing
    result = await assign(engine, world.inbox.id)
    assert result.assigned == 2
    assert await webhook_service.pending_deliveries(engine.deps) == 2
    [claimed, *_] = await claim(engine)
    assert claimed.body.startswith(b'{"account_id": ')
    assert claimed.url == "https://hooks.example.test/"

    async def failing_batch() -> None:
        async with engine.store.inbox_batch(world.inbox.id) as batch:
            await batch.record_events([event(world.account.id, 99, engine.clock.now())])
            raise RuntimeError("the batch fails after queueing")

    with pytest.raises(RuntimeError):
        await failing_batch()
    assert await webhook_service.pending_deliveries(engine.deps) == 2


async def test_no_webhook_no_row(engine: Engine):
    world = await seed_world(engine, conversations=3)
    assert (await assign(engine, world.inbox.id)).assigned == 3
    assert await webhook_service.pending_deliveries(engine.deps) == 0


async def test_a_claim_leases_rows_and_holds_each_account_to_its_share(
    engine: Engine, clock: FakeClock
):
    a = (await accounts.create_account(engine.deps, "A")).id
    b = (await accounts.create_account(engine.deps, "B")).id
    await hook(engine, a)
    await hook(engine, b)
    await queue(engine, a, 5)
    clock.advance(1)
    await queue(engine, b, 1)  # due after all of A's
    first = await claim(engine)
    assert sorted(d.account_id for d in first) == [a, a, b]
    assert await claim(engine) == []  # A is at its share, B's only row is leased
    async with engine.deps.uow.read() as uow:
        assert await uow.deliveries.next_due(clock.now()) == clock.now() - timedelta(seconds=1)
    # a runner that died: its leases lapse and the rows are claimed again
    again = await claim(engine, later=LEASE.total_seconds() + 1)
    assert sorted(d.account_id for d in again) == [a, a, b]
    assert {d.id for d in again} == {d.id for d in first}


async def test_attempts_are_recorded_and_a_replay_keeps_the_delivery_id(
    engine: Engine, clock: FakeClock
):
    account = (await accounts.create_account(engine.deps, "A")).id
    webhook_id = await hook(engine, account)
    await queue(engine, account, 1)
    [sent] = await claim(engine)
    now = clock.now()
    retry_at = now + timedelta(seconds=1)
    failed = AttemptResult(AttemptKind.FAILED, 12.5, 500, "status 500")
    async with engine.deps.uow.write() as uow:
        await uow.deliveries.record(sent, failed, now, Settled(DeliveryStatus.PENDING, retry_at))
    assert await claim(engine) == []  # not due before its retry
    [retried] = await claim(engine, later=1)
    assert (retried.id, retried.attempts) == (sent.id, 1)
    ok = AttemptResult(AttemptKind.DELIVERED, 3.0, 204)
    async with engine.deps.uow.write() as uow:
        await uow.deliveries.record(retried, ok, now, Settled(DeliveryStatus.DELIVERED))
    page = await webhook_service.list_deliveries(engine.deps, account, webhook_id, Paging())
    [view] = page.items
    assert (view.status, view.attempts, view.last_error) == (DeliveryStatus.DELIVERED, 2, None)
    assert [(a.number, a.status_code, a.error) for a in view.log] == [
        (1, 500, "status 500"),
        (2, 204, None),
    ]
    assert view.delivered_at == now

    replayed = await webhook_service.replay_delivery(
        engine.deps, account, webhook_id, view.delivery_id
    )
    assert (replayed.status, replayed.attempts) == (DeliveryStatus.PENDING, 0)
    [again] = await claim(engine)
    assert again.delivery_id == view.delivery_id
    async with engine.deps.uow.write() as uow:
        await uow.deliveries.record(again, ok, now, Settled(DeliveryStatus.DELIVERED))
    [view] = (
        await webhook_service.list_deliveries(engine.deps, account, webhook_id, Paging())
    ).items
    assert [a.number for a in view.log] == [1, 2, 3]  # numbered across rounds
    assert view.attempts == 1

    other = (await accounts.create_account(engine.deps, "B")).id
    with pytest.raises(DeliveryNotFound):
        await webhook_service.replay_delivery(
            engine.deps, account, webhook_id, "00000000-0000-4000-8000-000000000000"
        )
    with pytest.raises(Exception, match="webhook"):  # another account's webhook: NotFound
        await webhook_service.replay_delivery(engine.deps, other, webhook_id, view.delivery_id)


async def test_settled_deliveries_are_pruned_after_their_time(engine: Engine, clock: FakeClock):
    account = (await accounts.create_account(engine.deps, "A")).id
    await hook(engine, account)
    await queue(engine, account, 2)
    [sent, _] = await claim(engine)
    ok = AttemptResult(AttemptKind.DELIVERED, 1.0, 200)
    async with engine.deps.uow.write() as uow:
        await uow.deliveries.record(sent, ok, clock.now(), Settled(DeliveryStatus.DELIVERED))
    async with engine.deps.uow.write() as uow:
        assert await uow.deliveries.prune(clock.now() + timedelta(seconds=1)) == 1  # not pending
    assert await webhook_service.pending_deliveries(engine.deps) == 1
