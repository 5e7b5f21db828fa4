"""The cases of bench/scale.py. Each returns [(operation, ours s, floor s or None, note)].

A floor is the plain SQL that returns the same rows as ours; before timing, the rows of both
are compared (the bench stops if they differ). Writes run in a transaction that is rolled back,
so every pair starts from the same database."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

from common import ROOT, fetch, median_pairs
from django.db import connection, transaction


class Rollback(Exception):
    pass


def rolled_back(fn):
    """Run fn inside a transaction that is rolled back; return what fn returned."""
    box = {}
    try:
        with transaction.atomic():
            box["value"] = fn()
            raise Rollback
    except Rollback:
        pass
    return box.get("value")


def same(name: str, ours, floor) -> None:
    if ours != floor:
        print(f"!! {name}: ours and floor differ ({len(ours)} vs {len(floor)} rows); first: "
              f"{sorted(ours)[:2]} vs {sorted(floor)[:2]}")
        raise SystemExit(1)


def _user(username):
    from accounts.models import User

    return User.objects.get(username=username)


# --- the daily job -------------------------------------------------------------------------------

def _job_statements(today):
    """The daily job's own statements (close stale, open alerts + notify, escalate to township and
    county + notify), run directly: the same writes, without change detection and refresh."""
    from visits import actions, rules
    from visits.models import EscalationLevel

    with connection.cursor() as cur:
        cur.execute(actions._CLOSE_STALE, {"today": today})
        cur.execute(actions._OPEN_ALERTS, {"today": today, "title": "逾期未走访：%s，应访日期 %s"})
        for level, width, days in ((EscalationLevel.TOWNSHIP, 9, rules.ESCALATE_TOWNSHIP_DAYS),
                                   (EscalationLevel.COUNTY, 6, rules.ESCALATE_COUNTY_DAYS)):
            cur.execute(actions._ESCALATE, {"today": today, "level": level, "width": width,
                                            "cutoff": today - dt.timedelta(days=days), "summary": "%s（%s）"})
    return _alerts(today)


def _alerts(today):
    return sorted(fetch("SELECT household_id, due_on FROM visits_overduealert WHERE opened_on = %s", [today]))


def job(today, first):
    from visits import actions

    figures = []

    def ours():
        actions.overdue_alerts(today=today)
        return _alerts(today)

    def floor():
        return _job_statements(today)

    a, b = rolled_back(ours), rolled_back(floor)
    same("daily job", a, b)
    t_ours, t_floor = median_pairs(lambda: rolled_back(ours), lambda: rolled_back(floor))
    figures.append(("daily job, ordinary day", t_ours, t_floor, f"{len(a):,} alerts opened"))

    def first_of_month():
        run = actions.overdue_alerts(today=first)
        return run.shortfalls

    times, shortfalls = [], 0
    for _ in range(3):
        t = time.perf_counter()
        shortfalls = rolled_back(first_of_month)
        times.append(time.perf_counter() - t)
    times.sort()
    from visits import queries

    month = dt.date(first.year, first.month, 1) - dt.timedelta(days=1)
    t = time.perf_counter()
    queries.month_shortfalls(month.replace(day=1), month)
    t_short = time.perf_counter() - t
    figures.append(("daily job, 1st of the month (median of 3)", times[1], None,
                    f"{shortfalls:,} shortfall alerts; shortfall step alone {t_short * 1000:.0f} ms"))
    return figures


# --- pages ----------------------------------------------------------------------------------------


def pages(today, first):
    from visits import queries

    figures = []
    township = _user("bench_township")
    desk_floor_village = """
        SELECT h.village_id, a.name, count(*) FROM beneficiaries_household h JOIN accounts_area a ON a.code = h.village_id
        WHERE h.status = 'active' AND h.next_due_on < %s AND h.village_id LIKE '522634101%%'
        GROUP BY h.village_id, a.name"""
    desk_floor_cadre = """
        SELECT COALESCE((SELECT c.name FROM beneficiaries_pairing p JOIN beneficiaries_cadre c ON c.id = p.cadre_id
                         WHERE p.household_id = h.id AND p.ended_on IS NULL LIMIT 1), '（未结对）'), count(*)
        FROM beneficiaries_household h
        WHERE h.status = 'active' AND h.next_due_on < %s AND h.village_id LIKE '522634101%%' GROUP BY 1"""
    others = ["SELECT id FROM visits_escalation WHERE closed_on IS NULL AND area_id LIKE '522634101%%' LIMIT 200",
              "SELECT f.id FROM visits_finding f JOIN beneficiaries_household h ON h.id = f.household_id "
              "WHERE f.status <> 'closed' AND h.village_id LIKE '522634101%%' LIMIT 200"]

    def desk():
        d = queries.township_desk(township, today)
        return (sorted((r["village_id"], r["village__name"], r["n"]) for r in d.overdue_by_village),
                sorted((r["cadre"], r["n"]) for r in d.overdue_by_cadre))

    def desk_floor():
        rows = (sorted(fetch(desk_floor_village, [today])), sorted(fetch(desk_floor_cadre, [today])))
        for sql in others:
            fetch(sql)
        return rows

    same("desk", desk(), desk_floor())
    t_ours, t_floor = median_pairs(desk, desk_floor)
    figures.append(("township desk (西江镇, ~3,000 households)", t_ours, t_floor,
                    f"{sum(n for *_x, n in desk()[0]):,} overdue"))

    cadre = _user("bench_cadre")
    month_first = today.replace(day=1)
    cadre_floor = """
        SELECT h.id, h.next_due_on,
               (SELECT max(v.visited_on) FROM visits_visit v WHERE v.household_id = h.id AND v.counted
                AND v.visited_on <= %(today)s),
               (SELECT count(DISTINCT v.visited_on) FROM visits_visit v WHERE v.household_id = h.id AND v.counted
                AND v.visited_on BETWEEN %(first)s AND %(today)s)
        FROM beneficiaries_pairing p JOIN beneficiaries_cadre c ON c.id = p.cadre_id
        JOIN beneficiaries_household h ON h.id = p.household_id
        WHERE c.user_id = %(user)s AND p.ended_on IS NULL AND h.status = 'active'
        ORDER BY h.next_due_on NULLS LAST, h.code"""

    def mine():
        return [(r.household.id, r.household.next_due_on, r.schedule.last_counted,
                 r.schedule.month.counted if r.schedule.month else 0) for r in queries.my_households(cadre, today)]

    def mine_floor():
        return [tuple(r) for r in fetch(cadre_floor, {"today": today, "first": month_first, "user": cadre.id})]

    same("cadre list", mine(), mine_floor())
    t_ours, t_floor = median_pairs(mine, mine_floor)
    figures.append(("cadre list (30 households, with month progress)", t_ours, t_floor, f"{len(mine())} rows"))
    return figures


# --- reports ----------------------------------------------------------------------------------------

REPORT_FLOOR = """
    SELECT h.code, h.village_id,
           COALESCE((SELECT p.name FROM beneficiaries_person p WHERE p.household_id = h.id AND p.relation = 'head'
                     LIMIT 1), ''),
           h.tier,
           COALESCE((SELECT c.name FROM beneficiaries_pairing pa JOIN beneficiaries_cadre c ON c.id = pa.cadre_id
                     WHERE pa.household_id = h.id AND pa.started_on <= %(on)s
                       AND (pa.ended_on IS NULL OR pa.ended_on > %(on)s) ORDER BY pa.started_on DESC LIMIT 1), ''),
           COALESCE((SELECT max(v.visited_on)::text FROM visits_visit v WHERE v.household_id = h.id AND v.counted
                     AND v.visited_on <= %(on)s), ''),
           h.next_due_on::text, %(on)s::date - h.next_due_on,
           (SELECT count(DISTINCT v.visited_on) FROM visits_visit v WHERE v.household_id = h.id AND v.counted
            AND v.visited_on BETWEEN %(first)s AND %(on)s)
    FROM beneficiaries_household h
    WHERE h.status = 'active' AND h.next_due_on < %(on)s AND h.village_id LIKE %(prefix)s
    ORDER BY h.village_id, h.code"""


def reports(today, first):
    from beneficiaries.models import Household
    from visits import queries

    figures = []
    for label, prefix in (("one county (雷山县)", "522634"), ("prefecture", "5226")):
        households = Household.objects.filter(village__code__startswith=prefix)

        def ours(households=households):
            # The minimum column is the pro-rated rule (pauses, clock start): the floor does not
            # compute it, so the rows are compared without it.
            return [tuple(r[:9]) for r in queries.overdue_report_rows(households, today, today=today)]

        def floor(prefix=prefix):
            return [tuple(r) for r in fetch(REPORT_FLOOR, {"on": today, "first": today.replace(day=1),
                                                           "prefix": prefix + "%"})]

        a, b = ours(), floor()
        same(f"report {label}", [tuple(map(str, r)) for r in a], [tuple(map(str, r)) for r in b])
        t_ours, t_floor = median_pairs(ours, floor)
        figures.append((f"overdue report today, {label}", t_ours, t_floor, f"{len(a):,} rows"))
    past = today - dt.timedelta(days=10)
    for label, prefix in (("one county (雷山县)", "522634"), ("prefecture", "5226")):
        households = Household.objects.filter(village__code__startswith=prefix)
        times = []
        for _ in range(3):
            t = time.perf_counter()
            n = len(queries.overdue_report_rows(households, past, today=today))
            times.append(time.perf_counter() - t)
        figures.append((f"overdue report {past} (past), {label}", sorted(times)[1], None,
                        f"{n:,} rows, rules over per-tier candidates"))
    return figures


# --- imports ----------------------------------------------------------------------------------------


def _roster_csv(rows: int) -> bytes:
    from accounts import sheets
    from accounts.models import Area
    from beneficiaries import idnumber, roster_io

    villages = list(Area.objects.filter(level="village", code__startswith="522634").values_list("code", flat=True))
    out = []
    for n in range(rows):
        hh = n // 2
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=n // 400)
        seq = (n % 400) * 2 + (1 if n % 2 == 0 else 0)
        number = idnumber.make(f"522634{birth:%Y%m%d}{seq:03d}")
        row = dict.fromkeys(roster_io.HEADERS, "")
        row.update({"户编号": f"IM{hh:07d}", "村级区划代码": villages[hh % len(villages)], "姓名": f"导入{n}",
                    "身份证号": number, "与户主关系": "户主" if n % 2 == 0 else "子女",
                    "保障类别": "低保" if hh % 3 == 0 else "", "联系电话": "13900000000"})
        if n % 2 == 0 and hh % 4 == 0:
            row.update({"结对干部姓名": f"导入干部{hh % 500}", "结对干部电话": f"1380000{hh % 500:04d}",
                        "结对干部类型": "驻村干部", "结对关系": "就近"})
        out.append([row[h] for h in roster_io.HEADERS])
    return sheets.csv_bytes(roster_io.HEADERS, out)


def _ledger_csv(rows: int) -> bytes:
    from accounts import sheets
    from visits.imports import HEADERS

    codes = [c for (c,) in fetch("SELECT code FROM beneficiaries_household WHERE code LIKE 'BH%%' ORDER BY id")]
    out = []
    for n in range(rows):
        day = dt.date(2026, 5, 1) + dt.timedelta(days=n % 45)
        out.append([codes[n % len(codes)], day.isoformat(), "入户" if n % 5 else "电话", f"导入员{n // len(codes)}", ""])
    return sheets.csv_bytes(HEADERS, out)


def imports(today, first):
    from beneficiaries import roster_io
    from visits import imports as visit_imports

    figures = []
    rows = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
    county = _user("bench_county")
    content = _roster_csv(rows)
    t = time.perf_counter()
    checked = roster_io.roster_parse(actor=county, content=content, filename="r.csv", today=today)
    t_check = time.perf_counter() - t
    assert checked.ok, checked.errors[:3]

    def commit():
        result = roster_io.roster_import(actor=county, content=content, filename="r.csv", today=today)
        assert result.ok, result.errors[:3]
        return result

    t = time.perf_counter()
    rolled_back(commit)
    t_all = time.perf_counter() - t
    figures.append((f"roster import, {rows:,} rows (check + commit)", t_all, None,
                    f"{rows / t_all:,.0f} rows/s end to end; check alone {rows / t_check:,.0f} rows/s"))

    prefecture = _user("bench_prefecture")
    ledger = _ledger_csv(rows)

    def visits_commit():
        result = visit_imports.visits_import(actor=prefecture, name="l.csv", content=ledger, dry_run=False,
                                             today=today)
        assert result.ok, result.errors[:3]
        return result.created

    t = time.perf_counter()
    created = rolled_back(visits_commit)
    t_all = time.perf_counter() - t
    figures.append((f"visit-ledger import, {rows:,} rows (check + commit)", t_all, None,
                    f"{rows / t_all:,.0f} rows/s end to end; {created:,} created"))
    return figures


# --- exports: peak memory, each in a child process ------------------------------------------------

CHILD = r"""
import os, resource, sys, time, json
sys.path.insert(0, {root!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
from accounts.models import User
client = Client()
client.force_login(User.objects.get(username={user!r}))
client.get("/")  # warm up: templates, middleware, connection
idle = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
response = client.get({url!r})
size = 0
for chunk in (response.streaming_content if response.streaming else [response.content]):
    size += len(chunk)
took = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"status": response.status_code, "streaming": response.streaming, "bytes": size,
                  "seconds": took, "idle_mb": idle / 1024, "peak_mb": peak / 1024}}))
"""


def exports(today, first):
    figures = []
    cases = [
        ("roster csv, prefecture", "bench_prefecture", "/roster/export/?format=csv"),
        ("roster xlsx, prefecture", "bench_prefecture", "/roster/export/"),
        ("pairings csv, prefecture", "bench_prefecture", "/roster/export/pairings/?format=csv"),
        ("visit ledger xlsx, 雷山县, June", "bench_prefecture", "/visits/ledger.xlsx?area=522634000000&month=2026-06"),
        ("overdue report csv, prefecture", "bench_prefecture", f"/visits/report/overdue.csv?date={today}"),
    ]
    for name, user, url in cases:
        code = CHILD.format(root=str(ROOT), user=user, url=url)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ)
        line = (out.stdout.strip().splitlines() or ["{}"])[-1]
        try:
            r = json.loads(line)
        except ValueError:
            print(out.stderr[-2000:])
            raise
        figures.append((f"export: {name}", r["seconds"], None,
                        f"HTTP {r['status']}, streamed={r['streaming']}, {r['bytes'] / 1e6:,.1f} MB; peak RSS "
                        f"+{r['peak_mb'] - r['idle_mb']:,.0f} MB over idle {r['idle_mb']:,.0f} MB"))
    return figures

