"""Row-level security's cost per page (issue 21): the same requests through the test client as a
county officer, with the second lock on (a non-owner, non-superuser role, RLS applies) and off
(the superuser, RLS bypassed), interleaved; prints the median of each and the ratio. Asserts
nothing.

    DATABASE_URL=… .venv/bin/pytest tests/bench_rls_cost.py -s -q   (not collected by the suite: not test_*.py)

Seeds the demo of 雷山县 (HOUSEHOLDS households) inside the test's transaction."""

import os
import statistics
import time

import pytest
from django.db import connection
from django.test import Client

from tests.rls_bench_setup import seed_demo_and_subject_role

HOUSEHOLDS = 300
RUNS = 11
PAGES = os.environ.get("RLS_PAGES", "/roster/,/visits/desk/,/custody/,/services/inbox/,/assistance/,/services/referrals.xlsx").split(",")


@pytest.mark.django_db
def test_rls_cost():
    from accounts.models import User
    from beneficiaries.models import Household

    role = seed_demo_and_subject_role(HOUSEHOLDS, "care_rls_bench")
    client = Client()
    client.force_login(User.objects.get(username="leishan"))
    print(f"\n{Household.objects.count()} households; {RUNS} interleaved runs per page (median ms)")
    for page in PAGES:
        timings = {"off": [], "on": []}
        for n in range(RUNS + 2):
            for mode in ("off", "on") if n % 2 else ("on", "off"):
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL ROLE {role}" if mode == "on" else "RESET ROLE")
                started = time.perf_counter()
                response = client.get(page)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (page, mode, response.status_code)
                if n >= 2:  # two warm-up rounds
                    timings[mode].append(elapsed)
        off, on = statistics.median(timings["off"]), statistics.median(timings["on"])
        print(f"{page:28} off {off:7.1f}  on {on:7.1f}  ×{on / off:.2f}  ({len(body)} bytes)")
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
