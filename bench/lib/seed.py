"""The bench seed (bench/scale.py): fast enough for 1,000,000 households, on the real schema.

Into an empty bench database, in ONE transaction:

1. read the secondary indexes, unique and foreign-key constraints of the big tables (households,
   people, pairings, visits) from pg_indexes / pg_constraint, and drop them (primary keys stay:
   other tables' foreign keys hang on them);
2. load: cadres, households and pairings set-based on the server (INSERT … SELECT, every value a
   function of the row number, no join); people and visits by `COPY … FROM STDIN (FREEZE)` fed by
   a generator (the ID numbers are valid and really encrypted, with their blind index; visits are
   written frozen and all-visible, so the first reads of the bench set no hint bits);
3. recreate exactly the definitions read in 1 (checked: the schema afterwards equals the schema
   before), with a large maintenance_work_mem; then ANALYZE.

`synchronous_commit` is off for the transaction. The stored due date of every household is then
computed through the rules — rules.next_due over queries.load_histories, what
visits.actions.schedule_refresh stores — in chunks of households, by two processes;
`bench/scale.py --check-due` then runs schedule_refresh itself over every household and reports how
many stored dates it changed (0 expected).

Shape (as before, `households` = N): A 20 % / B 40 % / C 40 %, one cadre per 30 households,
in-person visits at each tier's interval (9 / 14 / 28 days) over `history_days` before TODAY
(730 up to 100,000 households, as the 100k figures were taken; 465 above, so 1 M households
have ~30 M visits); one household in six stopped being visited 10–49 days before TODAY
(overdue); 1 in 50 paused this month (1 in 500 with no end), 1 in 40 changed tier to A on the
5th, N/50 registered without tier or cadre (no due date), ~3,000 households in 西江镇 (3,931 at
100,000, where the cadres living there add ~900 to the 1 in 33 placed there; above 100,000 no
cadre lives there).
"""

from __future__ import annotations

import datetime as dt
import math
import multiprocessing
import time

from django.db import connection, transaction

BIG_TABLES = ("beneficiaries_household", "beneficiaries_person", "beneficiaries_pairing", "visits_visit")
XIJIANG = "522634101000"  # 西江镇: the township desk case
START_PAIRED = dt.date(2024, 6, 1)

# Tier of household g before the tier changes (visits follow it) and its interval.
BASE_TIER = "CASE WHEN g %% 5 = 0 THEN 'A' WHEN g %% 5 IN (1, 2) THEN 'B' ELSE 'C' END"

LOAD_SQL = f"""
INSERT INTO beneficiaries_cadre (name, phone, kind, work_unit, home_village_id, active)
SELECT '干部' || g, '139' || lpad(g::text, 8, '0'), 'party', '县民政局',
       (%(homes)s::varchar[])[1 + (g * 7919) %% %(n_homes)s], true
FROM generate_series(1, %(cadres)s) AS g ORDER BY g;

-- Household g: cadre (g - 1) / 30 (its home village), or one of 西江镇's villages for 1 in `xj_step`;
-- 1 in 40 changed tier to A on the 5th of this month.
INSERT INTO beneficiaries_household (id, code, village_id, address, exit_reason, tier, criteria, tier_since, status,
                                     created_at, updated_at)
SELECT g, 'BH' || lpad(g::text, 8, '0'),
       CASE WHEN g %% %(xj_step)s = 0 THEN (%(xijiang)s::varchar[])[1 + g %% %(n_xijiang)s]
            ELSE (%(homes)s::varchar[])[1 + (((g - 1) / 30 + 1) * 7919) %% %(n_homes)s] END,
       '一组', '',
       CASE WHEN g %% 40 = 3 THEN 'A' ELSE {BASE_TIER} END,
       CASE WHEN g %% 40 = 3 THEN '{{A1}}'::varchar[] ELSE ARRAY[{BASE_TIER} || '1']::varchar[] END,
       CASE WHEN g %% 40 = 3 THEN %(today)s::date - 15 ELSE %(paired)s::date END,
       'active', now() - interval '400 days', now() - interval '400 days'
FROM generate_series(1, %(households)s) AS g;

INSERT INTO beneficiaries_pairing (household_id, cadre_id, relation, end_reason, started_on)
SELECT g, %(cadre0)s + (g - 1) / 30, 'nearby', '', %(paired)s::date
FROM generate_series(1, %(households)s) AS g;

-- Pauses: 1 in 50 this month (hospital), 1 in 500 open-ended.
INSERT INTO visits_pause (household_id, kind, starts_on, ends_on, reason, created_by_id, created_at)
SELECT g, 'hospital', %(today)s::date - 20, CASE WHEN g %% 500 = 7 THEN NULL ELSE %(today)s::date - 8 END,
       '住院', %(user)s, now() - interval '30 days'
FROM generate_series(7, %(households)s, 50) AS g;

-- The tier changes: 1 in 40 went from its tier to A on the 5th.
INSERT INTO beneficiaries_classification (household_id, suggested_tier, suggested_criteria, from_tier, tier, criteria,
    reason, effective_on, decided_by_id, decided_at)
SELECT g, 'A', '{{A1}}', {BASE_TIER}, 'A', '{{A1}}', '情况变化', %(today)s::date - 15, %(user)s,
       now() - interval '15 days'
FROM generate_series(3, %(households)s, 40) AS g;
"""

