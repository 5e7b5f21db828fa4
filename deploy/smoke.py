#!/usr/bin/env python3
"""Production smoke: deploy the app exactly as docs/deployment.md says and prove that it works.

    .venv/bin/python deploy/smoke.py            (CI runs it as a phase of .ci/run)

Steps (each one is a section of docs/deployment.md):
 1. a fresh database (SMOKE_DB, default care_smoke) on the PostgreSQL of SMOKE_ADMIN_URL
    (default postgres://postgres@127.0.0.1:5432, a superuser: the DBA's part);
 2. `manage.py db_roles` as the superuser: roles care_owner (owns everything) and care_app;
 3. `manage.py migrate_as_owner` (MIGRATION_DATABASE_URL, the owner) — production settings;
 4. `manage.py collectstatic` (hashed, gzip and brotli files for WhiteNoise);
 5. `manage.py seed_demo` as the application role (one user of each role);
 6. gunicorn, Celery worker and Celery beat, all as the application role;
 7. over HTTP, as a TLS proxy would forward it (X-Forwarded-Proto: https): every role logs in
    through the real login form with its CSRF token, opens its start page and a list → 200;
 8. a hashed static file is served with a far-future cache header, plain, gzip and brotli;
 9. the overdue-visit job and the custody reconciliation run once through the worker (their
    results come back through the result backend; the job writes its audit row);
10. the application role cannot TRUNCATE, disable a trigger or change a balance directly;
11. everything is stopped with SIGTERM and must exit cleanly;
12. `pg_dump` as the owner, `pg_restore` into a fresh database, every table's row count equal.
Exit status 0 only when every step passed. Takes 70 s on an idle machine (2–2½ min under heavy load).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PYTHON = sys.executable
ADMIN_URL = os.environ.get("SMOKE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
REDIS_URL = os.environ.get("SMOKE_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
DB = os.environ.get("SMOKE_DB", "care_smoke")
RESTORED = f"{DB}_restore"
OWNER, APP = "care_owner", "care_app"
DEMO_PASSWORD = "Guanai@2026demo"

# Every demo user (seed_demo) and the lists of their work that must answer 200.
USERS = [
    ("zhou", ["/roster/", "/services/holidays/"]),
    ("leishan", ["/roster/", "/accounts/audit/"]),
    ("xijiang", ["/visits/desk/"]),
    ("cunwei", ["/custody/"]),
    ("ganbu", ["/visits/mine/"]),
    ("yibao", ["/services/inbox/"]),
    ("jinrong", ["/custody/spot-checks/"]),
]

T0 = time.monotonic()


def say(message: str) -> None:
    print(f"smoke [{time.monotonic() - T0:5.1f}s] {message}", flush=True)


def fail(message: str) -> None:
    raise SystemExit(f"smoke: FAILED: {message}")


def url_with(user: str, password: str, database: str) -> str:
    parts = urlsplit(ADMIN_URL)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 5432
    auth = f"{user}:{password}" if password else user
    return f"postgres://{auth}@{host}:{port}/{database}"


def pg_env(url: str) -> dict[str, str]:
    """libpq variables for pg_dump / pg_restore / psql."""
    parts = urlsplit(url)
    env = dict(os.environ, PGHOST=parts.hostname or "127.0.0.1", PGPORT=str(parts.port or 5432),
               PGUSER=parts.username or "postgres", PGDATABASE=parts.path.lstrip("/"))
    if parts.password:
        env["PGPASSWORD"] = parts.password
    return env


def sql(url: str, statement: str, params: list | None = None, autocommit: bool = True) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=autocommit) as conn:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []


def run(argv: list[str], env: dict[str, str], what: str) -> str:
    say(what)
    done = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode:
        print(done.stdout)
        fail(f"{what}: exit {done.returncode}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- HTTP


class Browser:
    """A minimal browser for one user: keeps cookies (also Secure ones — we stand behind the
    TLS proxy), sends what nginx adds, and does not follow redirects by itself."""

    def __init__(self, port: int):
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https", "Accept-Language": "zh-hans"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body).encode()
            sent |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin,
                     "Referer": self.origin + path}
        sent |= headers or {}
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        payload = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for key, morsel in jar.items():
                self.cookies[key] = morsel.value
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload

    def get(self, path: str, **kw) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path, **kw)


def demo_totp_code(at: float | None = None) -> str:
    """The code an authenticator app shows for the public demo secret (accounts/demo_otp.py):
    RFC 6238, HMAC-SHA1, 30-second steps, 6 digits — computed here as the app would."""
    import hashlib
    import hmac
    import struct
    import time

    key = bytes.fromhex(hashlib.sha1(b"care-demo-totp-secret").hexdigest())
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def field_keys() -> dict[str, str]:
    """Fresh keys for the encrypted ID numbers (accounts/crypto.py), as the deploy guide makes them."""
    import base64

    return {"FIELD_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(), "FIELD_KEY_ID": "k1",
            "BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}


def second_factor(browser: Browser, username: str, url: str) -> tuple[int, dict[str, str]]:
    """Type the demo authenticator's code on the verification page, as the user would."""
    status, _, page = browser.get(url)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or not token:
        fail(f"{username}: second-factor page {url} answered {status}")
    status, headers, page = browser.request("POST", url, body={
        "csrfmiddlewaretoken": token.group(1).decode(), "code": demo_totp_code()})
    if status != 302 or "/accounts/2fa/" in headers.get("location", "/accounts/2fa/"):
        fail(f"{username}: second factor answered {status}: {page[:300]!r}")
    say(f"  {username:8} passed the second factor (demo TOTP)")
    return status, headers


