"""Bad input is never a 500 (issue 10, items 8 and 9): each case below was a 500 or was
accepted although wrong; now it gets a precise 4xx in the JSON error shape, on both back
ends. The same inputs are fuzzed against every operation in ``test_fuzz.py``."""

from __future__ import annotations

import asyncio
import sys
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from autoassign.adapters.sql import migrate
from autoassign.adapters.sql.engine import make_sync_engine
from autoassign.config import Settings
from autoassign.entrypoints.api.app import create_app
from autoassign.services import inboxes as inbox_service
from tests.api.conftest import ADMIN, Account, Api, _settings
from tests.conftest import _pg_admin, _url_for

BACKENDS = ["sqlite-memory", "postgres-redis"]
#: the migration that makes capacity policy names unique
UNIQUE_CAPACITY_NAMES = "c811a38e55bc"
MIB = 1 << 20


def _fields(response: httpx2.Response) -> list[str | None]:
    return [d["field"] for d in response.json()["details"]]


def _invalid(response: httpx2.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid request"
    assert field in _fields(response), response.text


# 500s -----------------------------------------------------------------------------------

#: valid RFC 3339 timestamps whose instant in UTC falls outside years 1-9999
BEYOND_THE_CALENDAR = [
    "0001-01-01T00:00:00+05:00",
    "0001-01-01T04:59:59.999999+05:00",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59.999999-00:01",
]


def test_timestamps_beyond_the_calendar_in_utc_are_422(api: Api, account: Account):
    inbox = api.inbox(account, [], policy={"skip": True})
    conversation = api.conversation(account, inbox["id"])
    for value in BEYOND_THE_CALENDAR:
        _beyond_the_calendar(api, account, inbox["id"], conversation["id"], value)
    assert api.ok("GET", account, "/conversations")["meta"]["total"] == 1


def _beyond_the_calendar(
    api: Api, account: Account, inbox_id: int, conversation_id: int, value: str
) -> None:
    created = api.call(
        "POST", account, "/conversations", json={"inbox_id": inbox_id, "created_at": value}
    )
    _invalid(created, "created_at")
    later = api.call(
        "POST",
        account,
        "/conversations",
        json={"inbox_id": inbox_id, "last_activity_at": value},
    )
    _invalid(later, "last_activity_at")
    patched = api.call(
        "PATCH", account, f"/conversations/{conversation_id}", json={"last_activity_at": value}
    )
    _invalid(patched, "last_activity_at")
    _invalid(api.call("GET", account, "/assignment_events", params={"since": value}), "since")
    _invalid(api.call("GET", account, "/assignment_events", params={"until": value}), "until")


def test_the_first_and_last_instants_of_the_calendar_are_accepted(api: Api, account: Account):
    inbox = api.inbox(account, [], policy={"skip": True})
    first, last = "0001-01-01T05:00:00+05:00", "9999-12-31T18:59:59-05:00"
    created = api.conversation(
        account, inbox["id"], created_at=first, last_activity_at=last, status="resolved"
    )
    assert created["created_at"] == -62135596800  # 0001-01-01T00:00:00Z
    assert created["last_activity_at"] == 253402300799  # 9999-12-31T23:59:59Z
    events = api.call("GET", account, "/assignment_events", params={"since": first, "until": last})
    assert events.status_code == 200, events.text


#: header bytes that are not ASCII: Latin-1 (as Starlette decodes headers), UTF-8, and
#: bytes that are neither
NON_ASCII_TOKENS = ["é".encode("latin-1"), "tökén-ü".encode(), b"\xff\xfe\x80abc"]


def test_a_non_ascii_token_is_401(api: Api, account: Account):
    routes = [
        ("GET", f"/api/v1/accounts/{account.id}/agents", None),
        ("POST", f"/api/v1/accounts/{account.id}/inboxes", {"name": "Support"}),
        ("POST", "/platform/api/v1/accounts", {"name": "Other"}),
        ("POST", f"/platform/api/v1/accounts/{account.id}/tokens", {"name": "more"}),
    ]
    for token in NON_ASCII_TOKENS:
        for method, url, body in routes:
            headers = {b"api_access_token": token}
            response = api.client.request(method, url, headers=headers, json=body)
            assert response.status_code == 401, f"{token!r} {method} {url}: {response.text}"
            assert response.json()["details"] == []
    assert api.ok("GET", account, "/inboxes")["payload"] == []


HOOK = "https://hooks.example.com/"


def test_webhook_urls_longer_than_2048_characters_are_422_from_the_schema(
    api: Api, account: Account
):
    hook = api.ok("POST", account, "/webhooks", json={"url": HOOK + "ok"})
    for length in (2049, 2050, 2083, 2084, 10_000):
        url = HOOK + "a" * (length - len(HOOK))
        _invalid(api.call("POST", account, "/webhooks", json={"url": url}), "url")
        _invalid(api.call("PATCH", account, f"/webhooks/{hook['id']}", json={"url": url}), "url")
    assert [h["url"] for h in api.ok("GET", account, "/webhooks")["payload"]] == [HOOK + "ok"]


def test_webhook_url_length_is_counted_as_stored(api: Api, account: Account):
    longest = HOOK + "a" * (2048 - len(HOOK))
    assert api.ok("POST", account, "/webhooks", json={"url": longest})["url"] == longest
    # 2,048 characters as sent, 2,053 once "é" is percent-encoded as stored
    grows = HOOK + "é" + "a" * (2047 - len(HOOK))
    response = api.call("POST", account, "/webhooks", json={"url": grows})
    _invalid(response, "url")
    assert "2048" in response.json()["details"][0]["message"]


Request = tuple[str, str, dict[str, Any] | None]


def _concurrently(api: Api, account: Account, requests: list[Request]) -> list[int]:
    """Send the requests at once (asyncio.gather) to the running app; their statuses."""
    app = api.client.app
    headers = account.headers
    prefix = f"/api/v1/accounts/{account.id}"

    async def fire() -> list[int]:
        transport = httpx2.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as http:
            answers = await asyncio.gather(
                *(
                    http.request(method, prefix + path, json=body, headers=headers)
                    for method, path, body in requests
                )
            )
        return [answer.status_code for answer in answers]

    statuses: list[int] = api.client.portal.call(fire)  # type: ignore[union-attr]
    api.drain()
    return statuses


def test_concurrent_identical_writes_are_never_a_500(api: Api, account: Account):
    agents = [api.agent(account, name=f"agent {i}")["id"] for i in range(3)]
    inbox = api.inbox(account, [], policy={"skip": True})
    team = api.ok("POST", account, "/teams", json={"name": "Tier 1"})
    policy = api.ok("POST", account, "/assignment_policies", json={"name": "Fair"})
    members = {"inbox_id": inbox["id"], "user_ids": agents}
    team_members = {"user_ids": agents}
    link = {"assignment_policy_id": policy["id"]}
    requests: list[Request] = (
        [("POST", "/inbox_members", members)] * 8
        + [("POST", f"/teams/{team['id']}/team_members", team_members)] * 8
        + [("POST", f"/inboxes/{inbox['id']}/assignment_policy", link)] * 8
    )
    statuses = _concurrently(api, account, requests)
    assert 500 not in statuses, statuses
    assert statuses[:16] == [200] * 16  # adding a member twice is not an error
    assert set(statuses[16:]) <= {200, 409}, statuses
    listed = api.ok("GET", account, f"/inbox_members/{inbox['id']}")["payload"]
    assert sorted(a["id"] for a in listed) == agents
    in_team = api.ok("GET", account, f"/teams/{team['id']}/team_members")
    assert sorted(a["id"] for a in in_team) == agents
    assert api.ok("GET", account, f"/inboxes/{inbox['id']}/assignment_policy")["id"] == policy["id"]


def test_a_conversation_whose_assignee_is_being_deleted_is_never_a_500(api: Api, account: Account):
    inbox = api.inbox(account, [], policy={"skip": True})
    for round_ in range(5):
        agent = api.agent(account, name=f"leaving {round_}")["id"]
        api.ok(
            "POST", account, "/inbox_members", json={"inbox_id": inbox["id"], "user_ids": [agent]}
        )
        create = {"inbox_id": inbox["id"], "assignee_id": agent}
        requests: list[Request] = [("POST", "/conversations", create)] * 4
        requests.insert(2, ("DELETE", f"/agents/{agent}", None))
        statuses = _concurrently(api, account, requests)
        assert 500 not in statuses, statuses
        assert statuses[2] == 204
        assert set(statuses[:2] + statuses[3:]) <= {200, 404, 409}, statuses
        held = api.ok("GET", account, "/conversations", params={"assignee_id": agent})
        assert held["payload"] == []  # a deleted agent never holds work (issue 10.13)


@pytest.fixture(params=BACKENDS)
def unraised(request: pytest.FixtureRequest) -> Iterator[Api]:
    """A client that sees 500 responses instead of the server's exceptions."""
    app = create_app(_settings(request))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client)


