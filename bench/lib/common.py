"""Shared by the bench scripts: the bench database on the server the environment names, the
seed (set-based, server-side), and honest timing (median of interleaved pairs, rows compared)."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def use_bench_database(name: str) -> str:
    """Point DATABASE_URL at database `name` on the same server (same host, port, socket and
    options: only the database name changes), creating it if needed. Returns the new URL."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("DATABASE_URL is not set: run through `make bench` (devstack) or export it")
    params = conninfo_to_dict(url)
    admin = make_conninfo(**{**params, "dbname": "postgres"})
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    # Keep the URL form Django's env parser reads; replace only the path (the database name).
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    new = urlunsplit(parts._replace(path=f"/{name}"))
    os.environ["DATABASE_URL"] = new
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    return new


def median_pairs(ours, floor, pairs: int = 5) -> tuple[float, float]:
    """Median seconds of `ours` and `floor`, run as `pairs` interleaved pairs (ours, floor, ours,
    floor …) so background load on a shared machine hits both alike."""
    a, b = [], []
    for _ in range(pairs):
        t = time.perf_counter()
        ours()
        a.append(time.perf_counter() - t)
        t = time.perf_counter()
        floor()
        b.append(time.perf_counter() - t)
    return statistics.median(a), statistics.median(b)


def fetch(sql: str, params=None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def vacuum_dead_rows() -> str:
    """VACUUM (ANALYZE) every table that holds dead rows. The bench's writes are rolled back, and
    rolled-back rows stay in the heap and its indexes until a vacuum: after 13 rolled-back runs of
    the daily job the open-escalation index held 325,000 dead entries that the desk's (empty)
    escalation list walked through, 12 ms of its 39. Autovacuum would clear them within a minute
    of a real run; the next part should not measure them. Returns what it did, for the log."""
    from django.db import connection

    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT relname, n_dead_tup FROM pg_stat_user_tables WHERE n_dead_tup > 0 ORDER BY relname")
        tables = cur.fetchall()
        for name, _dead in tables:
            cur.execute(f'VACUUM (ANALYZE) "{name}"')
    dead = sum(n for _name, n in tables)
    return f"vacuumed {len(tables)} tables ({dead:,} dead rows) in {time.perf_counter() - t:.1f}s"


def print_table(rows: list[tuple[str, float, float | None, str]]) -> None:
    def ms(seconds: float) -> str:  # a tenth of a millisecond below 100 ms (the cadre list is ~3 ms)
        return f"{seconds * 1000:>8.1f}ms" if seconds < 0.1 else f"{seconds * 1000:>8.0f}ms"

    print(f"\n{'operation':<52}{'ours':>10}{'floor':>10}{'ratio':>8}  rows")
    for name, ours, floor, note in rows:
        ratio = f"{ours / floor:>7.2f}x" if floor else "       -"
        floor_text = ms(floor) if floor else "         -"
        print(f"{name:<52}{ms(ours)}{floor_text}{ratio}  {note}")
