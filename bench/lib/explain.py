"""EXPLAIN (ANALYZE, BUFFERS) of the slowest statement(s) behind each main operation, on the bench
database. Run after bench/scale.py has seeded it:
`DATABASE_URL=… .venv/bin/python bench/lib/explain.py [--db care_bench_scale] > /tmp/plans.txt`.
Long literals in the plans (arrays of ids) are cut to 300 characters."""

from __future__ import annotations

import argparse
import datetime as dt

from common import use_bench_database

TODAY = dt.date(2026, 6, 20)


def cut(line: str, limit: int = 300) -> str:
    return line if len(line) <= limit else line[:limit] + "…"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="care_bench_scale")
    use_bench_database(parser.parse_args().db)
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from beneficiaries.models import Household
    from visits import queries
    from visits.desk_views import desk_data

    county = Household.objects.filter(village__code__startswith="522634")
    cases = [
        ("overdue report today, one county", lambda: queries.overdue_report_rows(county, TODAY, today=TODAY), 2),
        ("overdue report 10 days ago, one county",
         lambda: queries.overdue_report_rows(county, TODAY - dt.timedelta(days=10), today=TODAY), 2),
        ("cadre list", lambda: queries.my_households(User.objects.get(username="bench_cadre"), TODAY), 2),
        ("township desk page", lambda: desk_data(User.objects.get(username="bench_township"), TODAY), 3),
        ("1st-of-month shortfall (June)", lambda: queries.month_shortfalls(dt.date(2026, 6, 1), dt.date(2026, 6, 30)), 2),
        ("daily job change detection", lambda: list(queries.schedule_changes(TODAY).values_list("id", flat=True)), 1),
    ]
    for name, fn, top in cases:
        with CaptureQueriesContext(connection) as q:
            fn()
        slowest = sorted(q.captured_queries, key=lambda x: -float(x["time"]))[:top]
        print(f"\n### {name}: {len(q.captured_queries)} queries; slowest {top}\n")
        for item in slowest:
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + item["sql"])
                plan = "\n".join(cut(r[0]) for r in cur.fetchall())
            print("```\n" + item["sql"][:600] + ("…" if len(item["sql"]) > 600 else "") + "\n\n" + plan + "\n```")


if __name__ == "__main__":
    main()
