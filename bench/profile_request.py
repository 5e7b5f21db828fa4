"""Where one request's time goes (issue 25): a page fetched through the test client as a bench
user, on the bench's day, on a seeded bench database (bench/scale.py --seed-only first). Prints
the median time of the request, the queries it runs (with their time) and, with --profile, the
top of cProfile's cumulative listing.

Run: `DATABASE_URL=postgres://… .venv/bin/python bench/profile_request.py --db care_bench_scale
--user bench_cadre /visits/mine/ [--profile] [--repeat 15]`."""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))

from common import use_bench_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--db", default="care_bench_scale")
    parser.add_argument("--user", default="bench_cadre")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    use_bench_database(args.db)
    import django

    django.setup()
    import as_request
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from scale import TODAY

    from accounts.models import User

    client = as_request.client_for(User.objects.get(username=args.user))
    with as_request.on_day(TODAY):
        as_request.body(client, args.url)  # warm: templates compiled, connection open
        with CaptureQueriesContext(connection) as queries:
            as_request.body(client, args.url)
        print(f"{len(queries.captured_queries)} queries:")
        for q in queries.captured_queries:
            print(f"  {float(q['time']) * 1000:7.2f} ms  {q['sql'][:160]}")
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            as_request.body(client, args.url)
            times.append(time.perf_counter() - t)
        print(f"request: median {statistics.median(times) * 1000:.1f} ms, min {min(times) * 1000:.1f} ms "
              f"over {args.repeat}")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.repeat):
                as_request.body(client, args.url)
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top // 2)


if __name__ == "__main__":
    main()
