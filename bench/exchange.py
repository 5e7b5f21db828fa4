"""Cross-checks and data quality at scale: the roster of bench/scale.py's seed (100,000 households by
default, with valid encrypted ID numbers, in its own database care_bench_exchange), then
- the five data-quality checks (counts and the first page) for one county and the prefecture;
- a 10,000-row disability list cross-checked against the prefecture (in a rolled-back transaction).
Prints figures, asserts nothing. Run: `make bench` or
`DATABASE_URL=postgres://… .venv/bin/python bench/exchange.py [--households N] [--rows N]`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))

import scale  # noqa: E402  (the shared seed of the scale bench)
from common import use_bench_database  # noqa: E402

DB_NAME = "care_bench_exchange"


class Rollback(Exception):
    pass


def heads_with_twins(rows: int) -> list[tuple[int, str, str]]:
    """(person id, ID number, name) of the first `rows` heads (the seed's numbers are valid and
    encrypted). Two in a hundred get a twin in another household, for the quality checks: the head
    of every 50th household takes the name of the head before it."""
    from django.db import connection

    from beneficiaries.models import Person

    with connection.cursor() as cur:
        cur.execute("""UPDATE beneficiaries_person p SET name = q.name FROM beneficiaries_person q
                       WHERE p.relation = 'head' AND q.relation = 'head' AND q.id = p.id - 1 AND p.id % 50 = 0""")
        cur.execute("ANALYZE beneficiaries_person")
    return [(p.pk, p.id_number, p.name)
            for p in Person.objects.filter(relation="head").order_by("id").only("id", "name", "id_number")[:rows]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    use_bench_database(DB_NAME)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    import seed as bench_seed

    scale.seed(args.households, history_days=bench_seed.history_days_for(args.households), visits_via="copy")
    from accounts.models import Area, Role, RoleAssignment, User
    from exchange.crosscheck import cross_check_run
    from exchange.queries import quality_checks

    bureau, _ = User.objects.get_or_create(username="bench_bureau", defaults={"real_name": "州民政局"})
    RoleAssignment.objects.get_or_create(user=bureau, role=Role.PREFECTURE, area_id="522600000000")
    people = heads_with_twins(args.rows)
    print(f"{len(people):,} heads (valid ID numbers; one in fifty with a twin)")

    print(f"\n{'data quality':<46}{'counts':>10}{'page':>10}")
    for label, code in (("one county (雷山县)", "522634000000"), ("the prefecture", "522600000000")):
        area = Area.objects.get(code=code)
        t = time.perf_counter()
        checks = quality_checks(bureau, area, today=scale.TODAY)
        counts = {c.key: c.rows.count() for c in checks}
        took_counts = time.perf_counter() - t
        t = time.perf_counter()
        for c in checks:
            list(c.rows[:50])
        took_page = time.perf_counter() - t
        print(f"{label:<46}{took_counts * 1000:>8.0f}ms{took_page * 1000:>8.0f}ms  {counts}")

    records = [{"姓名": name, "公民身份号码": number, "残疾类别": "肢体残疾", "残疾等级": "一级"}
               for _pk, number, name in people]
    t = time.perf_counter()
    try:
        with transaction.atomic():
            result = cross_check_run(actor=bureau, source="disability", area=Area.objects.get(code="522600000000"),
                                     records=records, filename="bench.csv", today=scale.TODAY)
            check = result.check
            raise Rollback
    except Rollback:
        pass
    took = time.perf_counter() - t
    print(f"\ncross-check of {len(records):,} rows against the prefecture: {took:.2f}s "
          f"({check.matched:,} matched, {check.proposals:,} proposals; rolled back)")


if __name__ == "__main__":
    main()
