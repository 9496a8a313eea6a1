"""PostgreSQL and Redis servers of the fault suite's own, on free loopback ports, so a test
may kill, stop and restart them without touching the shared ones.

PostgreSQL refuses to run as root: as root, its commands run as the ``postgres`` OS user
(``runuser``) in a directory that user owns. Everything lives in one ``Workspace``
directory, removed and every process stopped by ``close()``, which the fixtures call
also when a test fails; and should the test process itself be killed, its children die
with it (``die_with_parent``) and a janitor stops PostgreSQL and removes the directory.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import redis as redis_sync


def die_with_parent() -> None:
    """``preexec_fn``: the child gets SIGKILL when the thread that started it ends (Linux
    PR_SET_PDEATHSIG), so a test run killed outright leaves no worker or server behind.
    Start such children from the main thread."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version_key)
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    return Path(found[-1]).parent


def _version_key(path: str) -> tuple[int, ...]:
    part = Path(path).parent.parent.name
    return tuple(int(p) for p in part.split(".") if p.isdigit())


class PostgresServer:
    """A throw-away PostgreSQL cluster: ``initdb`` once, then start, stop and terminate."""

    def __init__(self, root: Path) -> None:
        self.bin = _pg_bin()
        self.root = root
        root.mkdir()
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self._as_root = os.geteuid() == 0
        if self._as_root:  # PostgreSQL refuses root: its files belong to `postgres`
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        )
        settings = {
            "port": str(self.port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": "300",
            "shared_buffers": "'64MB'",
            # durability is not what these tests are about; speed on 2 cores is
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "log_min_messages": "'fatal'",
            # a connection whose client never sends its startup packet (one the server
            # answers "shutting down" to while it stops) holds the shutdown for this
            # long: 60 s by default, which outlasted `pg_ctl stop -t 60` now and then
            "authentication_timeout": "'5s'",
        }
        config = "".join(f"{k} = {v}\n" for k, v in settings.items())
        conf_file = self.data / "postgresql.conf"
        with conf_file.open("a") as handle:  # as root: appending keeps its owner
            handle.write(config)

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin / tool), *args]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """``fast``: disconnect every client and shut down cleanly; ``immediate``: as a
        crash (recovery runs at the next start)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def crash(self, within: float = 10) -> None:
        """Down at once, as by a crash: ``pg_ctl stop -m immediate``; should that not
        have ended the postmaster within ``within`` s (seen, rarely, on a loaded machine),
        SIGKILL it (its backends exit when they see it gone)."""
        try:
            self._run(
                "pg_ctl",
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "-w",
                "-t",
                str(int(within)),
                "stop",
                timeout=within + 5,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._kill_leftovers()
        deadline = time.monotonic() + within
        while self.running():
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL still answers after a crash")
            time.sleep(0.1)

    def running(self) -> bool:
        try:
            with psycopg.connect(self.url(), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def ensure_running(self) -> None:
        if not self.running():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.stop("immediate")
            self.start()

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url(), autocommit=True)

    def terminate_backends(self, database: str) -> int:
        """``pg_terminate_backend`` on every other session of ``database``."""
        with self.admin() as conn:
            row = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            ).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop("immediate")
        self._kill_leftovers()
        shutil.rmtree(self.root, ignore_errors=True)

    def _kill_leftovers(self) -> None:
        pid_file = self.data / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(pid_file.read_text().splitlines()[0])
            os.kill(pid, signal.SIGKILL)


class RedisServer:
    """A ``redis-server`` that saves RDB snapshots (``--save 1 1``, like a packaged one
    does by default) in its own directory, so a kill and restart loads a stale snapshot."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir()
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis_sync.Redis:
        return redis_sync.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "1 1",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
                "--dbfilename",
                "dump.rdb",
                "--logfile",
                str(self.root / "redis.log"),
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            client = self.client()
            try:
                if client.ping():
                    return
            except redis_sync.RedisError:
                time.sleep(0.05)
            finally:
                client.close()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: whatever was written since the last snapshot is lost."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def snapshot_age(self) -> float:
        """Seconds since the last successful RDB save."""
        client = self.client()
        try:
            return time.time() - float(client.lastsave().timestamp())
        finally:
            client.close()

    def flushall(self) -> None:
        client = self.client()
        try:
            client.flushall()
        finally:
            client.close()

    def ensure_running(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self.start()

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)


class Workspace:
    """The suite's one temporary directory (servers' data, logs), and a janitor process
    that cleans it up if the test process dies without doing so itself."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="autoassign-faults-"))
        self.root.chmod(0o755)  # the `postgres` user reaches its data directory inside
        self._janitor: subprocess.Popen[bytes] | None = None

    def watch(self, pg: PostgresServer) -> None:
        """Start the janitor: once this process is gone, stop ``pg`` and remove the
        workspace (a no-op after a normal ``close``)."""
        stop = [str(pg.bin / "pg_ctl"), "-D", str(pg.data), "-m", "immediate", "stop"]
        if os.geteuid() == 0:
            stop = ["runuser", "-u", "postgres", "--", *stop]
        script = (
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
            f"[ -d {shlex.quote(str(pg.data))} ] && {shlex.join(stop)}; "
            f"rm -rf {shlex.quote(str(self.root))}"
        )
        self._janitor = subprocess.Popen(
            ["/bin/sh", "-c", script],
            start_new_session=True,  # outlives this process on purpose
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def mkdtemp(self, prefix: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.root))

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        if self._janitor is not None:
            self._janitor.kill()
            self._janitor.wait(10)
