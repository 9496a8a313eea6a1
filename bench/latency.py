"""Event-to-assignment latency through the real HTTP API under a steady load.

Conversations are created with ``POST /conversations`` at a fixed rate (open loop: a
slow response never delays the next request), and the time runs from just before each
request is sent until its ``assignee_changed`` webhook reaches a receiver in this
process. So it covers the API, the commit, the trigger, the job, the batch and the
signed webhook delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from autoassign.adapters.sql import tables as t
from autoassign.adapters.sql.engine import make_sync_engine
from autoassign.services.accounts import token_hash
from bench.dataset import ACCOUNT_ID

TOKEN = "bench-latency-token"
API_PORT = 8765
RECEIVER_PORT = 8766


@dataclass(frozen=True, slots=True)
class Latency:
    sent: int
    failed_requests: int
    assigned: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    achieved_rate: float
    #: the create request alone (response received), for telling the API from the rest
    response_p50_ms: float
    response_p99_ms: float


def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(share * len(sorted_values)) - 1))
    return sorted_values[index]


def prepare(url: str) -> None:
    """An API token and a webhook pointing at this process, written straight to SQL."""
    engine = make_sync_engine(url)
    stamp = datetime.now(UTC)
    try:
        with engine.begin() as db:
            db.execute(
                t.api_tokens.insert(),
                {
                    "account_id": ACCOUNT_ID,
                    "name": "bench",
                    "token_hash": token_hash(TOKEN),
                    "created_at": stamp,
                },
            )
            db.execute(
                t.webhooks.insert(),
                {
                    "account_id": ACCOUNT_ID,
                    "url": f"http://127.0.0.1:{RECEIVER_PORT}/hook",
                    "subscriptions": ["assignee_changed"],
                    "secret": "bench",
                    "created_at": stamp,
                },
            )
    finally:
        engine.dispose()


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "autoassign"), *args],
        env={**os.environ, **env, "AUTOASSIGN_WORKER_CONCURRENCY": "8"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _wait_ready(client: httpx2.AsyncClient, deadline: float) -> None:
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx2.HTTPError):
            if (await client.get("/readyz")).status_code == 200:
                return
        await asyncio.sleep(0.2)
    raise RuntimeError("the API did not become ready")


async def _measure(rate: int, seconds: float, inboxes: int) -> Latency:
    arrived: dict[int, float] = {}
    waiting: set[int] = set()
    sending = True
    all_arrived = asyncio.Event()

    async def hook(request: Request) -> Response:
        event = json.loads(await request.body())
        arrived.setdefault(event["conversation_id"], time.perf_counter())
        waiting.discard(event["conversation_id"])
        if not sending and not waiting:
            all_arrived.set()
        return Response(status_code=204)

    receiver = uvicorn.Server(
        uvicorn.Config(
            Starlette(routes=[Route("/hook", hook, methods=["POST"])]),
            host="127.0.0.1",
            port=RECEIVER_PORT,
            log_level="warning",
            lifespan="off",
        )
    )
    receiver_task = asyncio.create_task(receiver.serve())
    sent_at: dict[int, float] = {}
    responses: list[float] = []
    failed = 0
    limits = httpx2.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx2.AsyncClient(
        base_url=f"http://127.0.0.1:{API_PORT}", limits=limits, timeout=30
    ) as client:
        await _wait_ready(client, time.monotonic() + 60)
        path = f"/api/v1/accounts/{ACCOUNT_ID}/conversations"
        headers = {"api_access_token": TOKEN}

        async def create(i: int) -> None:
            nonlocal failed
            started = time.perf_counter()
            try:
                response = await client.post(
                    path, json={"inbox_id": i % inboxes + 1}, headers=headers
                )
                response.raise_for_status()
            except httpx2.HTTPError:
                failed += 1
                return
            cid = response.json()["id"]
            sent_at[cid] = started
            if cid not in arrived:
                waiting.add(cid)
            responses.append((time.perf_counter() - started) * 1000)

        total = int(rate * seconds)
        tasks: list[asyncio.Task[None]] = []
        begin = time.perf_counter()
        for i in range(total):
            delay = begin + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(create(i)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - begin
        sending = False
        if not waiting:
            all_arrived.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_arrived.wait(), 15)
    receiver.should_exit = True
    await receiver_task
    latencies = sorted((arrived[cid] - at) * 1000 for cid, at in sent_at.items() if cid in arrived)
    return Latency(
        sent=total,
        failed_requests=failed,
        assigned=len(latencies),
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        max_ms=latencies[-1] if latencies else float("nan"),
        achieved_rate=total / elapsed,
        response_p50_ms=percentile(sorted(responses), 0.50),
        response_p99_ms=percentile(sorted(responses), 0.99),
    )


def run(
    url: str, env: dict[str, str], *, embedded: bool, rate: int, seconds: float, inboxes: int
) -> Latency:
    """Serve the API on ``url`` (plus a worker when not embedded) and measure."""
    prepare(url)
    processes = [_start(["serve", "--port", str(API_PORT)], env)]
    if not embedded:
        processes.append(_start(["worker"], env))
    try:
        return asyncio.run(_measure(rate, seconds, inboxes))
    finally:
        for process in processes:
            _stop(process)
