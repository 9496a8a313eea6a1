"""What `make run` promises: a demo account whose new conversations get assigned."""

from __future__ import annotations

import asyncio

from starlette.testclient import TestClient

from autoassign.adapters.sql.migrate import upgrade
from autoassign.config import Settings
from autoassign.entrypoints.api.app import create_app
from autoassign.entrypoints.demo import ensure_demo_account


def test_served_demo_assigns_a_conversation_created_through_the_api(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/demo.db")
    upgrade(settings.database_url)
    account_id, token = asyncio.run(ensure_demo_account(settings))
    again_id, other_token = asyncio.run(ensure_demo_account(settings))
    assert again_id == account_id  # seeded once; a fresh token on each start
    assert other_token != token
    headers = {"api_access_token": token}
    base = f"/api/v1/accounts/{account_id}"
    with TestClient(create_app(settings)) as client:
        created = client.post(f"{base}/conversations", json={"inbox_id": 1}, headers=headers)
        assert created.status_code == 200
        client.portal.call(client.app.state.engine.jobs.drain)  # type: ignore[attr-defined, union-attr, call-arg]
        why = client.get(
            f"{base}/conversations/{created.json()['id']}/assignment_explanation", headers=headers
        ).json()
    assert why["result"] == "assigned"
    assert why["assignment"]["selector"] == "round_robin"
