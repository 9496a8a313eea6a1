"""CPU time per process group, from ``/proc/<pid>/stat`` (utime + stime).

A :class:`Sampler` reads every process of every group now and then (every 20 ms by
default, in a thread). A process seen at :meth:`Sampler.start` counts from the value read
then; one born later counts from zero (its whole life falls in the window); one that
exits keeps the last value read. So only a process that is born and dies between two
reads is missed: :func:`pg_sessions` tells how many connections the bench's database
saw, to compare with the backends the sampler saw.

Groups:

- the API server and the worker processes (and their children), by pid;
- ``PostgreSQL backends``: the postmaster's children whose process title names the
  bench's database (client backends, autovacuum workers), and the parallel workers
  they lead;
- ``PostgreSQL shared``: the postmaster itself and its auxiliary processes
  (checkpointer, background writer, WAL writer, launchers): every database's clients
  make them work, so other tenants of the server show up here too;
- ``Redis``: the redis-server process (all its threads); other tenants' commands show
  up here too.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PG_BACKENDS = "PostgreSQL backends"
PG_SHARED = "PostgreSQL shared"
REDIS = "Redis"
_AUX = (
    "checkpointer",
    "background writer",
    "walwriter",
    "autovacuum launcher",
    "logical replication launcher",
    "stats collector",
    "archiver",
    "walsender",
)


@dataclass(frozen=True, slots=True)
class Stat:
    pid: int
    ppid: int
    #: clock ticks after boot at which the process started (tells a reused pid apart)
    started: int
    #: utime + stime, in clock ticks
    ticks: int


def read_stat(pid: int) -> Stat | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    # the command may hold spaces and parentheses: fields start after the last ")"
    fields = raw[raw.rindex(b")") + 2 :].split()
    return Stat(
        pid=pid,
        ppid=int(fields[1]),
        started=int(fields[19]),
        ticks=int(fields[11]) + int(fields[12]),
    )


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (all its threads'), or [] if it is gone."""
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                out.extend(int(c) for c in f.read().split())
        except OSError:
            continue
    return out


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    found = [pid]
    i = 0
    while i < len(found):
        found.extend(children(found[i]))
        i += 1
    return found