def test_an_unexpected_error_is_a_500_in_the_json_shape_without_its_text(
    unraised: Api, monkeypatch: pytest.MonkeyPatch
):
    account = unraised.new_account()

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret detail from deep inside")

    monkeypatch.setattr(inbox_service, "list_inboxes", broken)
    response = unraised.call("GET", account, "/inboxes")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "internal server error", "details": []}
    assert "secret" not in response.text
    assert "RuntimeError" not in response.text
    # and the server goes on answering
    assert unraised.call("GET", account, "/agents").status_code == 200


# loose input ----------------------------------------------------------------------------


def test_ids_in_bodies_are_strict_integers(api: Api, account: Account):
    agent = api.agent(account)
    inbox = api.inbox(account, [agent["id"]])
    team = api.ok("POST", account, "/teams", json={"name": "Tier 1"})
    capacity = api.ok("POST", account, "/agent_capacity_policies", json={"name": "Cap"})
    conversation = api.conversation(account, inbox["id"])
    # (1.0 is an integer to JSON Schema, so to the OpenAPI document: it is taken as 1)
    for value in (True, False, "1", "2", "1.0", [1], {"id": 1}):
        for method, path, body, field in _id_cases(
            agent["id"], inbox["id"], team["id"], capacity["id"], conversation["id"], value
        ):
            _invalid(api.call(method, account, path, json=body), field)
    after = api.ok("GET", account, f"/conversations/{conversation['id']}")
    assert (after["team_id"], after["assignee_id"]) == (None, agent["id"])
    assert api.ok("GET", account, "/conversations")["meta"]["total"] == 1
    assert api.ok("GET", account, f"/teams/{team['id']}/team_members") == []


