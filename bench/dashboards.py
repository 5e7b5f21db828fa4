"""Dashboards at prefecture scale: the demo's prefecture-wide seeding (`oversight.demo`) at a
chosen size, then the time of each figure family for the prefecture, a county and a township.

Seeds its own database (care_bench_dashboards on the server of DATABASE_URL). Prints figures,
asserts nothing. Run: `make bench` or
`DATABASE_URL=postgres://… .venv/bin/python bench/dashboards.py [--households N]` (N per county).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "care_bench_dashboards"


def use_bench_database() -> None:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/care")
    parts = urlsplit(url)
    import psycopg

    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{DB_NAME}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def timed(label: str, fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    print(f"  {label:<28} {time.perf_counter() - t:6.2f}s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=300, help="households per county (default 300)")
    args = parser.parse_args()
    use_bench_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Area
    from oversight import dashboards, figures
    from oversight.demo import seed_prefecture

    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    counts = seed_prefecture(households=args.households)
    print(f"seeded {counts['households']:,} households and {counts['visits']:,} visits in 15 counties "
          f"in {time.perf_counter() - t:.1f}s")
    on = timezone.localdate()
    for code in ("522600000000", "522601000000", "522601001000"):
        area = Area.objects.get(code=code)
        print(f"\n{area.name} ({area.level}) on {on}:")
        schedules = timed("this month's schedules", figures.month_schedules, area, on)
        timed("tier counts", figures.tier_counts, area)
        timed("overdue (the report's rows)", figures.overdue_rows, area, on)
        timed("compliance this month", figures.compliance_counts, area, on, schedules)
        timed("12 closed months", figures.monthly_compliance, area, on)
        timed("open findings", figures.findings_counts, area, on)
        timed("referral timeliness", figures.referral_counts, area, on)
        timed("custody", figures.custody_counts, area, on)
        timed("whole page (all panels)", lambda a=area: dashboards.Dashboard(a, on).panels())


if __name__ == "__main__":
    main()
