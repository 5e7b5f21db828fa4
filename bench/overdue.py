"""Overdue alerts at prefecture scale: 100,000 households with two years of visits.

Seeds its own database (care_bench_overdue on the server of DATABASE_URL) with set-based SQL,
then prints for the daily alert job, the township desk, a cadre's list and the overdue report:
the time taken, the time of the bare SQL statement that computes the same rows (the floor), and
their ratio. Prints figures, asserts nothing. Run: `make bench` or
`DATABASE_URL=postgres://… .venv/bin/python bench/overdue.py [--households N]`.
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

DB_NAME = "care_bench_overdue"
TODAY = dt.date(2026, 6, 20)


def use_bench_database() -> None:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/care")
    parts = urlsplit(url)
    import psycopg

    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{DB_NAME}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


SEED_SQL = """
-- cadres: one per 30 households, each in a village
INSERT INTO beneficiaries_cadre (name, phone, kind, work_unit, home_village_id, active)
SELECT '干部' || g, '139' || lpad(g::text, 8, '0'), 'party', '县民政局', v.code, true
FROM generate_series(1, %(cadres)s) AS g
JOIN LATERAL (SELECT code FROM accounts_area WHERE level = 'village' ORDER BY code
              OFFSET (g * 7919) %% (SELECT count(*) FROM accounts_area WHERE level = 'village') LIMIT 1) v ON true;

-- households: tier mix A 20%%, B 40%%, C 40%%, in the village of their cadre
INSERT INTO beneficiaries_household (code, village_id, address, exit_reason, tier, criteria, tier_since, status, created_at, updated_at)
SELECT 'BH' || lpad(g::text, 8, '0'), c.home_village_id, '一组', '',
       CASE WHEN g %% 5 = 0 THEN 'A' WHEN g %% 5 IN (1, 2) THEN 'B' ELSE 'C' END,
       ARRAY[CASE WHEN g %% 5 = 0 THEN 'A1' WHEN g %% 5 IN (1, 2) THEN 'B1' ELSE 'C1' END],
       DATE '2024-06-01', 'active', now(), now()
FROM generate_series(1, %(households)s) AS g
JOIN beneficiaries_cadre c ON c.id = (SELECT min(id) FROM beneficiaries_cadre) + (g - 1) / 30;

-- ID numbers are stored encrypted with a blind index (accounts/crypto.py): every bench person
-- carries the same placeholder ciphertext and a distinct index (nothing here searches by number).
INSERT INTO beneficiaries_person (household_id, name, id_number_encrypted, id_number_index, birth_date, sex, relation, phone, benefit_status,
    support_mode, self_care, disability_type, serious_illness, work_capacity, is_main_earner, left_behind,
    child_in_distress, civil_capacity, guardian_name, created_at, updated_at)
SELECT h.id, '户主' || h.id, %(id_cipher)s, md5('bench-' || h.id) || md5('bench2-' || h.id), DATE '1950-01-01', 'M', 'head', '', 'dibao', '', 'full', '',
       false, 'none', true, '', false, 'full', '', now(), now()
FROM beneficiaries_household h;

INSERT INTO beneficiaries_pairing (household_id, cadre_id, relation, end_reason, started_on)
SELECT h.id, (SELECT min(id) FROM beneficiaries_cadre) + (row_number() OVER (ORDER BY h.id) - 1) / 30, 'nearby', '', DATE '2024-06-01'
FROM beneficiaries_household h;

-- two years of visits at each tier's interval (a little jitter); about one household in six
-- stopped being visited some days before TODAY, so it is overdue now.
INSERT INTO visits_visit (household_id, visited_on, mode, counted, visitor_name, met_with, health, health_note, food,
    clothing, housing, transport, medical, living_note, benefits, family_support, house_safety, water_safety,
    power_safety, gas_safety, heating_safety, needs, wishes, notes, late_reason, source, recorded_by_id, recorded_at)
SELECT h.id, d::date, 'in_person', true, '干部', '本人', 'good', '', 'ok', 'ok', 'ok', 'ok', 'ok', '', '{}', 'fulfilled',
       'safe', 'safe', 'safe', 'none', 'none', '{}', '', '入户走访', '', 'form', %(user)s, now()
FROM beneficiaries_household h
CROSS JOIN LATERAL (SELECT CASE h.tier WHEN 'A' THEN 9 WHEN 'B' THEN 14 ELSE 28 END AS step,
                           CASE WHEN h.id %% 6 = 0 THEN 10 + h.id %% 40 ELSE h.id %% 5 END AS lag) p
