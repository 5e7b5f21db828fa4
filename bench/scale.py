"""Province scale, honestly measured (issue 13): every operation beside a floor that returns the
same rows (compared), median of 5 interleaved pairs, on the server DATABASE_URL names (devstack's
under `make bench`), in its own database `care_bench_scale`.

Seed (server-side, set-based; `--households N`, default 100,000): A 20 % / B 40 % / C 40 %, one
cadre per 30 households, two years of in-person visits at each tier's interval (about one
household in six stopped being visited 10–49 days before TODAY), plus the cases the daily job must
get right: 1 in 50 households paused this month, 1 in 500 paused with no end, 1 in 40 changed tier
this month, and 2 % registered without tier or cadre (no due date).

Cases: daily job on an ordinary day and on the 1st of the month, township desk, cadre list,
overdue report (one county, prefecture; today and a past date), imports (roster and visit
ledger, rows/s end to end) and exports (peak memory of each, in a child process).

Prints figures, asserts nothing (except that each floor returns the same rows as ours).
Run: `make bench`, or `DATABASE_URL=postgres://… .venv/bin/python bench/scale.py [--households N]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))

from common import print_table, use_bench_database  # noqa: E402

DB_NAME = "care_bench_scale"
TODAY = dt.date(2026, 6, 20)
FIRST = dt.date(2026, 7, 1)

SEED_SQL = """
INSERT INTO beneficiaries_cadre (name, phone, kind, work_unit, home_village_id, active)
SELECT '干部' || g, '139' || lpad(g::text, 8, '0'), 'party', '县民政局', v.code, true
FROM generate_series(1, %(cadres)s) AS g
JOIN LATERAL (SELECT code FROM accounts_area WHERE level = 'village' ORDER BY code
              OFFSET (g * 7919) %% (SELECT count(*) FROM accounts_area WHERE level = 'village') LIMIT 1) v ON true;

INSERT INTO beneficiaries_household (code, village_id, address, exit_reason, tier, criteria, tier_since, status,
                                     created_at, updated_at)
SELECT 'BH' || lpad(g::text, 8, '0'), c.home_village_id, '一组', '',
       CASE WHEN g %% 5 = 0 THEN 'A' WHEN g %% 5 IN (1, 2) THEN 'B' ELSE 'C' END,
       ARRAY[CASE WHEN g %% 5 = 0 THEN 'A1' WHEN g %% 5 IN (1, 2) THEN 'B1' ELSE 'C1' END],
       DATE '2024-06-01', 'active', now() - interval '400 days', now() - interval '400 days'
FROM generate_series(1, %(households)s) AS g
JOIN beneficiaries_cadre c ON c.id = (SELECT min(id) FROM beneficiaries_cadre) + (g - 1) / 30;

INSERT INTO beneficiaries_person (household_id, name, id_number, birth_date, sex, relation, phone, benefit_status,
    support_mode, self_care, disability_type, serious_illness, work_capacity, is_main_earner, left_behind,
    child_in_distress, civil_capacity, guardian_name, created_at, updated_at)
SELECT h.id, '户主' || h.id, '5226' || lpad(h.id::text, 14, '0'), DATE '1950-01-01', 'M', 'head', '13900000000',
       'dibao', '', 'full', '', false, 'none', true, '', false, 'full', '', now(), now()
FROM beneficiaries_household h;

INSERT INTO beneficiaries_pairing (household_id, cadre_id, relation, end_reason, started_on)
SELECT h.id, (SELECT min(id) FROM beneficiaries_cadre) + (row_number() OVER (ORDER BY h.id) - 1) / 30, 'nearby', '',
       DATE '2024-06-01'
FROM beneficiaries_household h;

INSERT INTO visits_visit (household_id, visited_on, mode, counted, visitor_name, met_with, health, health_note, food,
    clothing, housing, transport, medical, living_note, benefits, family_support, house_safety, water_safety,
    power_safety, gas_safety, heating_safety, needs, wishes, notes, late_reason, source, recorded_by_id, recorded_at)
SELECT h.id, d::date, 'in_person', true, '干部', '本人', 'good', '', 'ok', 'ok', 'ok', 'ok', 'ok', '', '{}', 'fulfilled',
       'safe', 'safe', 'safe', 'none', 'none', '{}', '', '入户走访', '', 'form', %(user)s, now()
FROM beneficiaries_household h
CROSS JOIN LATERAL (SELECT CASE h.tier WHEN 'A' THEN 9 WHEN 'B' THEN 14 ELSE 28 END AS step,
                           CASE WHEN h.id %% 6 = 0 THEN 10 + h.id %% 40 ELSE h.id %% 5 END AS lag) p
CROSS JOIN LATERAL generate_series(DATE '2024-06-20', %(today)s::date - p.lag::int, make_interval(days => p.step::int)) AS d;