# Without tier or cadre: no due date (ids after the seeded households).
NO_TIER_SQL = """
INSERT INTO beneficiaries_household (code, village_id, address, exit_reason, tier, criteria, status, created_at,
                                     updated_at)
SELECT 'NT' || lpad(g::text, 8, '0'), (%(villages)s::varchar[])[1 + g %% 100], '二组', '', '', '{}', 'active',
       now() - interval '100 days', now() - interval '100 days'
FROM generate_series(1, %(households)s / 50) AS g;
"""

VISIT_COLUMNS = (
    "household_id, visited_on, mode, counted, visitor_name, met_with, health, health_note, food, clothing, housing, "
    "transport, medical, living_note, benefits, family_support, house_safety, water_safety, power_safety, gas_safety, "
    "heating_safety, needs, wishes, notes, late_reason, source, recorded_by_id, recorded_at, conflict, geo_status, "
    "hazards_fixed, wishes_not_asked"
)

# The same visits, set-based (kept to measure against COPY: `--visits insert`).
VISITS_INSERT_SQL = f"""
INSERT INTO visits_visit ({VISIT_COLUMNS})
SELECT g, %(start)s::date + i, 'in_person', true, '干部', '本人', 'good', '', 'ok', 'ok', 'ok', 'ok', 'ok', '', '{{}}',
       'fulfilled', 'safe', 'safe', 'safe', 'none', 'none', '{{}}', '', '入户走访', '', 'form', %(user)s, %(now)s,
       '', '', '{{}}', false
FROM generate_series(1, %(households)s) AS g
CROSS JOIN LATERAL (SELECT CASE WHEN g %% 5 = 0 THEN 9 WHEN g %% 5 IN (1, 2) THEN 14 ELSE 28 END AS step,
                           CASE WHEN g %% 6 = 0 THEN 10 + g %% 40 ELSE g %% 5 END AS lag) p
CROSS JOIN LATERAL generate_series(0, (%(today)s::date - p.lag) - %(start)s::date, p.step) AS i
"""


def visit_steps(g: int) -> tuple[int, int]:
    """(interval, lag) of household g: its base tier's interval; 1 in 6 last visited 10–49 days ago."""
    step = 9 if g % 5 == 0 else 14 if g % 5 in (1, 2) else 28
    lag = 10 + g % 40 if g % 6 == 0 else g % 5
    return step, lag