CROSS JOIN LATERAL generate_series(DATE '2024-06-20', %(today)s::date - p.lag::int, make_interval(days => p.step::int)) AS d;
"""


def _placeholder_id_cipher() -> str:
    from accounts import crypto

    return crypto.encrypt("522634195001011231", aad="beneficiaries.person.id_number")


def seed(households: int) -> None:
    from django.db import connection

    from accounts.models import Role, RoleAssignment, User
    from beneficiaries.models import Cadre, Household

    if Household.objects.count() >= households:
        return
    t = time.perf_counter()
    user, _ = User.objects.get_or_create(username="bench_township", defaults={"real_name": "西江镇"})
    RoleAssignment.objects.get_or_create(user=user, role=Role.TOWNSHIP, area_id="522634101000")
    with connection.cursor() as cur:
        cur.execute(SEED_SQL, {"cadres": (households + 29) // 30, "households": households, "user": user.id,
                               "today": TODAY, "id_cipher": _placeholder_id_cipher()})
        cur.execute("ANALYZE")
    cadre = Cadre.objects.order_by("id").first()
    cadre_login, _ = User.objects.get_or_create(username="bench_cadre", defaults={"real_name": cadre.name})
    RoleAssignment.objects.get_or_create(user=cadre_login, role=Role.CADRE, area_id=cadre.home_village_id)
    Cadre.objects.filter(pk=cadre.pk).update(user=cadre_login)
    # A township with a realistic load: move 3,000 households into 西江镇's villages.
    villages = list(__import__("accounts.models").models.Area.objects.filter(parent_id="522634101000")
                    .values_list("code", flat=True))
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE beneficiaries_household SET village_id = (%s::varchar[])[1 + id %% %s] WHERE id %% 33 = 0",
            [villages, len(villages)],
        )
        cur.execute("SELECT count(*) FROM visits_visit")
        n_visits = cur.fetchone()[0]
    print(f"seeded {households:,} households, {n_visits:,} visits in {time.perf_counter() - t:.1f}s")


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def sql_time(sql: str, params: list | dict | None = None, repeat: int = 3) -> float:
    from django.db import connection

    def run():
        with connection.cursor() as cur:
            cur.execute(sql, params)
            cur.fetchall()

    return timed(run, repeat)


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    args = parser.parse_args()
    use_bench_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    seed(args.households)

    from accounts.models import User
    from beneficiaries.models import Household
    from visits import actions, queries

    t = time.perf_counter()
    actions.schedule_refresh(households=Household.objects.filter(status="active"), today=TODAY)
    print(f"full schedule refresh of every household (one UPDATE): {time.perf_counter() - t:.2f}s")

    figures = []

    def job():
        try:
            with transaction.atomic():
                actions.overdue_alerts(today=TODAY)
                raise Rollback
        except Rollback:
            pass

    figures.append(("daily alert job (first run of the day)", timed(job, 2), sql_time(
        "SELECT id, next_due_on FROM beneficiaries_household WHERE status = 'active' AND next_due_on < %s", [TODAY])))

    township = User.objects.get(username="bench_township")
    figures.append(("township desk (西江镇)", timed(lambda: queries.township_desk(township, TODAY)), sql_time(
        """SELECT village_id, count(*) FROM beneficiaries_household
           WHERE status = 'active' AND next_due_on < %s AND village_id LIKE '522634101%%' GROUP BY village_id""",
        [TODAY])))

    cadre = User.objects.get(username="bench_cadre")
    figures.append(("cadre's list (30 households)", timed(lambda: queries.my_households(cadre, TODAY)), sql_time(
        """SELECT h.id, h.next_due_on FROM beneficiaries_household h
           JOIN beneficiaries_pairing p ON p.household_id = h.id AND p.ended_on IS NULL
           JOIN beneficiaries_cadre c ON c.id = p.cadre_id WHERE c.user_id = %s
           ORDER BY h.next_due_on NULLS LAST""", [cadre.id])))

    all_households = Household.objects.all()
    report_floor = """
        SELECT h.code, h.village_id, last.d, h.next_due_on FROM beneficiaries_household h
        CROSS JOIN LATERAL (SELECT max(visited_on) AS d FROM visits_visit v
                            WHERE v.household_id = h.id AND v.counted AND v.visited_on <= %s) last
        WHERE h.status = 'active' AND h.next_due_on < %s"""
    figures.append(("overdue report, whole prefecture",
                    timed(lambda: queries.overdue_report_rows(all_households, TODAY), 2),
                    sql_time(report_floor, [TODAY, TODAY], 2)))
    county = Household.objects.filter(village__code__startswith="522634")
    figures.append(("overdue report, one county (雷山县)", timed(lambda: queries.overdue_report_rows(county, TODAY)),
                    sql_time(report_floor + " AND h.village_id LIKE '522634%%'", [TODAY, TODAY])))

    rows = len(queries.overdue_report_rows(all_households, TODAY))
    print(f"\noverdue households on {TODAY}: {rows:,}\n")
    print(f"{'operation':<42}{'time':>10}{'floor':>10}{'ratio':>8}")
    for name, took, floor in figures:
        print(f"{name:<42}{took * 1000:>8.0f}ms{floor * 1000:>8.0f}ms{took / floor if floor else 0:>7.1f}x")


if __name__ == "__main__":
    main()