-- Pauses: 1 in 50 this month (hospital), 1 in 500 open-ended.
INSERT INTO visits_pause (household_id, kind, starts_on, ends_on, reason, created_by_id, created_at)
SELECT id, 'hospital', %(today)s::date - 20, CASE WHEN id %% 500 = 7 THEN NULL ELSE %(today)s::date - 8 END,
       '住院', %(user)s, now() - interval '30 days'
FROM beneficiaries_household WHERE id %% 50 = 7;

-- Tier changes this month: 1 in 40 went from its tier to A on the 5th.
INSERT INTO beneficiaries_classification (household_id, suggested_tier, suggested_criteria, from_tier, tier, criteria,
    reason, effective_on, decided_by_id, decided_at)
SELECT id, 'A', '{A1}', tier, 'A', '{A1}', '情况变化', %(today)s::date - 15, %(user)s, now() - interval '15 days'
FROM beneficiaries_household WHERE id %% 40 = 3;
UPDATE beneficiaries_household SET tier = 'A', criteria = '{A1}', tier_since = %(today)s::date - 15 WHERE id %% 40 = 3;

-- 2 %% registered without tier or cadre: no due date.
INSERT INTO beneficiaries_household (code, village_id, address, exit_reason, tier, criteria, status, created_at, updated_at)
SELECT 'NT' || lpad(g::text, 8, '0'), (SELECT code FROM accounts_area WHERE level = 'village' ORDER BY code
                                       OFFSET g %% 100 LIMIT 1), '二组', '', '', '{}', 'active',
       now() - interval '100 days', now() - interval '100 days'
FROM generate_series(1, %(households)s / 50) AS g;
"""


def seed(households: int) -> None:
    from django.db import connection

    from accounts.models import Area, Role, RoleAssignment, User
    from beneficiaries.models import Cadre, Household
    from visits import actions

    if Household.objects.count() >= households:
        return
    t = time.perf_counter()
    user, _ = User.objects.get_or_create(username="bench_township", defaults={"real_name": "西江镇"})
    RoleAssignment.objects.get_or_create(user=user, role=Role.TOWNSHIP, area_id="522634101000")
    county, _ = User.objects.get_or_create(username="bench_county", defaults={"real_name": "雷山县民政局"})
    RoleAssignment.objects.get_or_create(user=county, role=Role.COUNTY, area_id="522634000000")
    with connection.cursor() as cur:
        cur.execute(SEED_SQL, {"cadres": (households + 29) // 30, "households": households, "user": user.id,
                               "today": TODAY})
    cadre = Cadre.objects.order_by("id").first()
    cadre_login, _ = User.objects.get_or_create(username="bench_cadre", defaults={"real_name": cadre.name})
    RoleAssignment.objects.get_or_create(user=cadre_login, role=Role.CADRE, area_id=cadre.home_village_id)
    Cadre.objects.filter(pk=cadre.pk).update(user=cadre_login)
    villages = list(Area.objects.filter(parent_id="522634101000").values_list("code", flat=True))
    with connection.cursor() as cur:
        # A township with a realistic load: 3,000 households in 西江镇's villages.
        cur.execute("UPDATE beneficiaries_household SET village_id = (%s::varchar[])[1 + id %% %s] WHERE id %% 33 = 0",
                    [villages, len(villages)])
        cur.execute("ANALYZE")
    seeded = time.perf_counter() - t
    t = time.perf_counter()
    actions.schedule_refresh(households=Household.objects.filter(status="active"), today=TODAY)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
        cur.execute("SELECT count(*) FROM visits_visit")
        n_visits = cur.fetchone()[0]
    print(f"seeded {households:,} households, {n_visits:,} visits in {seeded:.0f}s (server-side INSERT … SELECT); "
          f"stored due dates of every household computed in {time.perf_counter() - t:.0f}s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--db", default=DB_NAME, help="bench database name (created on the same server)")
    parser.add_argument("--only", default="", help="comma-separated parts: job,pages,reports,imports,exports")
    args = parser.parse_args()
    use_bench_database(args.db)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seed(args.households)
    from accounts.models import Role, RoleAssignment, User

    prefecture, _ = User.objects.get_or_create(username="bench_prefecture", defaults={"real_name": "州民政局"})
    RoleAssignment.objects.get_or_create(user=prefecture, role=Role.PREFECTURE, area_id="522600000000")
    if args.seed_only:
        return
    import cases

    parts = [p for p in args.only.split(",") if p] or ["job", "pages", "reports", "imports", "exports"]
    figures = []
    for part in parts:
        figures += getattr(cases, part)(TODAY, FIRST)
    print_table(figures)


if __name__ == "__main__":
    main()
