"""Cross-checks and data quality at scale: the roster of bench/overdue.py (100,000 households by
default, in its own database care_bench_exchange), then
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

import overdue  # noqa: E402  (the shared seed of the overdue bench)

overdue.DB_NAME = "care_bench_exchange"


class Rollback(Exception):
    pass


def valid_numbers(rows: int) -> list[tuple[int, str, str]]:
    """Give `rows` heads valid ID numbers (the overdue seed's are placeholders); return (person id,
    number, name). Two in a hundred get a twin in another household, for the quality checks."""
    from django.db import connection

    from beneficiaries import idnumber

    with connection.cursor() as cur:
        cur.execute("SELECT id, name FROM beneficiaries_person WHERE relation = 'head' ORDER BY id LIMIT %s", [rows])
        people = cur.fetchall()
        out = [(pk, idnumber.make(f"522634{1940 + pk % 60}0{1 + pk % 9}1{pk % 10}{pk % 1000:03d}"[:17]), name)
               for pk, name in people]
        seen: set[str] = set()
        unique = []
        for pk, number, name in out:
            if number not in seen:
                seen.add(number)
                unique.append((pk, number, name))
        cur.execute("CREATE TEMP TABLE bench_ids (id bigint, number varchar(18))")
        with cur.copy("COPY bench_ids (id, number) FROM STDIN") as copy:
            for pk, number, _name in unique:
                copy.write_row((pk, number))
        cur.execute("UPDATE beneficiaries_person p SET id_number = b.number FROM bench_ids b WHERE b.id = p.id")
        cur.execute("DROP TABLE bench_ids")
        # Twins for the quality checks: the head of every 50th household takes the name of the head
        # before it (same birth date in the seed), so it looks like one person in two households.
        cur.execute("""UPDATE beneficiaries_person p SET name = q.name FROM beneficiaries_person q
                       WHERE p.relation = 'head' AND q.relation = 'head' AND q.id = p.id - 1 AND p.id % 50 = 0""")
        cur.execute("ANALYZE beneficiaries_person")
    return unique


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    overdue.use_bench_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    overdue.seed(args.households)
    from accounts.models import Area, Role, RoleAssignment, User
    from exchange.crosscheck import cross_check_run
    from exchange.queries import quality_checks

    bureau, _ = User.objects.get_or_create(username="bench_bureau", defaults={"real_name": "州民政局"})
    RoleAssignment.objects.get_or_create(user=bureau, role=Role.PREFECTURE, area_id="522600000000")
    people = valid_numbers(args.rows)
    print(f"{len(people):,} heads with valid ID numbers")

    print(f"\n{'data quality':<46}{'counts':>10}{'page':>10}")
    for label, code in (("one county (雷山县)", "522634000000"), ("the prefecture", "522600000000")):
        area = Area.objects.get(code=code)
        t = time.perf_counter()
        checks = quality_checks(bureau, area, today=overdue.TODAY)
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
                                     records=records, filename="bench.csv", today=overdue.TODAY)
            check = result.check
            raise Rollback
    except Rollback:
        pass
    took = time.perf_counter() - t
    print(f"\ncross-check of {len(records):,} rows against the prefecture: {took:.2f}s "
          f"({check.matched:,} matched, {check.proposals:,} proposals; rolled back)")


if __name__ == "__main__":
    main()
