"""The audit page (accounts/audit.py) at prefecture scale: N households with a head each and
M audit events naming households, persons and reports across the prefecture over a year.

Seeds its own database (care_bench_audit on the server of DATABASE_URL) with set-based SQL, then
prints the time of what the page runs for a county clerk: the count and the first page of the
last 30 days (the page's default), of the whole year, and one person's history. Prints figures,
asserts nothing. Run: `make bench` or
`DATABASE_URL=postgres://… .venv/bin/python bench/audit_log.py [--households N] [--events M]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "care_bench_audit"


def use_bench_database(fresh: bool = True) -> None:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/care")
    parts = urlsplit(url)
    import psycopg

    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)')
        if not exists or fresh:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{DB_NAME}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


SEED_SQL = """
INSERT INTO beneficiaries_household (code, village_id, address, exit_reason, tier, criteria, tier_since, status,
                                     created_at, updated_at)
SELECT 'AH' || lpad(g::text, 8, '0'), v.code, '一组', '', 'B', ARRAY['B1'], DATE '2024-06-01', 'active', now(), now()
FROM generate_series(1, %(households)s) AS g
JOIN LATERAL (SELECT code FROM accounts_area WHERE level = 'village' ORDER BY code
              OFFSET (g * 7919) %% (SELECT count(*) FROM accounts_area WHERE level = 'village') LIMIT 1) v ON true;

INSERT INTO beneficiaries_person (household_id, name, id_number, birth_date, sex, relation, phone, benefit_status,
    support_mode, self_care, disability_type, serious_illness, work_capacity, is_main_earner, left_behind,
    child_in_distress, civil_capacity, guardian_name, created_at, updated_at)
SELECT h.id, '户主' || h.id, '5226' || lpad(h.id::text, 14, '0'), DATE '1950-01-01', 'M', 'head', '', 'dibao', '',
       'full', '', false, 'none', true, false, false, 'full', '', now(), now()
FROM beneficiaries_household h;

-- events: 60%% household views, 30%% person reveals/views, 10%% reports naming an area, over a year
INSERT INTO accounts_auditevent (action, object_type, object_id, object_repr, at, details)
SELECT CASE WHEN g %% 10 < 6 THEN 'view' WHEN g %% 10 < 9 THEN 'reveal' ELSE 'export' END,
       CASE WHEN g %% 10 < 6 THEN 'beneficiaries.household' WHEN g %% 10 < 9 THEN 'beneficiaries.person'
            ELSE 'visits.overdue_report' END,
       CASE WHEN g %% 10 < 9 THEN ((g * 7) %% %(households)s + (SELECT min(id) FROM beneficiaries_household))::text
            ELSE '' END,
       'x', now() - ((g %% 365) || ' days')::interval,
       CASE WHEN g %% 10 = 9 THEN jsonb_build_object('area', '522634101000') ELSE '{}'::jsonb END
FROM generate_series(1, %(events)s) AS g;
ANALYZE;
"""


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database of the last run")
    args = parser.parse_args()
    use_bench_database(fresh=not args.reuse)
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.paginator import Paginator
    from django.db import connection

    from accounts import audit
    from accounts.models import Area, AuditEvent, Role, RoleAssignment, User

    call_command("migrate", verbosity=0)
    if not args.reuse:
        t = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(SEED_SQL, {"households": args.households, "events": args.events})
        print(f"seeded {args.households:,} households, {args.events:,} audit events in {time.perf_counter() - t:.1f}s")
    print(f"audit events in the table: {AuditEvent.objects.count():,}")
    clerk, created = User.objects.get_or_create(username="bench_county")
    if created:
        RoleAssignment.objects.create(user=clerk, role=Role.COUNTY, area=Area.objects.get(code="522634000000"))
    today = dt.date.today()
    household = audit.with_display(list(audit.events_for(clerk).filter(object_type="beneficiaries.household")[:1]))[0]

    def page_of(qs):
        page = Paginator(qs, 50).get_page(1)
        return page.paginator.count, len(audit.with_display(list(page)))

    cases = [
        ("county, last 30 days (default)", lambda: page_of(audit.events_for(clerk, since=today - dt.timedelta(days=30)))),
        ("county, whole year", lambda: page_of(audit.events_for(clerk))),
        ("county, one household's history", lambda: page_of(audit.events_for(clerk, household_ids=[household.household_pk]))),
    ]
    for label, fn in cases:
        count, shown = fn()
        print(f"{label:40} {timed(fn, 2):7.2f}s  ({count:,} events, first page {shown})")


if __name__ == "__main__":
    main()