def _id_cases(
    agent: int, inbox: int, team: int, capacity: int, conversation: int, value: Any
) -> list[tuple[str, str, dict[str, Any], str]]:
    """Every body field that holds an id: (method, path, body, field)."""
    return [
        ("POST", "/conversations", {"inbox_id": value}, "inbox_id"),
        ("POST", "/conversations", {"inbox_id": inbox, "team_id": value}, "team_id"),
        ("POST", "/conversations", {"inbox_id": inbox, "assignee_id": value}, "assignee_id"),
        ("PATCH", f"/conversations/{conversation}", {"team_id": value}, "team_id"),
        (
            "POST",
            f"/conversations/{conversation}/assignments",
            {"assignee_id": value},
            "assignee_id",
        ),
        ("POST", "/inbox_members", {"inbox_id": value, "user_ids": [agent]}, "inbox_id"),
        ("PATCH", "/inbox_members", {"inbox_id": inbox, "user_ids": [value]}, "user_ids.0"),
        ("POST", f"/teams/{team}/team_members", {"user_ids": [value]}, "user_ids.0"),
        (
            "POST",
            f"/inboxes/{inbox}/assignment_policy",
            {"assignment_policy_id": value},
            "assignment_policy_id",
        ),
        ("POST", f"/agent_capacity_policies/{capacity}/users", {"user_id": value}, "user_id"),
        (
            "POST",
            f"/agent_capacity_policies/{capacity}/inbox_limits",
            {"inbox_id": value, "conversation_limit": 3},
            "inbox_id",
        ),
    ]


#: spellings of the id 1 that a lax integer parser would take
LOOSE_PATH_IDS = [
    "1.0",
    "1.",
    "+1",
    " 1",
    "1 ",
    "1_0",
    "01",
    "1e0",
    "0x1",
    "\u0661",
    "\uff11",
    "true",
]


