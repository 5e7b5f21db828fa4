"""Early warning measured: a year of history for N households with planted deteriorations
(tests/earlywarning/scenario.py), then recall and alert fatigue at the defaults, with timings.
Prints figures, asserts nothing (tests/earlywarning/test_recall.py asserts). Run on a scratch
database — it writes households:

    DATABASE_URL=postgres://…/care_bench python bench/early_warning.py --households 3000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from accounts.models import Role  # noqa: E402
from tests.earlywarning import scenario  # noqa: E402
from tests.factories import user_with_role  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    with transaction.atomic():
        actor = user_with_role(Role.TOWNSHIP, "522634101000", username=f"bench-ew-{time.time_ns()}")
        t0 = time.monotonic()
        built = scenario.build(households=args.households, seed=args.seed, recorder=actor)
        t1 = time.monotonic()
        result = scenario.measure(built, actor)
        t2 = time.monotonic()
        print(f"households {args.households:,}, visits {built.visits:,}, planted {result.planted}")
        print(f"build {t1 - t0:.1f} s, measure {t2 - t1:.1f} s")
        print(f"recall {result.recall:.1%} ({result.warned}/{result.planted})")
        for how, (n, w) in sorted(result.by_how.items()):
            print(f"  {how:<9} {w}/{n}")
        for day, high, any_level in result.ordinary_days:
            print(f"ordinary day {day}: at 预警 or above {high:.1%}, at 关注 or above {any_level:.1%}")
        transaction.set_rollback(True)  # a measure, not data


if __name__ == "__main__":
    main()