def login_and_browse(port: int, username: str, list_paths: list[str]) -> None:
    browser = Browser(port)
    status, _, page = browser.get("/accounts/login/")
    if status != 200:
        fail(f"{username}: login page {status}")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not token or "csrftoken" not in browser.cookies:
        fail(f"{username}: no CSRF token on the login page")
    status, headers, page = browser.request("POST", "/accounts/login/", body={
        "csrfmiddlewaretoken": token.group(1).decode(), "username": username, "password": DEMO_PASSWORD, "next": ""})
    if status != 302 or "sessionid" not in browser.cookies:
        fail(f"{username}: login answered {status}, not a redirect with a session: {page[:300]!r}")
    start = headers["location"]
    passed = False
    hops = 0
    while True:  # the start page may redirect (cadres to their households, liaisons to the inbox,
        # county, prefecture and supervisors to the second factor first)
        if "/accounts/2fa/verify/" in start and not passed:
            status, headers = second_factor(browser, username, start)
            passed, start = True, headers["location"]
            continue
        status, headers, page = browser.get(start)
        if status in (301, 302) and hops < 4:
            start, hops = headers["location"], hops + 1
            continue
        break
    if status != 200:
        fail(f"{username}: start page {start} answered {status}")
    if b"<html" not in page or "text/html" not in headers.get("content-type", ""):
        fail(f"{username}: start page is not HTML")
    for list_path in list_paths:
        status, headers, page = browser.get(list_path)
        if status != 200:
            fail(f"{username}: list {list_path} answered {status}")
        for header in ("strict-transport-security", "x-content-type-options"):
            if header not in headers:
                fail(f"{username}: {list_path} lacks the {header} header")
    say(f"  {username:8} logged in → {start} 200, {', '.join(list_paths)} 200")


def check_static(port: int) -> None:
    manifest = json.loads((ROOT / "staticfiles" / "staticfiles.json").read_text())["paths"]
    name = "css/care.css"
    hashed = manifest.get(name)
    if not hashed or hashed == name:
        fail(f"{name} has no hashed name in the manifest")
    browser = Browser(port)
    plain_status, headers, plain = browser.get(f"/static/{hashed}")
    if plain_status != 200 or "immutable" not in headers.get("cache-control", ""):
        fail(f"/static/{hashed}: {plain_status}, cache-control {headers.get('cache-control')!r}")
    for encoding in ("gzip", "br"):
        status, headers, body = browser.get(f"/static/{hashed}", headers={"Accept-Encoding": encoding})
        if status != 200 or headers.get("content-encoding") != encoding or len(body) >= len(plain):
            fail(f"/static/{hashed} with Accept-Encoding {encoding}: {status} {headers.get('content-encoding')!r}")
    say(f"  static {hashed}: 200 immutable, gzip and brotli served ({len(plain)} bytes plain)")


# --------------------------------------------------------------------------- processes


class Service:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], logdir: Path):
        self.name = name
        self.log = logdir / f"{name}.log"
        self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                        stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 30) -> int:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
                return -9
        return self.process.returncode


