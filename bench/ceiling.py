"""The ceiling: the same number of rows assigned round robin by one guarded, batched
UPDATE, with no policy logic at all. Nothing that makes decisions can beat it."""

from __future__ import annotations

import json
import time
from collections import defaultdict

import sqlalchemy as sa

from autoassign.adapters.sql.engine import make_sync_engine

_PG = sa.text(
    """
    UPDATE conversations AS c SET assignee_id = p.aid, updated_at = now()
      FROM unnest(CAST(:cids AS bigint[]), CAST(:aids AS bigint[])) AS p(cid, aid)
     WHERE c.id = p.cid AND c.status = 'open' AND c.assignee_id IS NULL
    RETURNING c.id
    """
)
_SQLITE = sa.text(
    """
    UPDATE conversations SET assignee_id = p.aid, updated_at = datetime('now')
      FROM (SELECT json_extract(value, '$[0]') AS cid, json_extract(value, '$[1]') AS aid
              FROM json_each(:pairs)) AS p
     WHERE conversations.id = p.cid AND +conversations.status = 'open'
       AND +conversations.assignee_id IS NULL
    RETURNING conversations.id
    """
)


def run(url: str, per_inbox: dict[int, int]) -> tuple[int, float]:
    """Assign ``per_inbox[i]`` of inbox i's oldest waiting rows round robin over its
    online members; returns (rows, seconds of the UPDATE alone)."""
    engine = make_sync_engine(url)
    try:
        with engine.connect() as db:
            members: dict[int, list[int]] = defaultdict(list)
            for inbox_id, agent_id in db.execute(
                sa.text(
                    "SELECT m.inbox_id, m.agent_id FROM inbox_members m "
                    "JOIN agents a ON a.id = m.agent_id WHERE a.availability = 'online' "
                    "ORDER BY m.inbox_id, m.agent_id"
                )
            ):
                members[inbox_id].append(agent_id)
            cids: list[int] = []
            aids: list[int] = []
            for inbox_id, count in sorted(per_inbox.items()):
                rows = db.execute(
                    sa.text(
                        "SELECT id FROM conversations WHERE inbox_id = :i AND status = 'open' "
                        "AND assignee_id IS NULL ORDER BY created_at, id LIMIT :n"
                    ),
                    {"i": inbox_id, "n": count},
                ).scalars()
                agents = members[inbox_id]
                for k, cid in enumerate(rows):
                    cids.append(cid)
                    aids.append(agents[k % len(agents)])
            db.rollback()
        with engine.begin() as db:
            started = time.perf_counter()
            if db.dialect.name == "postgresql":
                claimed = db.execute(_PG, {"cids": cids, "aids": aids}).all()
            else:
                claimed = db.execute(
                    _SQLITE, {"pairs": json.dumps(list(zip(cids, aids, strict=True)))}
                ).all()
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    assert len(claimed) == len(cids), "the ceiling must claim every row it was given"
    return len(claimed), seconds
