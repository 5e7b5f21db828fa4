"""python -m devstack exec -- CMD ARGS...   |   python -m devstack run [--addr HOST:PORT]"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from devstack.servers import ROOT, VAR, backing_servers, die_with_parent, say, terminate, with_user

SignalHandler = Callable[[int, FrameType | None], object] | int | None
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def exit_status(returncode: int) -> int:
    """Popen reports death by signal N as -N; shells report it as 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def set_handlers(handler: SignalHandler) -> dict[int, SignalHandler]:
    return {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}


def restore_handlers(previous: dict[int, SignalHandler]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


# --------------------------------------------------------------------------- exec


def cmd_exec(argv: list[str]) -> int:
    if not argv:
        say("usage: python -m devstack exec -- CMD [ARGS...]")
        return 2
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        # Nothing to start (CI, or the developer's own servers): become CMD.
        say("DATABASE_URL and REDIS_URL already set; starting nothing")
        try:
            os.execvp(argv[0], argv)
        except OSError as err:
            say(f"cannot run {argv[0]}: {err}")
            return 127

    with backing_servers(persistent_redis=False) as env:
        try:
            # die_with_parent: if we are killed hard, CMD must not go on without its servers.
            child = subprocess.Popen(argv, env=env, preexec_fn=die_with_parent)
        except OSError as err:
            say(f"cannot run {argv[0]}: {err}")
            return 127

        # Behave like a shell waiting for a foreground job: CMD shares our process group, so a
        # Ctrl-C from the terminal reaches it directly and we just wait for it to finish (and
        # then stop the servers). A SIGTERM/SIGHUP aimed at us alone is passed on to CMD.
        def forward(signum: int, _frame: FrameType | None) -> None:
            if signum != signal.SIGINT and child.poll() is None:
                child.send_signal(signum)

        previous = set_handlers(forward)
        try:
            returncode = child.wait()
        finally:
            restore_handlers(previous)
    return exit_status(returncode)


# --------------------------------------------------------------------------- run

COLOURS = ["\033[36m", "\033[33m", "\033[35m", "\033[32m"]
RESET = "\033[0m"
_print_lock = threading.Lock()


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    pump: threading.Thread | None = field(default=None, repr=False)

    def start(self, env: dict[str, str], colour: str) -> None:
        self.process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Own session: a terminal Ctrl-C reaches only the supervisor, which then stops
            # the children in order instead of everything dying at once.
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self.pump = threading.Thread(target=self._pump, args=(colour,), daemon=True)
        self.pump.start()

    def _pump(self, colour: str) -> None:
        """Copy the child's output to ours, each line prefixed with the child's name."""
        assert self.process is not None and self.process.stdout is not None
        prefix = f"{self.name:<8}| "
        if colour and sys.stdout.isatty():
            prefix = f"{colour}{prefix}{RESET}"
        for raw in iter(self.process.stdout.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            with _print_lock:
                sys.stdout.write(prefix + line + "\n")
                sys.stdout.flush()

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process)
        if self.pump is not None:
            self.pump.join(timeout=2)


def venv_tool(name: str) -> list[str]:
    """A console script from the venv running us (not whatever is first on PATH)."""
    bindir = Path(sys.executable).parent  # not resolved: .venv/bin/python is a symlink
    found = shutil.which(name, path=str(bindir))
    return [found] if found else [sys.executable, "-m", name]


def cmd_run(addr: str) -> int:
    python = sys.executable
    with backing_servers(persistent_redis=True) as env:
        env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
        env["PYTHONUNBUFFERED"] = "1"  # so prefixed lines appear as they are written

        # As in production (docs/deployment.md): the server's superuser sets up the roles, the
        # migrations run as the owning role, everything else connects as the application role.
        admin_url = env["DATABASE_URL"]
        env["MIGRATION_DATABASE_URL"] = with_user(admin_url, env.get("DB_OWNER_ROLE", "care_owner"))
        app_env = dict(env, DATABASE_URL=with_user(admin_url, env.get("DB_APP_ROLE", "care_app")))
        steps = [(["db_roles"], env), (["migrate_as_owner"], app_env), (["seed_demo"], app_env)]
        for step, step_env in steps:
            returncode = subprocess.run([python, "manage.py", *step], cwd=ROOT, env=step_env).returncode
            if returncode:
                say(f"manage.py {' '.join(step)} failed ({returncode}); stopping")
                return exit_status(returncode) or 1
        env = app_env
        say("web, worker and beat connect as the application role " + env.get("DB_APP_ROLE", "care_app"))

        celery = [*venv_tool("celery"), "-A", "config"]
        children = [
            Child("web", [python, "manage.py", "runserver", addr, "--noreload"]),
            Child("worker", [*celery, "worker", "-l", "info", "--concurrency", "1"]),
            Child("beat", [*celery, "beat", "-l", "info", "-s", str(VAR / "celerybeat-schedule")]),
        ]
        stop_requested = threading.Event()
        requested_by: list[int] = []

        def request_stop(signum: int, _frame: FrameType | None) -> None:
            requested_by.append(signum)
            stop_requested.set()

        set_handlers(request_stop)
        failed: Child | None = None
        try:
            for index, child in enumerate(children):
                child.start(env, COLOURS[index % len(COLOURS)])
            say(f"serving on http://{addr}/ (Ctrl-C stops everything)")
            while not stop_requested.wait(0.3):
                failed = next((c for c in children if c.process and c.process.poll() is not None), None)
                if failed:
                    break
        finally:
            # In list order: the web first, so no new requests come in, then celery.
            for child in children:
                child.stop()

        if failed is not None and failed.process is not None:
            returncode = failed.process.returncode
            say(f"{failed.name} exited ({returncode}); stopped everything")
            return exit_status(returncode) or 1
        say(f"got {signal.Signals(requested_by[0]).name}; stopped everything")
    return 0


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="servers + migrate + seed_demo + runserver, celery worker and beat")
    run.add_argument("--addr", default="127.0.0.1:8000", help="runserver address (default %(default)s)")
    exec_ = commands.add_parser(
        "exec", help="run CMD with DATABASE_URL and REDIS_URL (servers started if unset)"
    )
    exec_.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    args = parser.parse_args(argv)

    # Until a command installs its own handlers, SIGTERM/SIGHUP act like Ctrl-C, so that the
    # `with backing_servers()` blocks stop whatever has been started so far.
    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    set_handlers(interrupt)
    try:
        if args.command == "run":
            return cmd_run(args.addr)
        return cmd_exec(args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd)
    except KeyboardInterrupt:
        say("interrupted; stopped what was started")
        return 130


if __name__ == "__main__":
    sys.exit(main())