def wait_until(what: str, check, timeout: float = 60, services: list[Service] = ()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        for service in services:
            if not service.alive():
                print(service.text()[-3000:])
                fail(f"{service.name} exited ({service.process.returncode}) while waiting for {what}")
        time.sleep(0.3)
    for service in services:
        print(f"--- {service.name}\n{service.text()[-3000:]}")
    fail(f"{what}: not within {timeout:.0f}s")


def answers(port: int) -> bool:
    try:
        return Browser(port).get("/accounts/login/")[0] == 200
    except OSError:
        return False


# --------------------------------------------------------------------------- database


def recreate(database: str) -> None:
    admin = f"{ADMIN_URL}/postgres"
    sql(admin, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    sql(admin, f'CREATE DATABASE "{database}"')


def row_counts(url: str) -> dict[str, int]:
    tables = [t for (t,) in sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
    union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables)
    return dict(sql(url, union))


def app_role_refusals(app_url: str) -> None:
    import psycopg

    attempts = {
        "TRUNCATE custody_ledgerentry": "TRUNCATE custody_ledgerentry CASCADE",
        "DISABLE TRIGGER": "ALTER TABLE accounts_auditevent DISABLE TRIGGER USER",
        "session_replication_role": "SET session_replication_role = replica",
        "balance UPDATE": "UPDATE custody_custodyaccount SET balance_fen = balance_fen + 100000",
        "DELETE audit": "DELETE FROM accounts_auditevent",
    }
    with psycopg.connect(app_url) as conn:
        # The second lock (accounts/rls.py): a connection that set no scope sees no protected row.
        if conn.execute("SELECT count(*) FROM beneficiaries_household").fetchone()[0]:
            fail(f"{APP} reads households without a scope: row-level security is not in force")
        say(f"  {APP}: without a scope no household is visible (row-level security)")
        conn.execute("SELECT set_config('care.scope', '*', false)")  # a task's system scope,
        conn.commit()  # committed: the rollbacks below must not undo it
        if not conn.execute("SELECT count(*) FROM custody_custodyaccount").fetchone()[0]:
            fail("the demo has no custody account to test the balance guard on")
        for label, statement in attempts.items():
            try:
                conn.execute(statement)
            except psycopg.Error as err:
                conn.rollback()
                say(f"  {APP}: {label} refused ({type(err).__name__})")
            else:
                conn.rollback()
                fail(f"{APP} could run {statement!r}")


# --------------------------------------------------------------------------- main


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="care-smoke-"))
    owner_password, app_password = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    owner_url, app_url = url_with(OWNER, owner_password, DB), url_with(APP, app_password, DB)
    say(f"database {DB}, redis {REDIS_URL}, work dir {work}")

    keys = field_keys()
    # 1-2: the DBA's part.
    recreate(DB)
    admin_env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.production",
                     SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="127.0.0.1",
                     DATABASE_URL=f"{ADMIN_URL}/{DB}", REDIS_URL=REDIS_URL,
                     DB_OWNER_PASSWORD=owner_password, DB_APP_PASSWORD=app_password, **keys)
    run([PYTHON, "manage.py", "db_roles"], admin_env, "manage.py db_roles (as the superuser)")

    # 3-5: the release, with production settings.
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.production",
               SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="127.0.0.1,localhost",
               DATABASE_URL=app_url, MIGRATION_DATABASE_URL=owner_url, REDIS_URL=REDIS_URL,
               MEDIA_ROOT=str(work / "media"), PYTHONUNBUFFERED="1", **keys)
    for key in ("DJANGO_DEBUG", "CONN_MAX_AGE"):
        env.pop(key, None)
    # collectstatic needs no database: it runs meanwhile (compressing takes as long as migrating).
    say("manage.py collectstatic (in parallel)")
    collect_log = work / "collectstatic.log"
    collect = subprocess.Popen([PYTHON, "manage.py", "collectstatic", "--noinput", "--clear", "-v", "0"], cwd=ROOT,
                               env=env, stdout=collect_log.open("wb"), stderr=subprocess.STDOUT)
    run([PYTHON, "manage.py", "migrate_as_owner", "-v", "0"], env, "manage.py migrate_as_owner (as care_owner)")
    run([PYTHON, "manage.py", "seed_demo"], env, "manage.py seed_demo (as care_app)")
    if collect.wait() != 0:
        print(collect_log.read_text(errors="replace"))
        fail(f"manage.py collectstatic: exit {collect.returncode}")
    say("collectstatic done")

    # 6: the three services.
    port = free_port()
    services = [
        Service("web", [str(BIN / "gunicorn"), "-c", "python:config.gunicorn_logging", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                        "--access-logfile", "-", "--forwarded-allow-ips", "127.0.0.1"], env, work),
        Service("worker", [str(BIN / "celery"), "-A", "config", "worker", "-l", "info", "--concurrency", "1",
                           "-n", f"smoke-{port}@%h"], env, work),
        Service("beat", [str(BIN / "celery"), "-A", "config", "beat", "-l", "info",
                         "-s", str(work / "celerybeat-schedule")], env, work),
    ]
    try:
        say(f"gunicorn on 127.0.0.1:{port}, celery worker and beat started")
        wait_until("gunicorn answers", lambda: answers(port), services=services)
        wait_until("the worker is ready", lambda: " ready." in services[1].text(), services=services)
        wait_until("beat starts", lambda: "beat: Starting" in services[2].text(), services=services)

        # 7-8: HTTP.
        for username, list_paths in USERS:
            login_and_browse(port, username, list_paths)
        check_static(port)

        # 9: the jobs, through the broker to the worker and back through the result backend.
        before = sql(app_url, "SELECT count(*) FROM accounts_auditevent WHERE actor_id IS NULL")[0][0]
        out = run([PYTHON, "manage.py", "shell", "-c", (
            "import json\n"
            "from visits.tasks import overdue_alerts_daily\n"
            "from custody.tasks import reconcile_balances\n"
            "print('RESULT', json.dumps(overdue_alerts_daily.delay().get(timeout=60)))\n"
            "print('RESULT', json.dumps(reconcile_balances.delay().get(timeout=60)))\n"
        )], env, "overdue job and custody reconciliation through the worker")
        results = [json.loads(line[7:]) for line in out.splitlines() if line.startswith("RESULT ")]
        if len(results) != 2:
            fail(f"no results from the worker: {out}")
        worker_log = services[1].text()
        for task in ("visits.tasks.overdue_alerts_daily", "custody.tasks.reconcile_balances"):
            if not re.search(rf"Task {re.escape(task)}\[[0-9a-f-]+\] succeeded", worker_log):
                fail(f"the worker did not log {task} as succeeded")
        after = sql(app_url, "SELECT count(*) FROM accounts_auditevent WHERE actor_id IS NULL")[0][0]
        if results[1].get("mismatched") != 0:
            fail(f"the reconciliation found differing balances in fresh demo data: {results[1]}")
        say(f"  overdue job: {results[0]}; reconciliation: {results[1]}; system audit rows {before} → {after}")
        if after <= before:
            fail("the jobs wrote no audit row")

        # 10: what the application role must not do.
        app_role_refusals(app_url)
    finally:
        # 11: stop cleanly (SIGTERM: gunicorn finishes requests, the worker its task, beat saves).
        codes = {s.name: s.stop() for s in services}
    say(f"stopped: {codes}")
    if any(code != 0 for code in codes.values()):
        for service in services:
            print(f"--- {service.name}\n{service.text()[-3000:]}")
        fail(f"a service did not stop cleanly: {codes}")

    # 12: backup as the owner, restore into a fresh database (as the DBA), compare.
    dump = work / f"{DB}.dump"
    run(["pg_dump", "--format=custom", f"--file={dump}"], pg_env(owner_url), f"pg_dump as {OWNER}")
    recreate(RESTORED)
    run(["pg_restore", "--exit-on-error", "--single-transaction", f"--dbname={RESTORED}", str(dump)],
        pg_env(f"{ADMIN_URL}/{RESTORED}"), f"pg_restore into {RESTORED}")
    original, restored = row_counts(f"{ADMIN_URL}/{DB}"), row_counts(f"{ADMIN_URL}/{RESTORED}")
    if original != restored:
        differing = {t: (original.get(t), restored.get(t)) for t in original.keys() | restored.keys()
                     if original.get(t) != restored.get(t)}
        fail(f"restored row counts differ: {differing}")
    say(f"  restore: {len(restored)} tables, {sum(restored.values())} rows, every count equal")
    app_restored = url_with(APP, app_password, RESTORED)
    if sql(app_restored, "SELECT count(*) FROM accounts_user")[0][0] != original["accounts_user"]:
        fail("the application role cannot read the restored database")
    with contextlib.suppress(Exception):
        sql(f"{ADMIN_URL}/postgres", f'DROP DATABASE IF EXISTS "{RESTORED}" WITH (FORCE)')
    say("production smoke passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
