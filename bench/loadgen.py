"""The latency bench's load generator, a process of its own (``python -m bench.loadgen``).

Open loop: request ``i`` is sent at ``start_at + i / rate`` whatever became of the
earlier ones; each goes out on an idle keep-alive connection or a new one, so a slow
response never delays the next request. HTTP/1.1 is spoken directly over asyncio
streams (a few tens of microseconds a request) so that the generator costs the shared
cores as little as possible.

Each request's record: when it was due, when it was sent and when its response ended
(``time.monotonic()``, the system-wide clock the webhook receiver reads too), the status,
the conversation id and the failure kind: ``http`` (a response that is not 2xx),
``error`` (connection refused, reset or closed) or ``timeout`` (no whole response within
``--timeout`` seconds). Written as one JSON document to ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@dataclass(frozen=True, slots=True)
class Target:
    host: str
    port: int
    path: str
    token: str

    def request(self, body: bytes) -> bytes:
        return (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"api_access_token: {self.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body


class Closed(Exception):
    """The server closed the connection before a whole response."""


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep the connection) of one HTTP/1.1 response."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        raise Closed from exc
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    keep = headers.get("connection") != "close" and lines[0].startswith("HTTP/1.1")
    return status, body, keep


class Generator:
    def __init__(self, target: Target, timeout: float) -> None:
        self.target = target
        self.timeout = timeout
        self.idle: deque[Stream] = deque()
        self.opened = 0
        self.records: list[list[object]] = []
        self.finished_sending = 0.0

    async def _connect(self) -> Stream:
        self.opened += 1
        return await asyncio.open_connection(self.target.host, self.target.port)

    async def warm(self, connections: int) -> None:
        for _ in range(connections):
            with contextlib.suppress(OSError):
                self.idle.append(await self._connect())

    async def _exchange(self, stream: Stream, payload: bytes) -> tuple[int, bytes, bool]:
        reader, writer = stream
        writer.write(payload)
        await writer.drain()
        return await read_response(reader)

    async def one(self, due: float, inbox_id: int) -> None:
        payload = self.target.request(json.dumps({"inbox_id": inbox_id}).encode())
        sent = time.monotonic()
        status: int | None = None
        cid: int | None = None
        kind = ""
        stream: Stream | None = None
        try:
            async with asyncio.timeout(self.timeout):
                reused = bool(self.idle)
                stream = self.idle.popleft() if reused else await self._connect()
                try:
                    status, body, keep = await self._exchange(stream, payload)
                except (Closed, ConnectionError):
                    if not reused:
                        raise
                    # the server had closed this idle connection: once more, on a new one
                    stream[1].close()
                    stream = await self._connect()
                    status, body, keep = await self._exchange(stream, payload)
                if 200 <= status < 300:
                    cid = int(json.loads(body)["id"])
                else:
                    kind = "http"
                if keep:
                    self.idle.append(stream)
                else:
                    stream[1].close()
                stream = None
        except TimeoutError:
            kind = "timeout"
        except (OSError, Closed, asyncio.IncompleteReadError, ValueError, KeyError):
            kind = "error"
        finally:
            if stream is not None:  # failed mid-exchange: never reuse it
                stream[1].close()
        self.records.append([due, sent, time.monotonic(), status, cid, kind])

    async def run(self, rate: float, seconds: float, inboxes: int, start_at: float) -> None:
        total = max(1, round(rate * seconds))
        tasks: set[asyncio.Task[None]] = set()
        delay = start_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        begin = time.monotonic()
        for i in range(total):
            due = begin + i / rate
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            task = asyncio.create_task(self.one(due, i % inboxes + 1))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        self.finished_sending = time.monotonic()
        if tasks:
            await asyncio.wait(tasks)
        for _reader, writer in self.idle:
            writer.close()


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    target = Target(args.host, args.port, args.path, args.token)
    gen = Generator(target, args.timeout)
    await gen.warm(args.warm)
    cpu_before = time.process_time()
    await gen.run(args.rate, args.seconds, args.inboxes, args.start_at)
    return {
        "records": gen.records,
        "finished_sending": gen.finished_sending,
        "connections": gen.opened,
        "cpu_seconds": time.process_time() - cpu_before,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/api/v1/accounts/1/conversations")
    parser.add_argument("--token", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--inboxes", type=int, required=True)
    parser.add_argument("--start-at", type=float, default=0.0, help="time.monotonic() to start")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--warm", type=int, default=4, help="connections opened beforehand")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    args.out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
