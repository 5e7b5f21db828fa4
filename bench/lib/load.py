"""Under load: 100 concurrent users in a realistic mix of roles for 60 s against gunicorn on the
bench database (care_bench_scale, seeded by bench/scale.py), production settings.

Role mix (per 100 users): 70 paired cadres (我的结对户, a household's visits, 消息), 20 township
officials (走访工作台, 花名册, a household), 8 county officers (花名册 filtered, 走访工作台,
the county's overdue report CSV), 2 prefecture officials (首页, 走访工作台). Each user logs in
over HTTP, then requests a page, thinks 1–3 s, and again, until the minute is over.

Prints p50/p95 per page, errors and throughput. Asserts nothing.
Run: `make load`, or DATABASE_URL=… REDIS_URL=… .venv/bin/python bench/lib/load.py [--users 100 --seconds 60]

Gunicorn as documented in docs/performance.md: gthread workers (the arbiter's heartbeat keeps
running while a thread streams a long export), 2 × cores − 1 processes × 4 threads, 60 s timeout.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from urllib.parse import urlencode

from common import ROOT, use_bench_database

PORT = 8765
PASSWORD = "Bench-Load-2026!"


def gunicorn_command(workers: int, threads: int) -> list[str]:
    return [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{PORT}",
            "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
            "--timeout", "60", "--graceful-timeout", "30", "--keep-alive", "5",
            "--max-requests", "2000", "--max-requests-jitter", "200", "--log-level", "warning"]


def prepare_users(counts: dict[str, int]) -> dict[str, list[tuple[str, list[str]]]]:
    """Log-in users of each role with the same password, and the pages each may open."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.db.models import Count

    from accounts.models import Role, RoleAssignment, User
    from beneficiaries.models import Cadre, Household, Pairing

    hashed = PBKDF2PasswordHasher().encode(PASSWORD, PBKDF2PasswordHasher().salt())  # what production checks
    out: dict[str, list] = defaultdict(list)
    # Not the first cadre: bench/scale.py's cadre-list case logs in as that one (bench_cadre).
    cadres = list(Cadre.objects.annotate(n=Count("pairings")).filter(n__gt=0).order_by("id")[1:counts["cadre"] + 1])
    for i, cadre in enumerate(cadres):
        user, _ = User.objects.get_or_create(username=f"load_cadre{i}", defaults={"real_name": cadre.name})
        User.objects.filter(pk=user.pk).update(password=hashed)
        RoleAssignment.objects.get_or_create(user=user, role=Role.CADRE, area_id=cadre.home_village_id)
        Cadre.objects.filter(pk=cadre.pk).update(user=user)
        ids = list(Pairing.objects.filter(cadre=cadre, ended_on__isnull=True).values_list("household_id", flat=True)[:30])
        out["cadre"].append((user.username, ["/visits/mine/", "/visits/mine/", "/visits/inbox/"]
                             + [f"/visits/households/{h}/" for h in ids[:5]]))
    townships = ["522634101000", "522634100000", "522601100000", "522622100000", "522623100000"]
    for i in range(counts["township"]):
        code = townships[i % len(townships)]
        user, _ = User.objects.get_or_create(username=f"load_township{i}", defaults={"real_name": f"乡镇{i}"})
        User.objects.filter(pk=user.pk).update(password=hashed)
        RoleAssignment.objects.get_or_create(user=user, role=Role.TOWNSHIP, area_id=code)
        ids = list(Household.objects.filter(village__code__startswith=code[:9]).values_list("id", flat=True)[:20])
        out["township"].append((user.username, ["/visits/desk/", "/visits/desk/", "/roster/", "/roster/?tier=A"]
                                + [f"/roster/households/{h}/" for h in ids[:4]]))
    counties = ["522634000000", "522601000000", "522622000000", "522623000000"]
    for i in range(counts["county"]):
        code = counties[i % len(counties)]
        user, _ = User.objects.get_or_create(username=f"load_county{i}", defaults={"real_name": f"县{i}"})
        User.objects.filter(pk=user.pk).update(password=hashed)
        RoleAssignment.objects.get_or_create(user=user, role=Role.COUNTY, area_id=code)
        out["county"].append((user.username, ["/roster/", "/roster/?tier=A", "/visits/desk/",
                                              f"/visits/report/overdue.csv?area={code}"]))
    for i in range(counts["prefecture"]):
        user, _ = User.objects.get_or_create(username=f"load_prefecture{i}", defaults={"real_name": f"州{i}"})
        User.objects.filter(pk=user.pk).update(password=hashed)
        RoleAssignment.objects.get_or_create(user=user, role=Role.PREFECTURE, area_id="522600000000")
        out["prefecture"].append((user.username, ["/", "/visits/desk/"]))
    # Officials pass the second factor at login, as in production: each gets a confirmed TOTP
    # device whose codes this script computes, like the authenticator app would.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for role in ("township", "county", "prefecture"):
        for username, _pages in out[role]:
            user = User.objects.get(username=username)
            if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                TOTPDevice.objects.create(user=user, name="load", confirmed=True)
    return out


