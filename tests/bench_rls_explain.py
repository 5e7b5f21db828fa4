"""Where row-level security costs time on a page (issue 21): the page's queries as a county
officer, each run with EXPLAIN ANALYZE with RLS on (an app-like role) and off (the superuser);
prints the queries whose execution time grows most, with the plan of the worst. Asserts nothing.

    DATABASE_URL=… .venv/bin/pytest tests/bench_rls_explain.py -s -q --page=/custody/   (not collected)

Seeds the demo of 雷山县 (HOUSEHOLDS households) inside the test's transaction."""

import os
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.rls_bench_setup import seed_demo_and_subject_role

HOUSEHOLDS = 300
PAGES = os.environ.get("RLS_PAGES", "/custody/,/visits/desk/").split(",")


def _ms(plan: str) -> float:
    """Planning and execution: the policies cost in both."""
    return sum(float(re.search(rf"{what} Time: ([\d.]+) ms", plan).group(1)) for what in ("Planning", "Execution"))


@pytest.mark.django_db
def test_rls_explain():
    from accounts.models import User

    role = seed_demo_and_subject_role(HOUSEHOLDS, "care_rls_explain")
    client = Client()
    client.force_login(User.objects.get(username=os.environ.get("RLS_USER", "leishan")))
    for page in PAGES:
        client.get(page)
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {role}")
            cursor.execute("SELECT current_setting('care.scope'), (SELECT count(*) FROM custody_custodyaccount),"
                           " (SELECT count(*) FROM beneficiaries_household)")
            print("\nscope, accounts, households admitted:", cursor.fetchone())
            cursor.execute("RESET ROLE")
            cursor.execute("SELECT count(*) FROM custody_custodyaccount")
            print("accounts in all:", cursor.fetchone())
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page).status_code == 200
        rows = []
        for q in captured.captured_queries:
            sql = q["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or "set_config" in sql:
                continue
            times = {}
            for mode in ("off", "on") * 5:
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL ROLE {role}" if mode == "on" else "RESET ROLE")
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql)
                    plan = "\n".join(r[0] for r in cursor.fetchall())
                times[mode] = (min(times.get(mode, (1e9,))[0], _ms(plan)), plan)
            rows.append((times["on"][0] - times["off"][0], times["off"][0], times["on"][0], sql, times["on"][1]))
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
        rows.sort(key=lambda r: -r[0])
        print(f"\n{page}: {len(rows)} SELECTs, off {sum(r[1] for r in rows):.1f} ms, on {sum(r[2] for r in rows):.1f} ms")
        for delta, off, on, sql, _plan in rows[:6]:
            print(f"  +{delta:6.2f} ms  off {off:6.2f}  on {on:6.2f}  {sql[:230]}")
        if rows and os.environ.get("RLS_PLAN"):
            print(rows[0][4])