# Every visit column but the household and the day is the same on every seeded row: while the
# visits are copied, those columns get these values as temporary defaults (restored afterwards), so
# COPY parses two columns a row instead of 32.
VISIT_CONSTANTS = {
    "mode": "in_person", "counted": True, "visitor_name": "干部", "met_with": "本人", "health": "good",
    "health_note": "", "food": "ok", "clothing": "ok", "housing": "ok", "transport": "ok", "medical": "ok",
    "living_note": "", "benefits": [], "family_support": "fulfilled", "house_safety": "safe", "water_safety": "safe",
    "power_safety": "safe", "gas_safety": "none", "heating_safety": "none", "needs": [], "wishes": "",
    "notes": "入户走访", "late_reason": "", "source": "form", "conflict": "", "geo_status": "", "hazards_fixed": [],
    "wishes_not_asked": False,
}


def _visit_lines(households: int, start: dt.date, today: dt.date):
    """COPY text (household, day) of every visit, in chunks: the same rows as VISITS_INSERT_SQL."""
    span = (today - start).days
    days = [(start + dt.timedelta(days=i)).isoformat() + "\n" for i in range(span + 1)]
    out = []
    for g in range(1, households + 1):
        step, lag = visit_steps(g)
        prefix = f"{g}\t"
        out.extend(prefix + days[i] for i in range(0, span - lag + 1, step))
        if len(out) >= 20000:
            yield "".join(out)
            out = []
    if out:
        yield "".join(out)


def _copy_visits(cur, households: int, start: dt.date, today: dt.date, user_id: int, now: str) -> None:
    constants = {**VISIT_CONSTANTS, "recorded_by_id": user_id, "recorded_at": now}
    defaults = (
        "SELECT attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a LEFT JOIN pg_attrdef d "
        "ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = 'visits_visit'::regclass "
        "AND attname = ANY(%s)"
    )
    cur.execute(defaults, [list(constants)])
    before = dict(cur.fetchall())
    if set(before) != set(constants):
        raise SystemExit(f"visits_visit has no column {sorted(set(constants) - set(before))}")
    for column, value in constants.items():
        cur.execute(f'ALTER TABLE visits_visit ALTER COLUMN "{column}" SET DEFAULT %s', [value])
    _copy(cur, "visits_visit", "household_id, visited_on", _visit_lines(households, start, today))
    for column, default in before.items():
        if default is None:
            cur.execute(f'ALTER TABLE visits_visit ALTER COLUMN "{column}" DROP DEFAULT')
        else:
            cur.execute(f'ALTER TABLE visits_visit ALTER COLUMN "{column}" SET DEFAULT {default}')
    cur.execute(defaults, [list(constants)])
    if dict(cur.fetchall()) != before:
        raise SystemExit("visits_visit's column defaults were not restored")


