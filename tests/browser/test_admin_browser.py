"""The admin page and the API docs in a real browser: Debian's Chromium, headless, driven
by Playwright against a live server on this machine.

A person signs in, sees an inbox's queue, changes a policy, watches assignments appear
without reloading (one of them triggered from outside the page), and reads an
explanation; /docs offers "Authorize" and /redoc renders. Every request to a host other
than the app is recorded and refused, and the test fails if there is one. Screenshots
and the first load's page weight go to test-output/.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright

from autoassign.config import Settings
from autoassign.entrypoints.api.app import create_app

CHROMIUM = "/usr/bin/chromium"  # Debian's package; `playwright install` is never used
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
ADMIN = "browser-admin"


@dataclass
class Site:
    base: str
    token: str
    account_id: int
    ids: dict[str, int] = field(default_factory=dict)

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.base}/api/v1/accounts/{self.account_id}{path}"
        response = httpx2.request(
            method, url, headers={"api_access_token": self.token}, timeout=10, **kwargs
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def site(sqlite_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A live server (SQLite, jobs in process) with one account: two offline agents and
    an inbox whose three conversations have waited an hour."""
    database = Path(tmp_path_factory.mktemp("browser")) / "browser.db"
    shutil.copyfile(sqlite_template, database)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(Settings(database_url=f"sqlite:///{database}", admin_token=ADMIN))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the live server did not start"
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    created = httpx2.post(
        f"{base}/platform/api/v1/accounts",
        json={"name": "Acme Support"},
        headers={"api_access_token": ADMIN},
        timeout=10,
    ).json()
    site = Site(base, created["api_access_token"], created["id"])
    for name in ("Ada", "Grace"):
        site.ids[name] = site.api("POST", "/agents", json={"name": name})["id"]
    inbox = site.api("POST", "/inboxes", json={"name": "Website chat"})["id"]
    site.ids["inbox"] = inbox
    site.api(
        "POST", "/inbox_members", json={"inbox_id": inbox, "user_ids": [*site.ids.values()][:2]}
    )
    policy = site.api("POST", "/assignment_policies", json={"name": "Front desk"})["id"]
    site.ids["policy"] = policy
    site.api("POST", f"/inboxes/{inbox}/assignment_policy", json={"assignment_policy_id": policy})
    hour_ago = int(time.time()) - 3600
    for minute in range(3):
        body = {"inbox_id": inbox, "created_at": hour_ago + 60 * minute}
        site.api("POST", "/conversations", json=body)
    yield site
    server.should_exit = True
    thread.join(10)


