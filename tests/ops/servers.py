"""Throwaway servers for the fault tests (tests/ops/test_faults.py): a PostgreSQL cluster, a
redis-server, a web server and a Celery worker of the test's own, each on a free port in a
temporary folder, each stopped by the fixture that started it. Every wait here is bounded.

The shared servers (PostgreSQL on 5432, Redis on 6379) are never stopped or restarted: the
only thing read from the shared PostgreSQL is a `pg_dump` of this test worker's own test
database, to give the throwaway cluster the schema and reference rows in a second or two
instead of running every migration again."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from devstack.servers import free_port, terminate

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_OS_USER = "postgres"  # PostgreSQL refuses to run as root; the tests do run as root here


def wait_until(condition: Callable[[], object], *, timeout: float, what: str, every: float = 0.1):
    """Poll `condition` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", PG_OS_USER, "--", *args]
    return args


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# --------------------------------------------------------------------------- PostgreSQL


class TempPostgres:
    """A PostgreSQL 15 cluster in a temporary folder, listening on 127.0.0.1:<free port>."""

    def __init__(self, primary: TempPostgres | None = None) -> None:
        """A new cluster (initdb), or with `primary` (running) a streaming replica of it:
        `pg_basebackup -R` writes standby.signal and primary_conninfo; start() starts it in recovery."""
        self.root = Path(tempfile.mkdtemp(prefix="care-fault-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.root, PG_OS_USER)
        if primary is not None:
            subprocess.run(_as_postgres([str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
                                         "-U", "postgres", "-D", str(self.data), "-R", "-X", "stream",
                                         "-c", "fast", "--no-sync"]),
                           check=True, capture_output=True, timeout=120)
            return
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                                     "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]),
                       check=True, capture_output=True, timeout=60)

    def _ctl(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-w", "-t", "45", *args]),
                       check=True, capture_output=True, timeout=timeout)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=40")
        self._ctl("-l", str(self.log), "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "stop")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every session is cut off, the server comes back on the same port."""
        self.stop()
        self.start()

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                              str(self.port), "-U", "postgres", "-d", dbname, "-c", sql],
                             check=True, capture_output=True, text=True, timeout=60)
        return out.stdout.strip()

    def copy_database(self, source: dict, name: str) -> None:
        """Create `name` here as a copy (schema and rows) of the Django database `source`
        (a DATABASES entry) on the shared server: pg_dump | psql, roles created first."""
        for role in ("care_owner", "care_app"):
            with contextlib.suppress(subprocess.CalledProcessError):
                self.psql(f"CREATE ROLE {role}")
        self.psql(f"CREATE DATABASE {name}")
        dump = subprocess.Popen(
            ["pg_dump", "-h", source["HOST"] or "127.0.0.1", "-p", str(source["PORT"] or 5432), "-U",
             source["USER"] or "postgres", "--no-owner", "--no-privileges", source["NAME"]],
            stdout=subprocess.PIPE)
        restore = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                                  str(self.port), "-U", "postgres", "-d", name],
                                 stdin=dump.stdout, capture_output=True, text=True, timeout=120)
        dump.stdout.close()
        dump.wait(30)
        if dump.returncode or restore.returncode:
            raise RuntimeError(f"copying the test database failed: {restore.stderr[-2000:]}")

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            if self.running():
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


# --------------------------------------------------------------------------- Redis


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class TempRedis:
    """redis-server on 127.0.0.1:<free port>, nothing on disk; stop() and start() keep the port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or str(ROOT / ".venv" / "bin" / "redis-server")
        self.process = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                         "--appendonly", "no"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(lambda: _redis_answers(self.port), timeout=20, what="redis-server")

    def stop(self) -> None:
        """Like a crash or a restart: SIGKILL, no goodbye to the clients."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


# --------------------------------------------------------------------------- the application


def app_env(*, database_url: str, redis_url: str, media_root: Path) -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.ops.fault_settings", "DATABASE_URL": database_url,
            "REDIS_URL": redis_url, "MEDIA_ROOT": str(media_root), "PYTHONUNBUFFERED": "1",
            "CONN_MAX_AGE": "60",
            # MEDIA_ROOT is the test's own folder already: the test settings must not add the
            # xdist worker's subfolder to it a second time in the application's processes.
            "PYTEST_XDIST_WORKER": ""}


class Process:
    """A server process of the application (gunicorn, a Celery worker) in its own session, its
    output in a log file that a failing test prints."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("ab")
        self.process = subprocess.Popen(args, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=self.handle,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL to the whole process group: the main process and its pool, as the OOM killer would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM, and SIGKILL to the group after 3 s: a test's server has nothing to finish."""
        terminate(self.process, timeout=3)
        self.handle.close()


def start_web(env: dict[str, str], log: Path) -> tuple[Process, str]:
    port = free_port()
    web = Process([sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                   "--threads", "2", "--timeout", "60", "--graceful-timeout", "5"], env, log)
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if web.process.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + web.tail())
        try:
            with urllib.request.urlopen(base + "/accounts/login/", timeout=5):  # noqa: S310
                return True
        except (urllib.error.URLError, OSError):
            return False

    wait_until(answers, timeout=60, what="gunicorn", every=0.2)
    return web, base


def start_worker(env: dict[str, str], log: Path, *, queues: str = "celery") -> Process:
    worker = Process([sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
                      "--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                      "--without-heartbeat", "-Q", queues, "-n", f"fault{os.getpid()}@%h"], env, log)
    wait_until(lambda: "ready." in worker.tail(100_000) or worker.process.poll() is not None, timeout=60,
               what="the Celery worker", every=0.2)
    if worker.process.poll() is not None:
        raise RuntimeError("the Celery worker exited:\n" + worker.tail())
    return worker


@contextlib.contextmanager
def django_pointed_at(database: str, port: int) -> Iterator[None]:
    """Point this process's default connection at the throwaway cluster for the block, so the
    test can set up and read back rows with the ORM and the factories; then point it back."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connections

    conn = connections["default"]
    conn.close()
    saved = dict(conn.settings_dict)
    conn.settings_dict.update(HOST="127.0.0.1", PORT=str(port), NAME=database, USER="postgres", PASSWORD="")
    ContentType.objects.clear_cache()
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(saved)
        ContentType.objects.clear_cache()
