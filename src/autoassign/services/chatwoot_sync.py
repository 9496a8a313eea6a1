"""Sync the directory from Chatwoot: agents (with their availability), inboxes, inbox
members, teams and team members, removals included.

Everything is read from Chatwoot first and only then written, so a Chatwoot that fails
half-way changes nothing. Writes go through autoassign's services, so an agent coming
online or joining an inbox runs that inbox, as any other client's change would. Only
what the connector created (what has a link) is changed or removed; an autoassign id
whose link points at nothing (deleted by hand) is created again.

Not synced on purpose: an inbox's ``enable_auto_assignment``. An admin switches
Chatwoot's own auto-assignment off for the inboxes autoassign serves, so copying the flag
would switch autoassign off too; autoassign runs an inbox once a policy is linked to it
here. Availability is Chatwoot's computed ``availability_status``, which already folds
in presence, so agents are ``auto_offline: false`` here.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from autoassign.chatwoot.records import Connection, CwAgent, CwInbox, CwTeam, Kind
from autoassign.core import errors
from autoassign.core.drafts import AgentPatch, Membership, TeamPatch
from autoassign.core.model import Agent, Inbox, Team
from autoassign.services import agents, inboxes, teams
from autoassign.services.chatwoot_context import Connector

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Directory:
    """Chatwoot's directory as read in one sync."""

    agents: list[CwAgent]
    inboxes: list[CwInbox]
    inbox_members: dict[int, list[int]]
    teams: list[CwTeam]
    team_members: dict[int, list[int]]


async def read_directory(cx: Connector, connection: Connection) -> Directory:
    """ChatwootUnavailable or ChatwootRejected when any read fails."""
    api = cx.api(connection)
    try:
        found_agents = await api.agents()
        found_inboxes = await api.inboxes()
        members = {i.id: await api.inbox_member_ids(i.id) for i in found_inboxes}
        found_teams = await api.teams()
        team_members = {t.id: await api.team_member_ids(t.id) for t in found_teams}
    finally:
        await api.aclose()
    return Directory(found_agents, found_inboxes, members, found_teams, team_members)


async def sync(cx: Connector, connection: Connection) -> frozenset[int]:
    """Bring autoassign's copy in line with Chatwoot; returns the inboxes to run."""
    directory = await read_directory(cx, connection)
    run: set[int] = set()
    agent_ids = await _sync_agents(cx, connection, directory.agents, run)
    inbox_ids = await _sync_inboxes(cx, connection, directory, agent_ids, run)
    team_ids = await _sync_teams(cx, connection, directory, agent_ids, run)
    account = connection.account_id
    deps = cx.deps
    await _remove(
        cx, connection, Kind.TEAM, team_ids, lambda i: teams.delete_team(deps, account, i)
    )
    await _remove(
        cx, connection, Kind.INBOX, inbox_ids, lambda i: inboxes.delete_inbox(deps, account, i)
    )
    await _remove(
        cx, connection, Kind.AGENT, agent_ids, lambda i: agents.delete_agent(deps, account, i)
    )
    await cx.store.synced(connection.id, cx.now())
    logger.info(
        "chatwoot sync: %d agents, %d inboxes, %d teams",
        len(agent_ids),
        len(inbox_ids),
        len(team_ids),
        extra={"action": "chatwoot_sync", "account_id": account},
    )
    return frozenset(run & set(inbox_ids.values()))


async def _sync_agents(
    cx: Connector, connection: Connection, found: list[CwAgent], run: set[int]
) -> dict[int, int]:
    account = connection.account_id
    links = await cx.store.links(connection.id, Kind.AGENT)
    local = {a.id: a for a in await agents.list_agents(cx.deps, account)}
    mapped: dict[int, int] = {}
    for cw in found:
        current = local.get(links.get(cw.id, 0))
        if current is None:
            draft = Agent(0, account, cw.name, cw.availability, auto_offline=False, email=cw.email)
            created = await agents.create_agent(cx.deps, draft)
            await cx.store.link(connection.id, Kind.AGENT, cw.id, created.id)
            mapped[cw.id] = created.id
            continue
        mapped[cw.id] = current.id
        patch = AgentPatch()
        if current.name != cw.name:
            patch["name"] = cw.name
        if current.email != cw.email:
            patch["email"] = cw.email
        if current.availability is not cw.availability:
            patch["availability"] = cw.availability
        if current.auto_offline:
            patch["auto_offline"] = False
        if patch:
            run |= (await agents.update_agent(cx.deps, account, current.id, patch)).run
    return mapped