@dataclass
class Visit:
    context: BrowserContext
    page: Page
    #: requests to any other host, refused
    outside: list[str]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def visit(browser: Browser, site: Site) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    app_host = urlsplit(site.base).netloc

    def only_the_app(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == app_host or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", only_the_app)
    yield Visit(context, context.new_page(), outside)
    context.close()


def weigh(page: Page, url: str, ready: list[str]) -> dict[str, int]:
    """Bytes of every response the first load of ``url`` brought (headers and bodies, as
    sent: compressed where the app compressed), until the ``ready`` selectors show."""
    finished: list[Any] = []

    def record(request: Any) -> None:
        finished.append(request)

    page.on("requestfinished", record)
    page.goto(url)
    for selector in ready:
        page.wait_for_selector(selector)
    page.wait_for_load_state("networkidle")
    page.remove_listener("requestfinished", record)
    sizes = [request.sizes() for request in finished]
    return {
        "requests": len(finished),
        "bytes": sum(s["responseHeadersSize"] + s["responseBodySize"] for s in sizes),
        "body_bytes": sum(s["responseBodySize"] for s in sizes),
    }


def test_sign_in_watch_the_queue_edit_and_read_why(visit: Visit, site: Site):
    page, inbox = visit.page, site.ids["inbox"]
    page.goto(f"{site.base}/")
    expect(page).to_have_url(f"{site.base}/admin/sign-in")
    page.fill("#token", site.token)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{site.base}/admin/")
    expect(page.locator("h1")).to_contain_text("Acme Support")

    # the inbox's queue: three waiting for an hour, nobody online
    queue = page.locator(f'tr[data-inbox="{inbox}"]')
    expect(queue.locator("td.waiting")).to_have_text("3")
    expect(queue).to_contain_text("1 h")
    expect(queue).to_contain_text("Front desk")
    expect(page.locator("#events")).to_contain_text("No assignments yet.")
    expect(page.locator(f'form[data-policy="{site.ids["policy"]}"]')).to_be_visible()
    page.screenshot(path=str(OUTPUT / "admin-signed-in.png"), full_page=True)

    # change the policy: balanced, two per window
    form = page.locator(f'form[data-policy="{site.ids["policy"]}"]')
    form.locator("[name=assignment_order]").select_option("balanced")
    form.locator("[name=fair_distribution_limit]").fill("2")
    form.locator("button[type=submit]").click()
    expect(page.locator("#flash")).to_contain_text("Policy “Front desk” saved.")
    policy = site.api("GET", f"/assignment_policies/{site.ids['policy']}")
    assert (policy["assignment_order"], policy["fair_distribution_limit"]) == ("balanced", 2)
    expect(queue).to_contain_text("balanced, 2 per 1 h")

    # Ada comes online from the page: she takes two, her window is full
    ada = page.locator(f'tr[data-agent="{site.ids["Ada"]}"]')
    ada.locator("button[value=online]").click()
    expect(page.locator("#flash")).to_contain_text("Ada is online.")
    events = page.locator("#events li[data-event]")
    expect(events).to_have_count(2, timeout=5000)
    expect(queue.locator("td.waiting")).to_have_text("1")
    expect(ada).to_contain_text("window 2 / 2")
    expect(ada).to_contain_text("full, frees in")

    # Grace comes online elsewhere (the API): the page shows it without a reload
    site.api("PATCH", f"/agents/{site.ids['Grace']}", json={"availability": "online"})
    expect(events).to_have_count(3, timeout=5000)
    expect(events.first).to_contain_text("→ Grace")
    expect(queue.locator("td.waiting")).to_have_text("0", timeout=5000)
    page.screenshot(path=str(OUTPUT / "admin-assigned-live.png"), full_page=True)

    # why: the newest assignment's explanation, then one typed in
    events.first.locator("button").click()
    explanation = page.locator("#explanation")
    expect(explanation).to_contain_text("Assigned to Grace.")
    expect(explanation).to_contain_text("Chosen by balanced at")
    page.fill("#conversation_id", "999")
    page.click("#explain button[type=submit]")
    expect(explanation).to_contain_text("conversation 999 not found")
    events.last.locator("button").click()
    expect(explanation).to_contain_text("Assigned to Ada.")
    page.locator("#explain").scroll_into_view_if_needed()
    page.screenshot(path=str(OUTPUT / "admin-explanation.png"), full_page=True)
    assert visit.outside == []


def test_first_load_is_small(browser: Browser, site: Site):
    """A signed-in person's first visit, with an empty cache."""
    context = browser.new_context()
    try:
        host = urlsplit(site.base).hostname
        assert host is not None
        context.add_cookies(
            [{"name": "autoassign_token", "value": site.token, "domain": host, "path": "/admin"}]
        )
        weight = weigh(
            context.new_page(),
            f"{site.base}/admin/",
            ["#live", "#events li, #events .empty", "#settings form, #settings .empty"],
        )
    finally:
        context.close()
    (OUTPUT / "page-weight.json").write_text(json.dumps(weight, indent=2) + "\n")
    print(f"admin page, first load: {weight}")
    assert weight["requests"] <= 8
    assert weight["bytes"] < 60_000


def test_api_docs_work_offline_with_authorize(visit: Visit, site: Site):
    page = visit.page
    page.goto(f"{site.base}/docs")
    authorize = page.locator("button.authorize")
    expect(authorize).to_be_visible(timeout=15000)
    authorize.click()
    dialog = page.locator(".dialog-ux")
    expect(dialog).to_contain_text("api_access_token (apiKey)")
    expect(dialog).to_contain_text("platform_token (apiKey)")
    dialog.locator("input").first.fill(site.token)
    dialog.locator("button.authorize").first.click()
    expect(dialog).to_contain_text("Authorized")
    page.screenshot(path=str(OUTPUT / "docs-authorize.png"))
    page.goto(f"{site.base}/redoc")
    expect(page.locator("h1").first).to_contain_text("autoassign", timeout=15000)
    page.screenshot(path=str(OUTPUT / "redoc.png"))
    assert visit.outside == []