def _person_lines(households: int, now: str):
    """COPY text of one head per household, with a valid ID number, encrypted, and its blind index."""
    from accounts import crypto
    from beneficiaries.idnumber import check_char
    from beneficiaries.models import Person

    aad = Person._meta.get_field("id_number").aad
    born0 = dt.date(1950, 1, 1)
    out = []
    for g in range(1, households + 1):
        born = born0 + dt.timedelta(days=g // 1000)
        seq = f"{g % 1000:03d}"
        first17 = f"522634{born:%Y%m%d}{seq}"
        number = first17 + check_char(first17)
        sex = "M" if int(seq[-1]) % 2 else "F"
        out.append("\t".join([
            str(g), f"户主{g}", crypto.encrypt(number, aad=aad), crypto.blind_index(number), born.isoformat(), sex,
            "head", "13900000000", "dibao", "", "full", "", "f", "none", "t", "", "f", "full", "", now, now,
        ]) + "\n")
        if len(out) >= 5000:
            yield "".join(out)
            out = []
    if out:
        yield "".join(out)


PERSON_COLUMNS = (
    "household_id, name, id_number_encrypted, id_number_index, birth_date, sex, relation, phone, benefit_status, "
    "support_mode, self_care, disability_type, serious_illness, work_capacity, is_main_earner, left_behind, "
    "child_in_distress, civil_capacity, guardian_name, created_at, updated_at"
)


def _schema(cur) -> tuple[list[tuple[str, str]], list[tuple[str, str, str, str]]]:
    """(indexes, constraints) of the big tables, as their definitions: secondary indexes not backing a
    constraint [(name, CREATE INDEX …)], and unique / foreign-key constraints [(table, name, type, definition)].
    Primary keys and check constraints are left alone."""
    cur.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)
        ORDER BY i.tablename, i.indexname
        """,
        [list(BIG_TABLES)],
    )
    indexes = cur.fetchall()
    cur.execute(
        """
        SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid::regclass::text = ANY(%s) AND contype IN ('u', 'f')
        ORDER BY contype DESC, 1, 2
        """,
        [list(BIG_TABLES)],
    )
    return indexes, cur.fetchall()


def _referencing_closure(cur, table: str) -> list[str]:
    """`table` and every table whose foreign keys reach it (what TRUNCATE must name)."""
    seen, todo = [table], [table]
    while todo:
        cur.execute("SELECT DISTINCT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' AND confrelid = %s::regclass",
                    [todo.pop()])
        for (t,) in cur.fetchall():
            if t not in seen:
                seen.append(t)
                todo.append(t)
    return seen


def _truncate_for_freeze(cur, table: str) -> None:
    """COPY … FREEZE needs the table truncated in the same transaction. Only ever on empty tables."""
    tables = _referencing_closure(cur, table)
    for t in tables:
        cur.execute(f'SELECT EXISTS (SELECT 1 FROM "{t}")')
        if cur.fetchone()[0]:
            raise SystemExit(f"{t} is not empty: the bench seeds an empty database only")
    cur.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables))


def _copy(cur, table: str, columns: str, chunks) -> None:
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN (FREEZE)") as copy:
        for chunk in chunks:
            copy.write(chunk)


def xijiang_step(households: int) -> int:
    """1 household in `step` is placed in 西江镇 (~3,030 in all). Up to 100,000 it is households // 3030
    (33 at 100k, as the 100k figures were taken); above, the next step coprime with 30, so that the
    township gets every tier and lag (at 1 M, 330 would have placed only tier-A households that
    stopped being visited: 3,030 of 3,030 overdue)."""
    step = max(1, households // 3030)
    if households > 100_000:
        while math.gcd(step, 30) != 1:
            step += 1
    return step


def history_days_for(households: int) -> int:
    return 730 if households <= 100_000 else 465


def load(households: int, today: dt.date, user_id: int, *, history_days: int, visits_via: str = "copy") -> dict:
    """Seed the empty bench database (see the module docstring). Returns timings of each step."""
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(name):
        nonlocal t
        now = time.perf_counter()
        timings[name] = now - t
        t = now

    now = dt.datetime.now(dt.UTC).isoformat()
    start = today - dt.timedelta(days=history_days)
    with transaction.atomic(), connection.cursor() as cur:
        raw = cur.cursor  # psycopg cursor, for COPY
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cur.execute("SET LOCAL work_mem = '256MB'")
        indexes, constraints = _schema(cur)
        for table, name, _type, _definition in constraints:
            cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        lap("drop indexes and constraints")

        cur.execute("SELECT array_agg(code ORDER BY code) FROM accounts_area WHERE level = 'village'")
        villages = cur.fetchone()[0]
        cur.execute("SELECT array_agg(code ORDER BY code) FROM accounts_area WHERE parent_id = %s", [XIJIANG])
        xijiang = cur.fetchone()[0]
        # Cadres' home villages (and so their households'): every village up to 100,000 households
        # (as the 100k figures were taken: ~900 more households in 西江镇, 3,931 in all); above, none
        # of 西江镇's, or at 1 M it would hold ~12,000 households instead of ~3,000.
        homes = villages if households <= 100_000 else [v for v in villages if v not in set(xijiang)]
        cur.execute("SELECT coalesce(max(id), 0) + 1 FROM beneficiaries_cadre")
        params = {
            "cadres": (households + 29) // 30, "households": households, "user": user_id, "today": today,
            "paired": START_PAIRED, "villages": villages, "homes": homes, "n_homes": len(homes), "xijiang": xijiang,
            "n_xijiang": len(xijiang), "xj_step": xijiang_step(households), "cadre0": cur.fetchone()[0],
            "start": start, "now": now,
        }
        cur.execute(LOAD_SQL, params)
        cur.execute("SELECT setval(pg_get_serial_sequence('beneficiaries_household', 'id'), %s)", [households])
        cur.execute(NO_TIER_SQL, params)
        lap("cadres, households, pairings, pauses, tier changes (INSERT … SELECT)")

        _truncate_for_freeze(raw, "beneficiaries_person")
        _copy(raw, "beneficiaries_person", PERSON_COLUMNS, _person_lines(households, now))
        lap("people (COPY FREEZE, ID numbers encrypted)")

        if visits_via == "copy":
            _truncate_for_freeze(raw, "visits_visit")
            _copy_visits(raw, households, start, today, user_id, now)
            lap("visits (COPY FREEZE from a generator)")
        else:
            cur.execute(VISITS_INSERT_SQL, params)
            lap("visits (INSERT … SELECT)")

        for _name, definition in indexes:
            cur.execute(definition)
        lap("recreate indexes")
        for table, name, _type, definition in constraints:
            cur.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        lap("recreate unique and foreign-key constraints")
        if _schema(cur) != (indexes, constraints):
            raise SystemExit("the schema after the seed differs from the schema before")
        for table in ("beneficiaries_cadre", *BIG_TABLES, "visits_pause", "beneficiaries_classification"):
            cur.execute(f'ANALYZE "{table}"')
        lap("analyze")
    lap("commit")
    return timings


def _refresh_chunk(bounds: tuple[int, int, dt.date]) -> int:
    """What actions.schedule_refresh stores, for the households of one id range: each household's
    history as queries.load_histories reads it, its county's policy, rules.next_due, and the same
    one-statement UPDATE. (schedule_refresh goes through rules.schedule, whose first step is
    next_due; the month progress and risk it also computes are not stored: for 20,000 households,
    3.1 s of rules.schedule against 0.3 s of rules.next_due, after 1.5 s of reading.)"""
    from beneficiaries.models import Household
    from visits import queries, rules

    low, high, today = bounds
    rows = queries.load_histories(Household.objects.filter(status="active", id__gte=low, id__lt=high), today)
    policies = queries.policies_for({queries.county_of(r.village_id) for r in rows.values()}, today)
    ids = list(rows)
    dues = [rules.next_due(rows[i].history, policies[queries.county_of(rows[i].village_id)], today) for i in ids]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            UPDATE beneficiaries_household AS h SET next_due_on = v.due
            FROM unnest(%s::bigint[], %s::date[]) AS v(id, due)
            WHERE h.id = v.id AND h.next_due_on IS DISTINCT FROM v.due
            """,
            [ids, dues],
        )
        return cur.rowcount


def refresh_due_dates(today: dt.date, *, chunk: int = 20_000, processes: int = 2) -> int:
    """Every active household's stored due date through the rules (as actions.schedule_refresh
    stores it, see _refresh_chunk), by id ranges of `chunk` households, in `processes` worker
    processes (forked: the parent's connection is closed first so none is shared)."""
    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM beneficiaries_household")
        low, high = cur.fetchone()
    connection.close()
    ranges = [(a, min(a + chunk, high + 1), today) for a in range(low, high + 1, chunk)]
    t = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        changed = sum(pool.imap_unordered(_refresh_chunk, ranges))
    print(f"  {'due dates of ' + format(changed, ',') + ' households (rules.next_due, ' + str(processes) + ' processes)':<72}"
          f"{time.perf_counter() - t:>7.1f}s")
    t = time.perf_counter()
    with connection.cursor() as cur:
        # Households were just rewritten by the UPDATE; pairings and cadres were not copied frozen.
        cur.execute("VACUUM (ANALYZE) beneficiaries_household, beneficiaries_pairing, beneficiaries_cadre")
    print(f"  {'vacuum households, pairings, cadres':<72}{time.perf_counter() - t:>7.1f}s")
    return changed
