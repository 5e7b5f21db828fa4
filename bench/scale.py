"""Province scale, honestly measured (issue 13): every operation beside a floor that returns the
same rows (compared), median of 5 interleaved pairs, on the server DATABASE_URL names (devstack's
under `make bench`), in its own database `care_bench_scale`.

Seed (bench/lib/seed.py; `--households N`, default 100,000; an empty database only): A 20 % /
B 40 % / C 40 %, one cadre per 30 households, in-person visits at each tier's interval over two
years up to 100,000 households and 465 days above (~30 visits a household: 30 M for 1 M), about
one household in six stopped being visited 10–49 days before TODAY, plus the cases the daily job
must get right: 1 in 50 households paused this month, 1 in 500 paused with no end, 1 in 40 changed
tier this month, 2 % registered without tier or cadre (no due date), ~3,000 households in 西江镇.
Loaded with the big tables' secondary indexes and unique / foreign-key constraints dropped and
recreated exactly (read from the catalog), people and visits by COPY FREEZE; the stored due dates
through the rules, in two processes.

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

from common import print_table, use_bench_database, vacuum_dead_rows  # noqa: E402

DB_NAME = "care_bench_scale"
TODAY = dt.date(2026, 6, 20)
FIRST = dt.date(2026, 7, 1)

def seed(households: int, *, history_days: int, visits_via: str) -> None:
    """An empty bench database gets the seed of bench/lib/seed.py (one that already holds the
    households is kept; one holding fewer is refused: drop it)."""
    import seed as bench_seed
    from django.db import connection

    from accounts.models import Role, RoleAssignment, User
    from beneficiaries.models import Cadre, Household

    existing = Household.objects.count()
    if existing >= households:
        return
    if existing:
        raise SystemExit(f"the bench database holds {existing:,} households, fewer than {households:,}: drop it")
    t = time.perf_counter()
    user, _ = User.objects.get_or_create(username="bench_township", defaults={"real_name": "西江镇"})
    RoleAssignment.objects.get_or_create(user=user, role=Role.TOWNSHIP, area_id="522634101000")
    county, _ = User.objects.get_or_create(username="bench_county", defaults={"real_name": "雷山县民政局"})
    RoleAssignment.objects.get_or_create(user=county, role=Role.COUNTY, area_id="522634000000")
    steps = bench_seed.load(households, TODAY, user.id, history_days=history_days, visits_via=visits_via)
    cadre = Cadre.objects.order_by("id").first()
    cadre_login, _ = User.objects.get_or_create(username="bench_cadre", defaults={"real_name": cadre.name})
    RoleAssignment.objects.get_or_create(user=cadre_login, role=Role.CADRE, area_id=cadre.home_village_id)
    Cadre.objects.filter(pk=cadre.pk).update(user=cadre_login)
    seeded = time.perf_counter() - t
    t = time.perf_counter()
    bench_seed.refresh_due_dates(TODAY)
    refreshed = time.perf_counter() - t
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM visits_visit")
        n_visits = cur.fetchone()[0]
    for name, seconds in steps.items():
        print(f"  {name:<72}{seconds:>7.1f}s")
    print(f"seeded {households:,} households, {n_visits:,} visits ({history_days} days of history) in {seeded:.0f}s; "
          f"stored due dates of every household computed through the rules in {refreshed:.0f}s; "
          f"total {seeded + refreshed:.0f}s")


def cadre_logins() -> int:
    """Every seeded cadre gets a login (issue 25): a user `bench_cadre_<id>` with the cadre role
    at the cadre's home village, linked to the cadre, so the daily job notifies as many people as
    production would. Set-based, one statement; the password is one hash for all (`PASSWORD` of
    bench/lib/load.py). Idempotent: cadres that have a login keep it. Returns the logins made."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django.db import connection

    from accounts.models import Role

    with connection.cursor() as cur:
        cur.execute("""
            WITH c AS (SELECT id, name, home_village_id FROM beneficiaries_cadre WHERE user_id IS NULL),
            u AS (
                INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                           is_active, date_joined, real_name, phone)
                SELECT %(password)s, false, 'bench_cadre_' || c.id, '', '', '', false, true, now(), left(c.name, 50), ''
                FROM c RETURNING id, username),
            r AS (
                INSERT INTO accounts_roleassignment (role, created_at, area_id, user_id)
                SELECT %(role)s, now(), c.home_village_id, u.id FROM u JOIN c ON u.username = 'bench_cadre_' || c.id)
            UPDATE beneficiaries_cadre SET user_id = u.id FROM u WHERE u.username = 'bench_cadre_' || beneficiaries_cadre.id
        """, {"password": PBKDF2PasswordHasher().encode("Bench-Load-2026!", PBKDF2PasswordHasher().salt()),  # as production checks
          "role": Role.CADRE})
        return cur.rowcount


def check_due(chunk: int = 100_000) -> None:
    """Run visits.actions.schedule_refresh itself over every active household (by id ranges, in a
    transaction rolled back) and report how many stored due dates it would change: 0 means the
    seed stored exactly what the application computes."""
    from django.db import transaction

    from beneficiaries.models import Household
    from visits import actions

    t = time.perf_counter()
    changed = 0
    high = Household.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        for low in range(1, high + 1, chunk):
            changed += actions.schedule_refresh(
                households=Household.objects.filter(status="active", id__gte=low, id__lt=low + chunk), today=TODAY
            )
        transaction.set_rollback(True)
    print(f"actions.schedule_refresh over every household: {changed:,} stored due dates would change "
          f"({time.perf_counter() - t:.0f}s, rolled back)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--db", default=DB_NAME, help="bench database name (created on the same server)")
    parser.add_argument("--only", default="", help="comma-separated parts: job,pages,page_requests,requests,dashboards,reports,imports,exports "
                        "(requests: page_requests and the downloads, nightly figures, dashboards)")
    parser.add_argument("--history-days", type=int, default=0,
                        help="days of visit history (default: 730 up to 100,000 households, 465 above: ~30 visits each)")
    parser.add_argument("--check-due", action="store_true",
                        help="after seeding, check the stored due dates against actions.schedule_refresh")
    parser.add_argument("--visits", choices=("copy", "insert"), default="copy",
                        help="load visits by COPY FROM STDIN (FREEZE) from a generator, or server-side INSERT … SELECT")
    args = parser.parse_args()
    use_bench_database(args.db)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import seed as bench_seed

    seed(args.households, history_days=args.history_days or bench_seed.history_days_for(args.households),
         visits_via=args.visits)
    print(f"cadre logins made: {cadre_logins():,}")
    if args.check_due:
        check_due()
    from accounts.models import Role, RoleAssignment, User

    prefecture, _ = User.objects.get_or_create(username="bench_prefecture", defaults={"real_name": "州民政局"})
    RoleAssignment.objects.get_or_create(user=prefecture, role=Role.PREFECTURE, area_id="522600000000")
    if args.seed_only:
        return
    import cases

    parts = [p for p in args.only.split(",") if p] or ["job", "pages", "requests", "reports", "imports", "exports"]
    figures = []
    for part in parts:
        print(f"before {part}: {vacuum_dead_rows()}", flush=True)
        figures += getattr(cases, part)(TODAY, FIRST)
    print_table(figures)


if __name__ == "__main__":
    main()
