"""`autoassign worker` and `autoassign serve` processes that a test may SIGKILL and start
again; ``close()`` stops every one still running (the fixtures call it on failure too)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx2

from tests.faults.servers import die_with_parent, free_port


def fault_env(
    database_url: str, redis_url: str | None, prefix: str, **extra: str
) -> dict[str, str]:
    """The settings every process of a scenario runs with: the sweep an hour away, so
    only triggers, wake-ups, the relay and recovery can assign anything; webhooks may go
    to the suite's receiver on 127.0.0.1, and a failed attempt is retried after 0.2 s
    (doubling) rather than 1 s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOASSIGN_")}
    env.update(
        AUTOASSIGN_DATABASE_URL=database_url,
        AUTOASSIGN_REDIS_PREFIX=prefix,
        AUTOASSIGN_SWEEP_INTERVAL="3600",
        AUTOASSIGN_STALLED_AFTER="2",
        AUTOASSIGN_WEDGED_AFTER="10",
        AUTOASSIGN_JOB_RETRY_DELAY="1",
        AUTOASSIGN_KEEP_FINISHED_JOBS="true",
        AUTOASSIGN_POOL_SIZE="3",
        AUTOASSIGN_LOG_LEVEL="WARNING",
        AUTOASSIGN_WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
        AUTOASSIGN_WEBHOOK_RETRY_DELAY="0.2",
        **extra,
    )
    if redis_url is not None:
        env["AUTOASSIGN_REDIS_URL"] = redis_url
    return env


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Fleet:
    """``count`` worker processes in slots; a slot's process may be killed and replaced."""

    def __init__(self, env: Mapping[str, str], logs: Path, count: int, concurrency: int = 2):
        self.env = dict(env)
        self.logs = logs
        self.concurrency = concurrency
        self.procs: list[subprocess.Popen[bytes]] = []
        self.starts = 0
        for slot in range(count):
            self.procs.append(self._spawn(slot))

    def _spawn(self, slot: int) -> subprocess.Popen[bytes]:
        self.starts += 1
        log = self.logs / f"worker-{slot}-{self.starts}.log"
        with log.open("wb") as out:
            return subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "autoassign",
                    "worker",
                    "--concurrency",
                    str(self.concurrency),
                ],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )

    def kill(self, slot: int) -> None:
        proc = self.procs[slot]
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def restart(self, slot: int) -> None:
        self.kill(slot)
        self.procs[slot] = self._spawn(slot)

    def exited(self) -> dict[int, int]:
        """Slots whose current process ended by itself: slot → exit code."""
        return {
            slot: code for slot, proc in enumerate(self.procs) if (code := proc.poll()) is not None
        }

    def logs_tail(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{_tail(path)}" for path in sorted(self.logs.glob("worker-*.log"))
        )

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


class ApiProcess:
    """`autoassign serve` on a free loopback port."""

    def __init__(self, env: Mapping[str, str], logs: Path) -> None:
        self.env = dict(env)
        self.logs = logs
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.starts = 0
        self.log = logs / "api-0.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> None:
        """Start it (from the main thread: see ``die_with_parent``); ``ready`` waits."""
        self.port = free_port()
        self.starts += 1
        self.log = self.logs / f"api-{self.starts}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "autoassign",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )

    def ready(self, within: float = 60) -> None:
        """Until it answers its health check."""
        assert self.proc is not None
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"autoassign serve exited:\n{_tail(self.log)}")
            with contextlib.suppress(httpx2.HTTPError):
                if httpx2.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"autoassign serve did not answer in {within} s:\n{_tail(self.log)}")

    def kill(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def close(self) -> None:
        self.kill()