def title(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def available() -> bool:
    return os.path.exists("/proc/self/stat")


class Discover:
    """Which pid belongs to which group, now. Titles are read once per process."""

    def __init__(
        self,
        *,
        pids: dict[str, list[int]],
        postmaster: int | None = None,
        database: str | None = None,
        redis_pid: int | None = None,
    ) -> None:
        self.pids = pids
        self.postmaster = postmaster
        self.database = database
        self.redis_pid = redis_pid
        self._titles: dict[tuple[int, int], str] = {}
        #: the processes below each root, looked up again every ``_REFRESH`` seconds
        self._tree: dict[int, tuple[float, list[int]]] = {}

    _REFRESH = 0.5

    def _below(self, root: int) -> list[int]:
        now = time.monotonic()
        cached = self._tree.get(root)
        if cached is None or now - cached[0] > self._REFRESH:
            cached = (now, descendants(root))
            self._tree[root] = cached
        return cached[1]

    def _title(self, stat: Stat) -> str:
        key = (stat.pid, stat.started)
        cached = self._titles.get(key)
        if cached is not None:
            return cached
        text = title(stat.pid)
        # a backend just forked still shows the postmaster's command line: look again
        if text.startswith("postgres:"):
            self._titles[key] = text
        return text

    def _pg_group(self, stat: Stat, ours: set[int]) -> str | None:
        text = self._title(stat)
        if self.database and f" {self.database} " in f"{text} ":
            return PG_BACKENDS
        if "parallel worker for PID" in text:
            leader = text.rsplit(" ", 1)[1]
            return PG_BACKENDS if leader.isdigit() and int(leader) in ours else None
        if any(f": {name}" in text for name in _AUX):
            return PG_SHARED
        return None

    def __call__(self) -> dict[str, list[Stat]]:
        out: dict[str, list[Stat]] = {}
        for group, roots in self.pids.items():
            stats = [s for r in roots for p in self._below(r) if (s := read_stat(p)) is not None]
            out[group] = stats
        if self.postmaster is not None:
            pm = read_stat(self.postmaster)
            shared = [pm] if pm is not None else []
            backends: list[Stat] = []
            kids = [s for p in children(self.postmaster) if (s := read_stat(p)) is not None]
            ours = {s.pid for s in kids if self._pg_group(s, set()) == PG_BACKENDS}
            for s in kids:
                kind = self._pg_group(s, ours)
                if kind == PG_BACKENDS:
                    backends.append(s)
                elif kind == PG_SHARED:
                    shared.append(s)
            out[PG_BACKENDS] = backends
            out[PG_SHARED] = shared
        if self.redis_pid is not None:
            rs = read_stat(self.redis_pid)
            out[REDIS] = [rs] if rs is not None else []
        return out


@dataclass
class Window:
    """CPU seconds per group between :meth:`Sampler.start` and :meth:`Sampler.stop`."""

    seconds: float
    cpu: dict[str, float] = field(default_factory=dict)
    #: processes of each group that were born during the window
    born: dict[str, int] = field(default_factory=dict)
    #: processes of each group seen at all
    seen: dict[str, int] = field(default_factory=dict)

    def total(self, groups: Iterable[str] | None = None) -> float:
        chosen = self.cpu if groups is None else {g: self.cpu.get(g, 0.0) for g in groups}
        return sum(chosen.values())


class Sampler:
    """Reads the groups every ``interval`` seconds in a thread between start and stop."""

    def __init__(
        self, discover: Callable[[], dict[str, list[Stat]]], interval: float = 0.02
    ) -> None:
        self.discover = discover
        self.interval = interval
        self._first: dict[tuple[int, int], int] = {}
        self._last: dict[tuple[int, int], tuple[str, int]] = {}
        self._born: set[tuple[int, int]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started_at = 0.0
        self._lock = threading.Lock()

    def _read(self, initial: bool) -> None:
        found = self.discover()
        with self._lock:
            for group, stats in found.items():
                for s in stats:
                    key = (s.pid, s.started)
                    if key not in self._first:
                        self._first[key] = s.ticks if initial else 0
                        if not initial:
                            self._born.add(key)
                    self._last[key] = (group, s.ticks)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._read(initial=False)

    def start(self) -> None:
        self._first.clear()
        self._last.clear()
        self._born.clear()
        self._stop.clear()
        self._read(initial=True)
        self._started_at = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="cpu-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> Window:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._read(initial=False)
        window = Window(seconds=time.monotonic() - self._started_at)
        with self._lock:
            for key, (group, ticks) in self._last.items():
                spent = (ticks - self._first[key]) / CLOCK_TICKS
                window.cpu[group] = window.cpu.get(group, 0.0) + spent
                window.seen[group] = window.seen.get(group, 0) + 1
                if key in self._born:
                    window.born[group] = window.born.get(group, 0) + 1
        return window


def postmaster_pid(admin_url: str) -> int | None:
    """The postmaster's pid, if the server runs on this machine (its backend's parent)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as db:
        row = db.execute("SELECT pg_backend_pid()").fetchone()
    stat = read_stat(int(row[0])) if row else None
    return stat.ppid if stat is not None else None


def redis_pid(redis_url: str) -> int | None:
    """redis-server's pid, if it runs on this machine."""
    import redis

    with redis.Redis.from_url(redis_url) as r:
        pid = int(r.info("server")["process_id"])
    stat = read_stat(pid)
    return pid if stat is not None and b"redis" in _comm(pid) else None


def _comm(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/comm", "rb") as f:
            return f.read()
    except OSError:
        return b""


def pg_sessions(admin_url: str, database: str) -> int:
    """Connections the database has seen (``pg_stat_database.sessions``, PostgreSQL 14+)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute("SELECT pg_stat_clear_snapshot()")
        row = db.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s", (database,)
        ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0