def test_path_ids_are_strict(api: Api, account: Account):
    inbox = api.inbox(account, [], policy={"skip": True})
    assert inbox["id"] == 1
    for raw in LOOSE_PATH_IDS:
        _loose_path_id(api, account, raw)
    assert api.ok("GET", account, "/inboxes/1")["name"] == "Support"


def _loose_path_id(api: Api, account: Account, raw: str) -> None:
    quoted = httpx2.URL(f"/inboxes/{raw}").raw_path.decode()[len("/inboxes/") :]
    _invalid(api.call("GET", account, f"/inboxes/{quoted}"), "inbox_id")
    _invalid(api.call("PATCH", account, f"/inboxes/{quoted}", json={"name": "x"}), "inbox_id")
    _invalid(
        api.client.get(f"/api/v1/accounts/{quoted}/inboxes", headers=account.headers), "account_id"
    )
    tokens = api.client.post(
        f"/platform/api/v1/accounts/{quoted}/tokens",
        json={"name": "t"},
        headers={"api_access_token": ADMIN},
    )
    _invalid(tokens, "account_id")


NFC, NFD = "Café Ünïcødé", unicodedata.normalize("NFD", "Café Ünïcødé")


def test_nfc_and_nfd_spellings_are_one_name(api: Api, account: Account):
    assert NFC != NFD
    policy = api.ok("POST", account, "/assignment_policies", json={"name": NFD})
    assert policy["name"] == NFC
    again = api.call("POST", account, "/assignment_policies", json={"name": NFC})
    assert again.status_code == 409, again.text
    assert again.json() == {"error": "an assignment policy with this name exists", "details": []}
    other = api.ok("POST", account, "/assignment_policies", json={"name": "Other"})
    renamed = api.call("PATCH", account, f"/assignment_policies/{other['id']}", json={"name": NFD})
    assert renamed.status_code == 409, renamed.text
    for path in ("/agents", "/inboxes", "/teams", "/agent_capacity_policies"):
        assert api.ok("POST", account, path, json={"name": NFD})["name"] == NFC
    agent = api.agent(account, name="plain")
    assert api.ok("PATCH", account, f"/agents/{agent['id']}", json={"name": NFD})["name"] == NFC


def test_nfc_and_nfd_spellings_are_one_label(api: Api, account: Account):
    inbox = api.inbox(account, [], policy={"skip": True})
    conversation = api.conversation(account, inbox["id"], labels=[NFD, NFC, "vip"])
    assert sorted(conversation["labels"]) == sorted([NFC, "vip"])
    patched = api.ok(
        "PATCH", account, f"/conversations/{conversation['id']}", json={"labels": [NFD, NFC]}
    )
    assert patched["labels"] == [NFC]
    found = api.ok("GET", account, "/conversations", params={"label": NFC})
    assert [c["id"] for c in found["payload"]] == [conversation["id"]]
    capacity = api.ok(
        "POST",
        account,
        "/agent_capacity_policies",
        json={"name": "Cap", "exclusion_rules": {"excluded_labels": [NFD, NFC]}},
    )
    assert capacity["exclusion_rules"]["excluded_labels"] == [NFC]


#: names with no visible character: format (Cf), space (Zs, Zl, Zp) and control (Cc)
#: characters only
INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200b\u200c\u200d\u2060",  # zero-width non-joiner, joiner, word joiner
    "\ufeff",  # byte order mark
    "\u00ad",  # soft hyphen
    "\u00a0\u2007\u202f",  # no-break spaces
    "\u3000",  # ideographic space
    "\u2028\u2029",  # line and paragraph separators
    "\u0085\u009f",  # C1 controls
    "\u180e",  # Mongolian vowel separator
    "\u202e\u2066",  # bidirectional controls
    "\U000e0001\U000e0020",  # language tag, tag space
    " \t\u200b\n",
]


def test_a_name_needs_a_visible_character(api: Api, account: Account):
    inbox = api.inbox(account, [], policy={"skip": True})
    for name in INVISIBLE:
        _invisible_name(api, account, inbox["id"], name)
    assert [i["name"] for i in api.ok("GET", account, "/inboxes")["payload"]] == ["Support"]
    teams = api.ok("GET", account, "/teams")
    assert sorted(t["name"] for t in teams) == sorted(f"{name}x{name}" for name in INVISIBLE)