def totp_code(username: str) -> str:
    """The code the user's authenticator app would show now."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).order_by("id").first()
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def label(path: str) -> str:
    path = re.sub(r"/\d+/", "/<id>/", path.split("?")[0] + ("?…" if "?" in path else ""))
    return re.sub(r"area=\d+", "area=…", path)


CODE_LOCK = threading.Lock()


class Client:
    """One user's keep-alive connection with its cookies (Secure cookies included: the proxy
    header tells Django the request came over HTTPS, as nginx does in production)."""

    def __init__(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"X-Forwarded-Proto": "https", "Host": f"127.0.0.1:{PORT}",
                   "Origin": f"https://127.0.0.1:{PORT}", "Referer": f"https://127.0.0.1:{PORT}/accounts/login/"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        data = response.read()
        for key, value in response.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def login(self, username: str) -> bool:
        _status, page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        body = urlencode({"csrfmiddlewaretoken": token.group(1).decode() if token else "",
                          "username": username, "password": PASSWORD})
        status, _ = self.request("POST", "/accounts/login/", body)
        if status != 302:
            return False
        status, page = self.request("GET", "/accounts/2fa/verify/?next=/")
        if status != 200:  # a cadre: no second factor at login
            return True
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        with CODE_LOCK:  # the ORM (reading the device) from one thread at a time
            code = totp_code(username)
        body = urlencode({"csrfmiddlewaretoken": token.group(1).decode() if token else "", "code": code, "next": "/"})
        status, _ = self.request("POST", "/accounts/2fa/verify/?next=/", body)
        return status == 302


def run_user(username, pages, window, results, errors, lock, ready):
    client = Client()
    ok = client.login(username)
    if not ok:
        with lock:
            errors["login " + username[:12]] += 1
    ready.wait()  # every user logged in: the measured minute starts together
    if not ok:
        return
    deadline = time.monotonic() + window
    rng = random.Random(username)
    time.sleep(rng.uniform(0, 2))
    while time.monotonic() < deadline:
        path = rng.choice(pages)
        t = time.perf_counter()
        try:
            status, _ = client.request("GET", path)
        except Exception:  # a dropped connection counts as an error, the user goes on
            status = 599
        took = time.perf_counter() - t
        with lock:
            results[label(path)].append(took)
            if status != 200:
                errors[f"{label(path)} → {status}"] += 1
        time.sleep(rng.uniform(1, 3))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=max(2, 2 * (os.cpu_count() or 1) - 1))
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    url = use_bench_database("care_bench_scale")
    import django

    django.setup()
    from django.conf import settings

    share = {"cadre": 70, "township": 20, "county": 8, "prefecture": 2}
    counts = {k: max(1, round(v * args.users / 100)) for k, v in share.items()}
    users = prepare_users(counts)

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production", "DATABASE_URL": url,
           "SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
           "SECURE_HSTS_SECONDS": "0", "CONN_MAX_AGE": "60",
           # the keys the bench seeded the ID numbers with (production has no default keys)
           "FIELD_KEYS": settings.FIELD_KEYS, "FIELD_KEY_ID": settings.FIELD_KEY_ID,
           "BLIND_INDEX_KEY": settings.BLIND_INDEX_KEY}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(gunicorn_command(args.workers, args.threads), cwd=ROOT, env=env)
    try:
        for _ in range(60):
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited with code {server.returncode}: see its log above")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
                conn.request("GET", "/accounts/login/")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit("gunicorn did not answer /accounts/login/ with 200 within 30 s")
        results: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        lock = threading.Lock()
        threads = []
        n_users = sum(len(e) for e in users.values())
        ready = threading.Barrier(n_users + 1)
        for _role, entries in users.items():
            for username, pages in entries:
                th = threading.Thread(target=run_user,
                                      args=(username, pages, args.seconds, results, errors, lock, ready))
                th.start()
                threads.append(th)
        t = time.monotonic()
        ready.wait()  # logins (PBKDF2) are done before the clock starts
        print(f"{n_users} users logged in over HTTP in {time.monotonic() - t:.0f} s")
        start = time.monotonic()
        for th in threads:
            th.join()
        elapsed = time.monotonic() - start
    finally:
        server.terminate()
        server.wait(30)
    total = sum(len(v) for v in results.values())
    print(f"\n{sum(len(e) for e in users.values())} users ({counts}), gunicorn gthread "
          f"{args.workers}×{args.threads}, {elapsed:.0f} s, {total:,} requests ({total / elapsed:.1f}/s)")
    print(f"{'page':<44}{'n':>6}{'p50':>9}{'p95':>9}{'max':>9}")
    for page, times in sorted(results.items()):
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"{page:<44}{len(times):>6}{statistics.median(times) * 1000:>7.0f}ms{p95 * 1000:>7.0f}ms"
              f"{times[-1] * 1000:>7.0f}ms")
    print("errors:", dict(errors) or "none")


if __name__ == "__main__":
    main()