async def _sync_inboxes(
    cx: Connector,
    connection: Connection,
    directory: Directory,
    agent_ids: dict[int, int],
    run: set[int],
) -> dict[int, int]:
    account = connection.account_id
    links = await cx.store.links(connection.id, Kind.INBOX)
    local = {i.id: i for i in await inboxes.list_inboxes(cx.deps, account)}
    mapped: dict[int, int] = {}
    for cw in directory.inboxes:
        current = local.get(links.get(cw.id, 0))
        if current is None:
            created = await inboxes.create_inbox(cx.deps, Inbox(0, account, cw.name))
            await cx.store.link(connection.id, Kind.INBOX, cw.id, created.id)
            inbox_id = created.id
        else:
            inbox_id = current.id
            if current.name != cw.name:
                await inboxes.update_inbox(cx.deps, account, inbox_id, {"name": cw.name})
        mapped[cw.id] = inbox_id
        wanted = _local_ids(directory.inbox_members.get(cw.id, []), agent_ids)
        members = {a.id for a in await inboxes.list_members(cx.deps, account, inbox_id)}
        if members != wanted:
            changed = await inboxes.change_members(
                cx.deps, account, inbox_id, sorted(wanted), Membership.REPLACE
            )
            run |= changed.run
    return mapped


async def _sync_teams(
    cx: Connector,
    connection: Connection,
    directory: Directory,
    agent_ids: dict[int, int],
    run: set[int],
) -> dict[int, int]:
    account = connection.account_id
    links = await cx.store.links(connection.id, Kind.TEAM)
    local = {t.id: t for t in await teams.list_teams(cx.deps, account)}
    mapped: dict[int, int] = {}
    for cw in directory.teams:
        current = local.get(links.get(cw.id, 0))
        if current is None:
            draft = Team(0, account, cw.name, allow_auto_assign=cw.allow_auto_assign)
            created = await teams.create_team(cx.deps, draft)
            await cx.store.link(connection.id, Kind.TEAM, cw.id, created.id)
            team_id = created.id
        else:
            team_id = current.id
            patch = TeamPatch()
            if current.name != cw.name:
                patch["name"] = cw.name
            if current.allow_auto_assign != cw.allow_auto_assign:
                patch["allow_auto_assign"] = cw.allow_auto_assign
            if patch:
                await teams.update_team(cx.deps, account, team_id, patch)
        mapped[cw.id] = team_id
        wanted = _local_ids(directory.team_members.get(cw.id, []), agent_ids)
        members = {a.id for a in await teams.list_members(cx.deps, account, team_id)}
        if members != wanted:
            changed = await teams.change_members(
                cx.deps, account, team_id, sorted(wanted), Membership.REPLACE
            )
            run |= changed.run
    return mapped


def _local_ids(chatwoot_ids: Iterable[int], mapped: dict[int, int]) -> set[int]:
    return {mapped[i] for i in chatwoot_ids if i in mapped}


async def _remove(
    cx: Connector,
    connection: Connection,
    kind: Kind,
    kept: dict[int, int],
    delete: Callable[[int], Awaitable[object]],
) -> set[int]:
    """Delete what the connector created and Chatwoot no longer has; returns what the
    deletes run (a removed agent's open conversations go back to the others)."""
    run: set[int] = set()
    for chatwoot_id, local_id in (await cx.store.links(connection.id, kind)).items():
        if chatwoot_id in kept:
            continue
        with contextlib.suppress(errors.NotFound):  # deleted by hand: only the link is left
            done = await delete(local_id)
            run |= getattr(done, "run", frozenset())
        await cx.store.unlink(connection.id, kind, chatwoot_id)
    return run