def _invisible_name(api: Api, account: Account, inbox_id: int, name: str) -> None:
    for path in (
        "/agents",
        "/inboxes",
        "/teams",
        "/assignment_policies",
        "/agent_capacity_policies",
    ):
        _invalid(api.call("POST", account, path, json={"name": name}), "name")
    _invalid(api.call("PATCH", account, f"/inboxes/{inbox_id}", json={"name": name}), "name")
    labelled = {"inbox_id": inbox_id, "labels": ["ok", name]}
    _invalid(api.call("POST", account, "/conversations", json=labelled), "labels.1")
    platform = api.client.post(
        "/platform/api/v1/accounts", json={"name": name}, headers={"api_access_token": ADMIN}
    )
    _invalid(platform, "name")
    visible = api.ok("POST", account, "/teams", json={"name": f"{name}x{name}"})
    assert visible["name"] == f"{name}x{name}"


def test_capacity_policy_names_are_unique_per_account(api: Api, account: Account):
    first = api.ok("POST", account, "/agent_capacity_policies", json={"name": "Weekend"})
    conflict = {"error": "a capacity policy with this name exists", "details": []}
    duplicate = api.call("POST", account, "/agent_capacity_policies", json={"name": "Weekend"})
    assert (duplicate.status_code, duplicate.json()) == (409, conflict)
    other = api.ok("POST", account, "/agent_capacity_policies", json={"name": "Weekday"})
    renamed = api.call(
        "PATCH", account, f"/agent_capacity_policies/{other['id']}", json={"name": "Weekend"}
    )
    assert (renamed.status_code, renamed.json()) == (409, conflict)
    same = api.ok(
        "PATCH", account, f"/agent_capacity_policies/{first['id']}", json={"name": "Weekend"}
    )
    assert same["name"] == "Weekend"  # keeping its own name is no conflict
    elsewhere = api.new_account("Other")
    assert api.ok("POST", elsewhere, "/agent_capacity_policies", json={"name": "Weekend"})
    names = sorted(p["name"] for p in api.ok("GET", account, "/agent_capacity_policies"))
    assert names == ["Weekday", "Weekend"]


def _padded(body: bytes, size: int) -> bytes:
    """The JSON body, padded with trailing whitespace to exactly ``size`` bytes."""
    return body + b" " * (size - len(body))


def test_a_body_over_the_limit_is_413_in_the_json_shape(api: Api, account: Account):
    json_type = {"content-type": "application/json"}
    at_limit = _padded(b'{"name": "Ann"}', MIB)
    assert (
        api.call("POST", account, "/agents", content=at_limit, headers=json_type).status_code == 200
    )
    over = at_limit + b" "
    expected = {"error": "the request body is larger than 1048576 bytes", "details": []}
    declared = api.call("POST", account, "/agents", content=over, headers=json_type)
    assert (declared.status_code, declared.json()) == (413, expected)
    assert declared.headers["content-type"] == "application/json"

    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for start in range(0, len(over), 64 * 1024):
            yield over[start : start + 64 * 1024]

    streamed = api.call("POST", account, "/agents", content=chunks(), headers=json_type)
    assert (streamed.status_code, streamed.json()) == (413, expected)
    platform = api.client.post(
        "/platform/api/v1/accounts",
        content=_padded(b'{"name": "Big"}', 2 * MIB),
        headers={"api_access_token": ADMIN, **json_type},
    )
    assert (platform.status_code, platform.json()["error"]) == (413, expected["error"])
    assert [a["name"] for a in api.ok("GET", account, "/agents")] == ["Ann"]


@pytest.fixture(params=BACKENDS)
def small_bodies(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """AUTOASSIGN_MAX_BODY_BYTES=100, read from the environment like any setting."""
    monkeypatch.setenv("AUTOASSIGN_MAX_BODY_BYTES", "100")
    settings = _settings(request)
    assert settings.max_body_bytes == 100
    with TestClient(create_app(settings)) as client:
        yield Api(client)


def test_the_body_limit_is_a_setting(small_bodies: Api):
    assert Settings().max_body_bytes == 100
    account = small_bodies.new_account()
    json_type = {"content-type": "application/json"}
    fits = _padded(b'{"name": "Ann"}', 100)
    assert (
        small_bodies.call("POST", account, "/agents", content=fits, headers=json_type).status_code
        == 200
    )
    too_big = small_bodies.call("POST", account, "/agents", content=fits + b" ", headers=json_type)
    assert too_big.status_code == 413
    assert too_big.json()["error"] == "the request body is larger than 100 bytes"


def test_the_default_body_limit_is_one_mebibyte():
    assert Settings().max_body_bytes == MIB


async def test_a_chunked_body_is_not_read_past_the_limit():
    """The limit stops reading: the rest of a 50 MB stream is never received."""
    from autoassign.entrypoints.api.limits import BodyLimit

    pulled = 0
    chunk = b" " * (64 * 1024)

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": pulled < 800}

    async def reads_everything(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive()).get("more_body"):
            pass
        raise AssertionError("the whole body was read")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    class _Settings:
        max_body_bytes = MIB

    class _Engine:
        settings = _Settings()

    class _State:
        engine = _Engine()

    class _App:
        state = _State()

    scope: Scope = {"type": "http", "method": "POST", "path": "/x", "headers": [], "app": _App()}
    await BodyLimit(reads_everything)(scope, receive, send)
    assert sent[0]["status"] == 413
    assert pulled == MIB // len(chunk) + 1  # one chunk past the limit, never the 50 MB


def test_the_invisible_table_holds_every_control_format_and_space_character():
    """Checked against this Python's Unicode database: a newer Unicode version may add
    format characters, and then the table grows."""
    from autoassign.entrypoints.api.schemas.common import INVISIBLE

    categories = {"Cc", "Cf", "Zs", "Zl", "Zp"}
    listed = {code for lo, hi in INVISIBLE for code in range(lo, hi + 1)}
    missing = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in categories and code not in listed
    ]
    assert missing == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_migration_renames_duplicate_capacity_policy_names(
    backend: str, tmp_path: Path, pg_template: str
):
    """Names duplicated before the unique index existed do not stop the upgrade: the
    oldest keeps its name, the others get the first free " (n)", in id order."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'before.db'}"
        database = None
    else:
        database = f"autoassign_mig_{uuid.uuid4().hex[:12]}"
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        url = _url_for(database)
    try:
        script = ScriptDirectory.from_config(migrate.alembic_config(url))
        parent = script.get_revision(UNIQUE_CAPACITY_NAMES).down_revision
        assert isinstance(parent, str)
        migrate.upgrade(url, parent)
        long = "L" * 255
        names = ["Weekend", "Weekend", "Weekend (2)", "Weekend", long, long, "Other"]
        rows = [(i, 1, name) for i, name in enumerate(names, start=1)] + [(8, 2, "Weekend")]
        engine = make_sync_engine(url)
        try:
            with engine.begin() as conn:
                for account_id in (1, 2):
                    conn.execute(
                        sa.text(
                            "INSERT INTO accounts (id, name, created_at) VALUES (:id, 'a', :at)"
                        ),
                        {"id": account_id, "at": datetime(2026, 11, 27)},
                    )
                conn.execute(
                    sa.text(
                        "INSERT INTO capacity_policies (id, account_id, name, description,"
                        " excluded_labels, created_at) VALUES (:id, :account, :name, '', '[]', :at)"
                    ),
                    [
                        {"id": i, "account": a, "name": n, "at": datetime(2026, 11, 27)}
                        for i, a, n in rows
                    ],
                )
            migrate.upgrade(url)
            with engine.connect() as conn:
                after = conn.execute(sa.text("SELECT id, name FROM capacity_policies")).all()
        finally:
            engine.dispose()
        assert dict(after) == {
            1: "Weekend",
            2: "Weekend (3)",  # " (2)" was taken
            3: "Weekend (2)",
            4: "Weekend (4)",
            5: long,
            6: "L" * 251 + " (2)",  # cut to fit 255 characters
            7: "Other",
            8: "Weekend",  # another account's
        }
    finally:
        if database is not None:
            with _pg_admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
