"""The cases of bench/scale.py. Each returns [(operation, ours s, floor s or None, note)].

A floor is the plain SQL that returns the same rows as ours; before timing, the rows of both
are compared (the bench stops if they differ). Writes run in a transaction that is rolled back,
so every pair starts from the same database."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

from common import ROOT, fetch, median_pairs
from django.db import connection, transaction


class Rollback(Exception):
    pass


def rolled_back(fn):
    """Run fn inside a transaction that is rolled back; return what fn returned."""
    box = {}
    try:
        with transaction.atomic():
            box["value"] = fn()
            raise Rollback
    except Rollback:
        pass
    return box.get("value")


def same(name: str, ours, floor) -> None:
    if ours != floor:
        print(f"!! {name}: ours and floor differ ({len(ours)} vs {len(floor)} rows); first: "
              f"{sorted(ours)[:2]} vs {sorted(floor)[:2]}")
        raise SystemExit(1)


def _user(username):
    from accounts.models import User

    return User.objects.get(username=username)


# --- the daily job -------------------------------------------------------------------------------

# The floor of the daily job, in plain SQL: the same change detection (households classified,
# paired or paused since yesterday, or in a county whose visit policy takes effect), the same
# due-date refresh — the rules of visits.rules.next_due written as SQL: the base (last counted
# visit, else the clock start), one candidate from the tier held at the base and one per later tier
# change, each moved by the paused days up to it (a recursive CTE, repeated until stable; an
# open-ended pause means no due date), the earliest winning — then the job's steps, written below.
JOB_REFRESH_FLOOR = """
WITH RECURSIVE changed AS (
    SELECT household_id AS id FROM beneficiaries_classification WHERE decided_at >= %(since)s
    UNION SELECT household_id FROM beneficiaries_pairing WHERE started_on >= %(yesterday)s
    UNION SELECT household_id FROM visits_pause WHERE created_at >= %(since)s
    UNION SELECT h.id FROM beneficiaries_household h JOIN visits_visitpolicy vp
          ON left(h.village_id, 6) = left(vp.county_id, 6)
          WHERE vp.effective_on > %(today)s::date - 2 AND vp.effective_on <= %(today)s
), hh AS (
    SELECT h.id, h.village_id, h.tier, h.tier_since,
           (SELECT max(v.visited_on) FROM visits_visit v WHERE v.household_id = h.id AND v.counted
            AND v.visited_on <= %(today)s) AS last_visit,
           (SELECT min(pa.started_on) FROM beneficiaries_pairing pa WHERE pa.household_id = h.id) AS paired,
           (SELECT min(c.effective_on) FROM beneficiaries_classification c WHERE c.household_id = h.id) AS c_first
    FROM beneficiaries_household h WHERE h.id IN (SELECT id FROM changed) AND h.status = 'active'
), tiers AS (  -- tier history: the classifications, else the household's tier since tier_since
    SELECT c.household_id AS id, c.effective_on AS since, c.tier, c.id AS seq
    FROM beneficiaries_classification c JOIN hh ON hh.id = c.household_id
    UNION ALL
    SELECT hh.id, COALESCE(hh.tier_since, '-infinity'::date), hh.tier, 0 FROM hh
    WHERE hh.c_first IS NULL AND hh.tier <> ''
), based AS (
    SELECT hh.id, hh.village_id,
           COALESCE(hh.last_visit, CASE
               WHEN hh.paired IS NULL THEN c.confirmed WHEN c.confirmed IS NULL THEN hh.paired
               ELSE greatest(hh.paired, c.confirmed) END) AS base
    FROM hh CROSS JOIN LATERAL (
        SELECT COALESCE(hh.c_first, CASE WHEN hh.tier <> '' THEN COALESCE(hh.tier_since, '-infinity'::date) END)
               AS confirmed) c
), policy AS (
    SELECT b.id, d.tier, COALESCE(
        (SELECT vp.interval_days FROM visits_visitpolicy vp WHERE vp.county_id = rpad(left(b.village_id, 6), 12, '0')
         AND vp.tier = d.tier AND vp.effective_on <= %(today)s ORDER BY vp.effective_on DESC, vp.id DESC LIMIT 1),
        d.interval_days) AS interval_days
    FROM based b CROSS JOIN (VALUES ('A', 10), ('B', 15), ('C', 30)) AS d(tier, interval_days)
), held AS (  -- the tier held at the base
    SELECT DISTINCT ON (b.id) b.id, b.base, t.tier
    FROM based b JOIN tiers t ON t.id = b.id AND t.since <= b.base
    ORDER BY b.id, t.since DESC, t.seq DESC
), candidates AS (
    SELECT held.id, held.base AS start, pol.interval_days AS n
    FROM held JOIN policy pol ON pol.id = held.id AND pol.tier = held.tier
    UNION ALL
    SELECT b.id, t.since, pol.interval_days
    FROM based b JOIN tiers t ON t.id = b.id AND t.since > b.base
    JOIN policy pol ON pol.id = b.id AND pol.tier = t.tier
), shifted AS (
    SELECT id, start, n, start + n AS due, false AS settled, false AS open, 0 AS k FROM candidates
    UNION ALL
    SELECT s.id, s.start, s.n, s.start + s.n + x.paused, s.start + s.n + x.paused = s.due, x.open, s.k + 1
    FROM shifted s CROSS JOIN LATERAL (
        SELECT COALESCE(sum(least(p.ends_on, s.due) - greatest(p.starts_on, s.start + 1) + 1)
                        FILTER (WHERE p.ends_on IS NOT NULL AND least(p.ends_on, s.due) >= greatest(p.starts_on, s.start + 1)),
                        0)::int AS paused,
               COALESCE(bool_or(p.ends_on IS NULL AND p.starts_on <= s.due), false) AS open
        FROM visits_pause p WHERE p.household_id = s.id) x
    WHERE NOT s.settled AND NOT s.open AND s.k < 400
), due AS (
    SELECT hh.id, CASE WHEN bool_or(s.open) THEN NULL ELSE min(s.due) END AS due
    FROM hh LEFT JOIN shifted s ON s.id = hh.id AND (s.settled OR s.open)
    GROUP BY hh.id
)
UPDATE beneficiaries_household h SET next_due_on = due.due FROM due
WHERE h.id = due.id AND h.next_due_on IS DISTINCT FROM due.due
"""

NOTIFY_FLOOR = """
INSERT INTO accounts_notification (recipient_id, key, title, household_id, url, channels, delivered, created_at)
SELECT r.user_id, r.key, r.title, r.household_id, '', c.channels, '{}'::varchar[], now()
FROM unnest(%(users)s::bigint[], %(keys)s::text[], %(titles)s::text[], %(households)s::bigint[])
     AS r(user_id, key, title, household_id)
CROSS JOIN LATERAL (SELECT %(channels)s::varchar[] AS channels) c
ON CONFLICT (recipient_id, key) DO NOTHING
"""


# The job's other steps in plain SQL, written here (not the project's _CLOSE_STALE, _OPEN_ALERTS
# and _ESCALATE: their cost must show against something they do not share). The household's label
# in titles and summaries: head (or 无户主), the village's name, the code — the job's wording.
_LABEL = """concat_ws(' · ', coalesce((SELECT pe.name FROM beneficiaries_person pe WHERE pe.household_id = h.id
                                       AND pe.relation = 'head' ORDER BY pe.id LIMIT 1), '（无户主）'),
                     regexp_replace(regexp_replace(v.name, '(.)社区居民委员会$', '\\1社区'),
                                    '(.)(村民委员会|居民委员会|村委会)$', '\\1'), h.code)"""

CLOSE_STALE_FLOOR = """
WITH closed AS (
    UPDATE visits_overduealert a SET closed_on = %(today)s FROM beneficiaries_household h
    WHERE a.household_id = h.id AND a.closed_on IS NULL
      AND (h.status <> 'active' OR h.next_due_on IS DISTINCT FROM a.due_on)
    RETURNING a.id)
UPDATE visits_escalation e SET closed_on = %(today)s FROM closed WHERE e.alert_id = closed.id AND e.closed_on IS NULL
"""

OPEN_ALERTS_FLOOR = f"""
WITH new AS (
    INSERT INTO visits_overduealert (household_id, due_on, opened_on)
    SELECT id, next_due_on, %(today)s FROM beneficiaries_household WHERE status = 'active' AND next_due_on < %(today)s
    ON CONFLICT (household_id, due_on) DO NOTHING RETURNING id, household_id, due_on)
SELECT new.id, new.household_id, {_LABEL}, new.due_on, c.user_id
FROM new JOIN beneficiaries_household h ON h.id = new.household_id JOIN accounts_area v ON v.code = h.village_id
LEFT JOIN beneficiaries_pairing p ON p.household_id = h.id AND p.ended_on IS NULL
LEFT JOIN beneficiaries_cadre c ON c.id = p.cadre_id
"""

ESCALATE_FLOOR = f"""
WITH new AS (
    INSERT INTO visits_escalation (household_id, kind, level, area_id, alert_id, summary, opened_on)
    SELECT a.household_id, 'overdue', %(level)s, rpad(left(h.village_id, %(width)s), 12, '0'), a.id,
           {_LABEL} || '（' || a.due_on || '）', %(today)s
    FROM visits_overduealert a JOIN beneficiaries_household h ON h.id = a.household_id
    JOIN accounts_area v ON v.code = h.village_id
    WHERE a.closed_on IS NULL AND a.due_on <= %(cutoff)s
    ON CONFLICT (alert_id, level) DO NOTHING RETURNING id, household_id, area_id, summary)
SELECT new.id, new.household_id, new.summary, r.user_id
FROM new LEFT JOIN accounts_roleassignment r ON r.area_id = new.area_id AND r.role = %(level)s
"""


def _job_statements(today):
    """The daily job as plain SQL written here: change detection and due-date refresh
    (JOB_REFRESH_FLOOR), close stale, open alerts + notify the cadres, escalate to township (7
    days) and county (30 days) + notify them — the same rows and effects as
    visits.actions.overdue_alerts (compared before timing)."""
    from django.utils import timezone

    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=1), dt.time.min))
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(1)")
        cur.execute(JOB_REFRESH_FLOOR, {"today": today, "since": since, "yesterday": today - dt.timedelta(days=1)})
        cur.execute(CLOSE_STALE_FLOOR, {"today": today})
        cur.execute(OPEN_ALERTS_FLOOR, {"today": today})
        opened = [r for r in cur.fetchall() if r[4]]
        cur.execute(NOTIFY_FLOOR, {"users": [r[4] for r in opened], "keys": [f"overdue:{r[0]}" for r in opened],
                                   "titles": [f"逾期未走访：{r[2]}，应访日期 {r[3]}" for r in opened],
                                   "households": [r[1] for r in opened], "channels": []})
        for level, width, days in (("township", 9, 7), ("county", 6, 30)):
            cur.execute(ESCALATE_FLOOR, {"today": today, "level": level, "width": width,
                                         "cutoff": today - dt.timedelta(days=days)})
            escalated = [r for r in cur.fetchall() if r[3]]
            cur.execute(NOTIFY_FLOOR, {"users": [r[3] for r in escalated],
                                       "keys": [f"escalation:{r[0]}" for r in escalated],
                                       "titles": [r[2] for r in escalated], "households": [r[1] for r in escalated],
                                       "channels": ["wecom"]})
    return _alerts(today)


def _job_effects(today):
    """What a run of the job leaves behind, to compare ours with the floor: the alerts opened, the
    escalations, the number of notifications, and every stored due date (as one digest)."""
    return (
        _alerts(today),
        sorted(fetch("SELECT household_id, level FROM visits_escalation WHERE opened_on = %s", [today])),
        fetch("SELECT count(*) FROM accounts_notification WHERE created_at >= now() - interval '1 hour'"),
        fetch("SELECT md5(string_agg(id || ':' || COALESCE(next_due_on::text, '-'), ',' ORDER BY id)) "
              "FROM beneficiaries_household"),
    )


def _alerts(today):
    return sorted(fetch("SELECT household_id, due_on FROM visits_overduealert WHERE opened_on = %s", [today]))


def job(today, first):
    from visits import actions

    figures = []

    def ours():
        actions.overdue_alerts(today=today)
        return _alerts(today)

    def floor():
        return _job_statements(today)

    a = rolled_back(lambda: (ours(), _job_effects(today))[1])
    b = rolled_back(lambda: (floor(), _job_effects(today))[1])
    for name, x, y in zip(("alerts", "escalations", "notifications", "due dates"), a, b, strict=True):
        same(f"daily job: {name}", x, y)
    a = a[0]
    t_ours, t_floor = median_pairs(lambda: rolled_back(ours), lambda: rolled_back(floor))
    figures.append(("daily job, ordinary day", t_ours, t_floor, f"{len(a):,} alerts opened"))

    def first_of_month():
        run = actions.overdue_alerts(today=first)
        return run.shortfalls

    times, shortfalls = [], 0
    for _ in range(3):
        t = time.perf_counter()
        shortfalls = rolled_back(first_of_month)
        times.append(time.perf_counter() - t)
    times.sort()
    from visits import queries

    month = dt.date(first.year, first.month, 1) - dt.timedelta(days=1)
    t = time.perf_counter()
    queries.month_shortfalls(month.replace(day=1), month)
    t_short = time.perf_counter() - t
    figures.append(("daily job, 1st of the month (median of 3)", times[1], None,
                    f"{shortfalls:,} shortfall alerts; shortfall step alone {t_short * 1000:.0f} ms"))
    return figures


# --- pages ----------------------------------------------------------------------------------------


def desk_pair(user, today, town: str):
    """(ours, floor) of the desk of `user`, whose scope is the villages whose codes start with
    `town` (a LIKE pattern): desk_data, and plain SQL returning the same rows."""
    from django.utils import timezone

    from visits import queries

    summary_floor = f"""
        SELECT GROUPING(h.village_id, a.name), h.village_id, a.name, pc.cadre, count(*) AS n
        FROM beneficiaries_household h JOIN accounts_area a ON a.code = h.village_id
        CROSS JOIN LATERAL (
            SELECT COALESCE((SELECT c.name FROM beneficiaries_pairing p JOIN beneficiaries_cadre c ON c.id = p.cadre_id
                             WHERE p.household_id = h.id AND p.ended_on IS NULL
                             ORDER BY p.started_on DESC, p.id DESC LIMIT 1), '（未结对）') AS cadre) pc
        WHERE h.status = 'active' AND h.next_due_on < %(today)s AND h.village_id LIKE '{town}'
        GROUP BY GROUPING SETS ((h.village_id, a.name), (pc.cadre))
        ORDER BY 1, n DESC, h.village_id, pc.cadre"""
    escalated = """EXISTS (SELECT 1 FROM visits_escalation e WHERE e.household_id = h.id AND e.closed_on IS NULL
                           AND e.kind = 'overdue' AND e.level = '{0}')"""
    page_floor = f"""
        SELECT h.id, h.code, h.next_due_on, h.village_id, a.name, t.code, t.name,
               (SELECT pe.name FROM beneficiaries_person pe WHERE pe.household_id = h.id AND pe.relation = 'head'
                ORDER BY pe.id LIMIT 1), pc.name, pc.phone,
               CASE WHEN {escalated.format("county")} THEN 2 WHEN {escalated.format("township")} THEN 1 ELSE 0 END
        FROM (SELECT id, code, next_due_on, village_id FROM beneficiaries_household
              WHERE status = 'active' AND next_due_on < %(today)s AND village_id LIKE '{town}'
              ORDER BY left(village_id, 9), next_due_on, code LIMIT 100) h
        JOIN accounts_area a ON a.code = h.village_id LEFT JOIN accounts_area t ON t.code = a.parent_id
        LEFT JOIN LATERAL (SELECT c.name, c.phone FROM beneficiaries_pairing p JOIN beneficiaries_cadre c ON c.id = p.cadre_id
                           WHERE p.household_id = h.id AND p.ended_on IS NULL
                           ORDER BY p.started_on DESC, p.id DESC LIMIT 1) pc ON true
        ORDER BY left(h.village_id, 9), h.next_due_on, h.code"""
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=queries.CONFLICT_DESK_DAYS), dt.time.min))
    lists = [
        f"""SELECT e.id, e.*, h.*, a.*, f.* FROM visits_escalation e
            JOIN beneficiaries_household h ON h.id = e.household_id JOIN accounts_area a ON a.code = h.village_id
            LEFT JOIN visits_finding f ON f.id = e.finding_id
            WHERE e.closed_on IS NULL AND e.area_id LIKE '{town}' AND e.kind = 'special'
            ORDER BY e.opened_on DESC, e.id DESC LIMIT 200""",
        """SELECT key FROM accounts_notification WHERE recipient_id = %(user)s AND read_at IS NULL
            AND key LIKE 'escalation:%%' ORDER BY created_at DESC, id DESC""",
        f"""SELECT code, * FROM accounts_area WHERE code LIKE '{town}' AND level IN ('county', 'township') ORDER BY code""",
        f"""SELECT v.id, v.*, h.*, a.* FROM visits_visit v
            JOIN beneficiaries_household h ON h.id = v.household_id JOIN accounts_area a ON a.code = h.village_id
            WHERE v.conflict <> '' AND v.recorded_at >= %(since)s AND h.village_id LIKE '{town}'
            ORDER BY v.recorded_at DESC, v.id DESC LIMIT 200""",
        f"""SELECT f.id, f.*, h.*, a.*, u.* FROM visits_finding f
            JOIN beneficiaries_household h ON h.id = f.household_id JOIN accounts_area a ON a.code = h.village_id
            JOIN accounts_user u ON u.id = f.owner_id
            WHERE f.status <> 'closed' AND h.village_id LIKE '{town}' ORDER BY f.due_on, f.id LIMIT 300""",
    ]
    from visits.desk_views import desk_data

    def desk():
        d = desk_data(user, today)
        return ([(r["village_id"], r["village__name"], r["n"]) for r in d["desk"].overdue_by_village],
                [(r["cadre"], r["n"]) for r in d["desk"].overdue_by_cadre], d["page"].paginator.count,
                [(h.pk, h.cadre_name, h.escalation) for g in d["groups"] for h in g.households],
                [g.code for g in d["groups"]],
                [[e.id for e in d["escalations"]], sorted(f"escalation:{e.id}" for e in d["escalations"] if e.unread),
                 [a.code for a in d["areas"]], [v.id for v in d["conflicts"]], [f.id for f in d["findings"]]])

    def desk_floor():
        params = {"today": today, "user": user.id, "since": since}
        summary = fetch(summary_floor, params)
        rows = fetch(page_floor, params)
        escalations = fetch(lists[0], params)
        keys = fetch(lists[1], params) if escalations else []
        areas, conflicts, findings = (fetch(sql, params) for sql in lists[2:])
        escalation_keys = {f"escalation:{r[0]}" for r in escalations}
        return ([(v, name, n) for by_cadre, v, name, _c, n in summary if not by_cadre],
                [(c, n) for by_cadre, _v, _name, c, n in summary if by_cadre],
                sum(n for by_cadre, *_x, n in summary if not by_cadre),
                [(r[0], r[8], r[10]) for r in rows], sorted({r[5] for r in rows}),
                [[r[0] for r in escalations], sorted(k for (k,) in keys if k in escalation_keys),
                 [r[0] for r in areas], [r[0] for r in conflicts], [r[0] for r in findings]])

    return desk, desk_floor


def mine_pair(cadre, today):
    """(ours, floor) of the cadre list 我的结对户 of `cadre`."""
    from visits import queries

    cadre_floor = f"""
        SELECT h.id, h.next_due_on,
               (SELECT max(v.visited_on) FROM visits_visit v WHERE v.household_id = h.id AND v.counted
                AND v.visited_on <= %(on)s),
               CASE WHEN m.minimum IS NULL THEN 0 ELSE
               (SELECT count(DISTINCT v.visited_on) FROM visits_visit v WHERE v.household_id = h.id AND v.counted
                AND v.visited_on BETWEEN %(first)s AND %(on)s) END,
               COALESCE(m.minimum, 0), a.name,
               (SELECT pe.name FROM beneficiaries_person pe WHERE pe.household_id = h.id AND pe.relation = 'head'
                ORDER BY pe.id LIMIT 1)
        FROM beneficiaries_household h JOIN accounts_area a ON a.code = h.village_id
        {MONTH_MINIMUM_FLOOR}
        WHERE h.status = 'active' AND h.id IN (
            SELECT p.household_id FROM beneficiaries_pairing p JOIN beneficiaries_cadre c ON c.id = p.cadre_id
            WHERE c.user_id = %(user)s AND p.ended_on IS NULL
            UNION
            SELECT h2.id FROM beneficiaries_household h2 JOIN beneficiaries_cadre c2 ON c2.agency_id = h2.agency_id
            WHERE c2.user_id = %(user)s)
        ORDER BY h.next_due_on NULLS LAST, h.code"""

    def mine():
        return [(r.household.pk, r.household.next_due_on, r.schedule.last_counted,
                 r.schedule.month.counted if r.schedule.month else 0,
                 r.schedule.month.minimum if r.schedule.month else 0, r.household.village_name, r.household.head_name)
                for r in queries.my_households(cadre, today)]

    def mine_floor():
        return [tuple(r) for r in fetch(cadre_floor, {**_month_floor_params(today), "user": cadre.id})]

    return mine, mine_floor


def pages(today, first):
    figures = []
    township = _user("bench_township")
    # The desk page's data (visits.desk_views.desk_data: everything the template shows but the
    # ledger form), against plain SQL returning the same rows, with the same joins, columns, order
    # and limits: the two groupings in one statement (GROUPING SETS, as ours), the first page of
    # overdue households with their villages and townships (the count is the groupings' sum, as
    # ours), the special reports and, if any, their unread notifications, the areas to download,
    # conflicts and findings.
    desk, desk_floor = desk_pair(township, today, "522634101%%")
    same("desk", desk(), desk_floor())
    t_ours, t_floor = median_pairs(desk, desk_floor)
    figures.append(("township desk page (西江镇, ~3,000 households)", t_ours, t_floor,
                    f"{desk()[2]:,} overdue, first page of 100"))

    mine, mine_floor = mine_pair(_user("bench_cadre"), today)
    same("cadre list", mine(), mine_floor())
    t_ours, t_floor = median_pairs(mine, mine_floor)
    figures.append(("cadre list (30 households, with month progress)", t_ours, t_floor, f"{len(mine())} rows"))
    return figures


# --- dashboards: computed live vs the nightly job's figures (issue 25) ------------------------------


def dashboards(today, first):
    """Each dashboard (township, county, prefecture) as a request, first with no stored figures
    (every panel computed on the view), then after the nightly job (timed) has stored them. The
    panels' cells are checked equal both ways before anything is timed."""
    import as_request

    from oversight import figures as dashboard_figures
    from oversight.dashboards import Dashboard
    from oversight.models import DailyFigure, MonthlyCompliance

    out = []
    users = {level: _user(f"bench_{level}") for level in ("township", "county", "prefecture")}
    clients = {level: as_request.client_for(user) for level, user in users.items()}
    codes = {level: users[level].roles.first().area_id for level in users}
    with as_request.on_day(today):
        from accounts.models import Area

        def cells(code):
            board = Dashboard(Area.objects.get(code=code), today)
            return [[(c.value, c.url, c.note) for c in row] for p in board.panels() for row in [*p.rows, p.footer]]

        MonthlyCompliance.objects.all().delete()
        DailyFigure.objects.all().delete()
        live_cells = {level: cells(code) for level, code in codes.items()}
        for level, code in codes.items():
            t_req, _x = median_pairs(lambda level=level, code=code: as_request.body(
                clients[level], f"/oversight/dashboard/{code}/"), lambda: None, pairs=1)
            out.append((f"dashboard, {level}, computed live", t_req, None, "no stored figures"))
        for label, refresh, what in (("closed months", dashboard_figures.refresh_monthly, "area × month × tier"),
                                     ("the day's", dashboard_figures.refresh_daily, "village × figure")):
            t = time.perf_counter()
            stored = refresh(today)
            out.append((f"nightly: dashboards' {label} figures", time.perf_counter() - t, None, f"{stored:,} rows ({what})"))
        for level, code in codes.items():
            if cells(code) != live_cells[level]:
                raise SystemExit(f"!! dashboard {level}: the stored figures differ from the live ones")
            t_req, _x = median_pairs(lambda level=level, code=code: as_request.body(
                clients[level], f"/oversight/dashboard/{code}/"), lambda: None, pairs=3)
            out.append((f"dashboard, {level}, nightly figures", t_req, None, "median of 3"))
    return out


# --- as requests (issue 25) -------------------------------------------------------------------------


def page_requests(today, first):
    """Each page as a request through the whole stack (bench/lib/as_request.py), as
    the user who opens it, beside the same floor as its function (rows checked against the page:
    every household of the floor's page is linked from it). The function's own time is given in
    the note. Then the household page and the visit form (GET and POST) of the cadre's first
    household, each beside plain SQL reading (and writing) the same rows: household_requests."""
    import as_request

    figures = []
    users = {level: _user(f"bench_{level}") for level in ("cadre", "township", "county", "prefecture")}
    clients = {level: as_request.client_for(user) for level, user in users.items()}
    with as_request.on_day(today):
        for level, town in (("township", "522634101%%"), ("county", "522634%%"), ("prefecture", "5226%%")):
            desk, desk_floor = desk_pair(users[level], today, town)
            rows = desk_floor()
            same(f"desk {level}", desk(), rows)
            client = clients[level]

            def page(client=client):
                return as_request.body(client, "/visits/desk/")

            html = page().decode()
            missing = [pk for pk, *_rest in rows[3] if f"/households/{pk}/" not in html]
            if missing:
                raise SystemExit(f"!! desk {level}: {len(missing)} households of the floor's page not on the page")
            t_fn, _f = median_pairs(desk, desk_floor)
            t_req, t_floor = median_pairs(page, desk_floor, pairs=9)
            figures.append((f"desk, {level}, as a request", t_req, t_floor,
                            f"function {t_fn * 1000:.1f} ms; {rows[2]:,} overdue"))

        mine, mine_floor = mine_pair(users["cadre"], today)
        rows = mine_floor()
        same("cadre list", mine(), rows)

        def mine_page():
            return as_request.body(clients["cadre"], "/visits/mine/")

        html = mine_page().decode()
        if any(f"/households/{r[0]}/" not in html for r in rows):
            raise SystemExit("!! cadre list: a household of the floor is not on the page")
        t_fn, _f = median_pairs(mine, mine_floor)
        t_req, t_floor = median_pairs(mine_page, mine_floor, pairs=9)
        figures.append(("cadre list 我的结对户, as a request", t_req, t_floor, f"function {t_fn * 1000:.1f} ms; {len(rows)} rows"))

        household = rows[0][0]
        figures += household_requests(clients["cadre"], users["cadre"], household, today)
    return figures


# The household page (visits/households/<pk>/) in plain SQL: the household with its village and
# head, the schedule's inputs (counted visit dates, classifications, pauses, the county's policy),
# the view's audit row, the timeline's count and first page of 20 visits with their photos, the
# open findings and the pauses listed.
HOUSEHOLD_PAGE_FLOOR = [
    """SELECT h.*, a.name, (SELECT pe.name FROM beneficiaries_person pe WHERE pe.household_id = h.id
              AND pe.relation = 'head' ORDER BY pe.id LIMIT 1)
       FROM beneficiaries_household h JOIN accounts_area a ON a.code = h.village_id WHERE h.id = %(h)s""",
    "SELECT visited_on FROM visits_visit WHERE household_id = %(h)s AND counted",
    "SELECT tier, effective_on, id FROM beneficiaries_classification WHERE household_id = %(h)s",
    "SELECT starts_on, ends_on FROM visits_pause WHERE household_id = %(h)s",
    """SELECT DISTINCT ON (tier) tier, interval_days, monthly_minimum FROM visits_visitpolicy
       WHERE county_id = (SELECT rpad(left(village_id, 6), 12, '0') FROM beneficiaries_household WHERE id = %(h)s)
       AND effective_on <= %(on)s ORDER BY tier, effective_on DESC, id DESC""",
    """INSERT INTO accounts_auditevent (actor_id, action, object_type, object_id, object_repr, at, ip, details)
       VALUES (%(user)s, 'view', 'beneficiaries.household', %(h)s::text, '', now(), '127.0.0.1', '{}')""",
    "SELECT count(*) FROM visits_visit WHERE household_id = %(h)s",
    """SELECT v.*, u.real_name FROM visits_visit v LEFT JOIN accounts_user u ON u.id = v.visitor_id
       WHERE v.household_id = %(h)s ORDER BY v.visited_on DESC, v.id DESC LIMIT 20""",
    """SELECT p.* FROM visits_visitphoto p WHERE p.visit_id IN (SELECT id FROM visits_visit WHERE household_id = %(h)s
       ORDER BY visited_on DESC, id DESC LIMIT 20)""",
    "SELECT f.* FROM visits_finding f WHERE f.household_id = %(h)s AND f.status <> 'closed' ORDER BY f.due_on, f.id",
    "SELECT p.* FROM visits_pause p WHERE p.household_id = %(h)s ORDER BY p.starts_on DESC",
]

# The visit form (GET) in plain SQL: the household with village and head, the running campaigns'
# rows of the household, the last visit, whether a special period covers the village today, the
# open findings.
VISIT_FORM_FLOOR = [
    HOUSEHOLD_PAGE_FLOOR[0],
    """SELECT ch.* FROM campaigns_campaignhousehold ch JOIN campaigns_campaign c ON c.id = ch.campaign_id
       WHERE ch.household_id = %(h)s AND c.starts_on <= %(on)s AND c.ends_on >= %(on)s""",
    "SELECT v.* FROM visits_visit v WHERE v.household_id = %(h)s ORDER BY v.visited_on DESC, v.id DESC LIMIT 1",
    """SELECT 1 FROM visits_specialperiod sp WHERE sp.area_id IN (SELECT a.code FROM accounts_area a
       WHERE (SELECT village_id FROM beneficiaries_household WHERE id = %(h)s) LIKE rtrim(a.code, '0') || '%%')
       AND sp.starts_on <= %(on)s AND sp.ends_on >= %(on)s LIMIT 1""",
    HOUSEHOLD_PAGE_FLOOR[9],
]

# The visit form's POST in plain SQL: the visit inserted (every core item answered), the
# household's stored due date moved on by its tier's interval, the audit row — in a transaction
# rolled back, as ours is.
VISIT_POST_FLOOR = [
    """INSERT INTO visits_visit (visited_on, mode, counted, visitor_name, met_with, health, health_note, food, clothing,
           housing, transport, medical, living_note, benefits, family_support, house_safety, water_safety, power_safety,
           gas_safety, heating_safety, needs, wishes, notes, late_reason, source, recorded_at, household_id,
           recorded_by_id, visitor_id, conflict, geo_status, hazards_fixed, wishes_not_asked)
       VALUES (%(on)s, 'in_person', true, %(name)s, '', 'good', '', 'ok', 'ok', 'ok', 'ok', 'ok', '', '{dibao}',
               'fulfilled', 'safe', 'safe', 'safe', 'none', 'safe', '{none}', '希望干部常来看看', '', '', 'web', now(),
               %(h)s, %(user)s, %(user)s, '', '', '{}', false) RETURNING id""",
    """UPDATE beneficiaries_household SET next_due_on = %(on)s::date + CASE tier WHEN 'A' THEN 10 WHEN 'B' THEN 15
       ELSE 30 END WHERE id = %(h)s""",
    """INSERT INTO accounts_auditevent (actor_id, action, object_type, object_id, object_repr, at, ip, details)
       VALUES (%(user)s, 'create', 'visits.visit', '0', '', now(), '127.0.0.1', '{}')""",
]

VISIT_ANSWERS = {  # the visit form's POST: every core checklist item answered (as tests/visits/factories.py)
    "health": "good", "food": "ok", "clothing": "ok", "housing": "ok", "transport": "ok", "medical": "ok",
    "benefits": ["dibao"], "family_support": "fulfilled", "house_safety": "safe", "water_safety": "safe",
    "power_safety": "safe", "gas_safety": "none", "heating_safety": "safe", "needs": ["none"],
    "wishes": "希望干部常来看看", "mode": "in_person",
}


def _run_all(statements, params):
    with connection.cursor() as cur:
        out = []
        for sql in statements:
            cur.execute(sql, params)
            out.append(cur.fetchall() if cur.description else cur.rowcount)
        return out


def household_requests(client, user, household: int, today):
    """The household page, the visit form GET and its POST as the cadre, each beside its floor
    (the statements above). Checked first: the page shows the floor's 20 visits' dates and the
    household's code; the form names the household; the POST answers with its redirect and leaves
    one more visit (rolled back, like the floor)."""
    import as_request

    from beneficiaries.models import Household
    from visits.models import Visit

    figures = []
    params = {"h": household, "on": today, "user": user.pk, "name": user.real_name or user.username}
    code = Household.objects.get(pk=household).code
    url = f"/visits/households/{household}/"

    def page():
        return as_request.body(client, url)

    def page_floor():
        return rolled_back(lambda: _run_all(HOUSEHOLD_PAGE_FLOOR, params))  # the audit row, as ours, not kept

    html, floor_rows = page().decode(), page_floor()
    visits = floor_rows[7]
    if code not in html or any(v[1].isoformat() not in html for v in visits):
        raise SystemExit("!! household page: the floor's visits are not on the page")
    t_req, t_floor = median_pairs(page, page_floor, pairs=9)
    figures.append(("household visits page, cadre, as a request", t_req, t_floor,
                    f"{len(visits)} of {floor_rows[6][0][0]:,} visits"))

    form_url = f"/visits/households/{household}/record/"

    def form():
        return as_request.body(client, form_url)

    def form_floor():
        return _run_all(VISIT_FORM_FLOOR, params)

    if code not in form().decode():
        raise SystemExit("!! visit form: the household is not on the form")
    t_req, t_floor = median_pairs(form, form_floor, pairs=9)
    figures.append(("visit form GET, cadre, as a request", t_req, t_floor, "the household, its last visit, findings"))

    def post():
        response = client.post(form_url, {**VISIT_ANSWERS, "visited_on": today.isoformat()})
        if response.status_code != 302:
            raise SystemExit(f"!! visit form POST: HTTP {response.status_code}")
        return Visit.objects.filter(household_id=household).count()

    def post_floor():
        _run_all(VISIT_POST_FLOOR, params)
        return Visit.objects.filter(household_id=household).count()

    before = Visit.objects.filter(household_id=household).count()
    same("visit form POST", [rolled_back(post)], [rolled_back(post_floor)])
    if rolled_back(post) != before + 1:
        raise SystemExit("!! visit form POST: no visit recorded")
    t_req, t_floor = median_pairs(lambda: rolled_back(post), lambda: rolled_back(post_floor), pairs=9)
    figures.append(("visit form POST, cadre, as a request", t_req, t_floor, "one visit; rolled back, as the floor"))
    return figures


def requests(today, first):
    """page_requests (the pages), then the downloads, the nightly figures and the dashboards as
    requests (bench/lib/as_request.py): the CSV has the floor's rows; downloads are timed to the
    first byte, or to the answer that sends a big one to a background job (the job itself is
    timed apart)."""
    import as_request

    from imports import exports as export_jobs
    from imports import tasks as import_tasks

    figures = page_requests(today, first)
    users = {level: _user(f"bench_{level}") for level in ("cadre", "township", "county", "prefecture")}
    clients = {level: as_request.client_for(user) for level, user in users.items()}
    with as_request.on_day(today):
        for label, prefix, level, area in (("county", "522634", "county", "522634000000"),
                                           ("prefecture", "5226", "prefecture", "")):
            params = {**_month_floor_params(today), "prefix": prefix + "%"}

            def floor(params=params):
                return fetch(REPORT_FLOOR, params)

            def csv(level=level, area=area):
                return as_request.body(clients[level], "/visits/report/overdue.csv", **({"area": area} if area else {}))

            lines = csv().decode("utf-8-sig").strip().splitlines()
            n = len(floor())
            if len(lines) - 1 != n:
                raise SystemExit(f"!! overdue report {label}: {len(lines) - 1} CSV rows, floor {n}")
            t_req, t_floor = median_pairs(csv, floor)
            figures.append((f"overdue report CSV, {label}, as a request", t_req, t_floor, f"{n:,} rows"))

        from oversight import figures as dashboard_figures

        t = time.perf_counter()
        stored = dashboard_figures.refresh_monthly(today)  # what the nightly job does before the day's views
        figures.append(("nightly: dashboards' closed-month figures", time.perf_counter() - t, None,
                        f"{stored:,} rows (area × month × tier)"))
        t = time.perf_counter()
        stored = dashboard_figures.refresh_daily(today)  # and this month's compliance and overdue per village
        figures.append(("nightly: dashboards' figures of the day", time.perf_counter() - t, None,
                        f"{stored:,} rows (village × figure)"))
        for level in ("township", "county", "prefecture"):
            code = users[level].roles.first().area_id
            t_req, _x = median_pairs(lambda level=level, code=code: as_request.body(
                clients[level], f"/oversight/dashboard/{code}/"), lambda: None, pairs=3)
            figures.append((f"dashboard, {level}, as a request", t_req, None, "no floor yet"))

        queued = []
        real_delay = import_tasks.export_job.delay
        import_tasks.export_job.delay = queued.append  # the bench times the job apart, below
        try:
            for level in ("county", "prefecture"):
                for fmt in ("csv", "xlsx"):
                    t, status = as_request.first_byte(clients[level], "/roster/export/", format=fmt)
                    note = "first byte" if status == 200 else f"HTTP {status}: job link"
                    if queued:
                        job_id = queued.pop()
                        t_job = time.perf_counter()
                        job = export_jobs.run(job_id)
                        note += f"; job wrote {job.rows:,} rows in {time.perf_counter() - t_job:.1f}s"
                        export_jobs.file_path(job).unlink(missing_ok=True)
                    figures.append((f"roster {fmt}, {level}, first byte", t, None, note))
        finally:
            import_tasks.export_job.delay = real_delay
    return figures


# --- reports ----------------------------------------------------------------------------------------

# This month's pro-rated minimum (本月最低走访次数) in plain SQL, for the floors: the tier held on
# %(on)s (latest classification in force, else the household's tier since tier_since), the days of
# the month from the clock start (first pairing, first confirmation) that no pause covers, and the
# minimum of that tier (the county's latest visit policy in force, else the default) pro-rated:
# ceil(minimum × active days ÷ days in month). NULL without a tier.
MONTH_MINIMUM_FLOOR = """
    CROSS JOIN LATERAL (
        SELECT CASE WHEN EXISTS (SELECT 1 FROM beneficiaries_classification c WHERE c.household_id = h.id)
                    THEN (SELECT c.tier FROM beneficiaries_classification c WHERE c.household_id = h.id
                          AND c.effective_on <= %(on)s ORDER BY c.effective_on DESC, c.id DESC LIMIT 1)
                    WHEN h.tier <> '' AND (h.tier_since IS NULL OR h.tier_since <= %(on)s) THEN h.tier END AS tier,
               greatest(%(first)s::date,
                        (SELECT min(pa.started_on) FROM beneficiaries_pairing pa WHERE pa.household_id = h.id),
                        COALESCE((SELECT min(c.effective_on) FROM beneficiaries_classification c
                                  WHERE c.household_id = h.id),
                                 CASE WHEN h.tier <> '' THEN COALESCE(h.tier_since, '-infinity'::date) END)) AS lo
        OFFSET 0  -- evaluated once per household, not inlined where mt.lo is used
    ) mt
    CROSS JOIN LATERAL (  -- day by day only when a pause touches the month
        SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM visits_pause ps WHERE ps.household_id = h.id
                                     AND ps.starts_on <= %(last)s AND (ps.ends_on IS NULL OR ps.ends_on >= mt.lo))
                    THEN greatest(0, %(last)s::date - mt.lo + 1)
                    ELSE (SELECT count(*) FROM generate_series(0, 30) AS g(i)
                          WHERE mt.lo + g.i <= %(last)s::date
                            AND NOT EXISTS (SELECT 1 FROM visits_pause ps WHERE ps.household_id = h.id
                                            AND ps.starts_on <= mt.lo + g.i
                                            AND (ps.ends_on IS NULL OR ps.ends_on >= mt.lo + g.i))) END AS active
        OFFSET 0
    ) ma
    CROSS JOIN LATERAL (
        SELECT (COALESCE((SELECT vp.monthly_minimum FROM visits_visitpolicy vp
                          WHERE vp.county_id = rpad(left(h.village_id, 6), 12, '0') AND vp.tier = mt.tier
                            AND vp.effective_on <= %(on)s ORDER BY vp.effective_on DESC, vp.id DESC LIMIT 1),
                         CASE mt.tier WHEN 'A' THEN 3 WHEN 'B' THEN 2 WHEN 'C' THEN 1 END)
                * ma.active + %(days)s - 1) / %(days)s AS minimum
    ) m"""


def _month_floor_params(on):
    first = on.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return {"on": on, "first": first, "last": last, "days": last.day}


REPORT_FLOOR = f"""
    SELECT h.code, h.village_id,
           COALESCE((SELECT p.name FROM beneficiaries_person p WHERE p.household_id = h.id AND p.relation = 'head'
                     LIMIT 1), ''),
           COALESCE(mt.tier, h.tier),
           COALESCE((SELECT c.name FROM beneficiaries_pairing pa JOIN beneficiaries_cadre c ON c.id = pa.cadre_id
                     WHERE pa.household_id = h.id AND pa.started_on <= %(on)s
                       AND (pa.ended_on IS NULL OR pa.ended_on > %(on)s) ORDER BY pa.started_on DESC LIMIT 1), ''),
           COALESCE((SELECT max(v.visited_on)::text FROM visits_visit v WHERE v.household_id = h.id AND v.counted
                     AND v.visited_on <= %(on)s), ''),
           h.next_due_on::text, %(on)s::date - h.next_due_on,
           CASE WHEN m.minimum IS NULL THEN 0 ELSE
           (SELECT count(DISTINCT v.visited_on) FROM visits_visit v WHERE v.household_id = h.id AND v.counted
            AND v.visited_on BETWEEN %(first)s AND %(on)s) END,
           COALESCE(m.minimum, 0)
    FROM beneficiaries_household h
    {MONTH_MINIMUM_FLOOR}
    WHERE h.status = 'active' AND h.next_due_on < %(on)s AND h.village_id LIKE %(prefix)s
    ORDER BY h.village_id, h.code"""


def reports(today, first):
    from beneficiaries.models import Household
    from visits import queries

    figures = []
    for label, prefix in (("one county (雷山县)", "522634"), ("prefecture", "5226")):
        households = Household.objects.filter(village__code__startswith=prefix)

        def ours(households=households):
            return [tuple(r) for r in queries.overdue_report_rows(households, today, today=today)]

        def floor(prefix=prefix):
            # Every column, the pro-rated minimum included (MONTH_MINIMUM_FLOOR).
            return [tuple(r) for r in fetch(REPORT_FLOOR, {**_month_floor_params(today), "prefix": prefix + "%"})]

        a, b = ours(), floor()
        same(f"report {label}", [tuple(map(str, r)) for r in a], [tuple(map(str, r)) for r in b])
        t_ours, t_floor = median_pairs(ours, floor)
        figures.append((f"overdue report today, {label}", t_ours, t_floor, f"{len(a):,} rows"))
    past = today - dt.timedelta(days=10)
    for label, prefix in (("one county (雷山县)", "522634"), ("prefecture", "5226")):
        households = Household.objects.filter(village__code__startswith=prefix)
        times = []
        for _ in range(3):
            t = time.perf_counter()
            n = len(queries.overdue_report_rows(households, past, today=today))
            times.append(time.perf_counter() - t)
        figures.append((f"overdue report {past} (past), {label}", sorted(times)[1], None,
                        f"{n:,} rows, rules over per-tier candidates"))
    return figures


# --- imports ----------------------------------------------------------------------------------------


def _roster_csv(rows: int) -> bytes:
    from accounts import sheets
    from accounts.models import Area
    from beneficiaries import idnumber, roster_io

    villages = list(Area.objects.filter(level="village", code__startswith="522634").values_list("code", flat=True))
    out = []
    for n in range(rows):
        hh = n // 2
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=n // 400)
        seq = (n % 400) * 2 + (1 if n % 2 == 0 else 0)
        number = idnumber.make(f"522634{birth:%Y%m%d}{seq:03d}")
        row = dict.fromkeys(roster_io.HEADERS, "")
        row.update({"户编号": f"IM{hh:07d}", "村级区划代码": villages[hh % len(villages)], "姓名": f"导入{n}",
                    "身份证号": number, "与户主关系": "户主" if n % 2 == 0 else "子女",
                    "保障类别": "低保" if hh % 3 == 0 else "", "联系电话": "13900000000"})
        if n % 2 == 0 and hh % 4 == 0:
            row.update({"结对干部姓名": f"导入干部{hh % 500}", "结对干部电话": f"1380000{hh % 500:04d}",
                        "结对干部类型": "驻村干部", "结对关系": "就近"})
        out.append([row[h] for h in roster_io.HEADERS])
    return sheets.csv_bytes(roster_io.HEADERS, out)


def _ledger_csv(rows: int) -> bytes:
    from accounts import sheets
    from visits.imports import HEADERS

    codes = [c for (c,) in fetch("SELECT code FROM beneficiaries_household WHERE code LIKE 'BH%%' ORDER BY id")]
    out = []
    for n in range(rows):
        day = dt.date(2026, 5, 1) + dt.timedelta(days=n % 45)
        out.append([codes[n % len(codes)], day.isoformat(), "入户" if n % 5 else "电话", f"导入员{n // len(codes)}", ""])
    return sheets.csv_bytes(HEADERS, out)


def imports(today, first):
    from beneficiaries import roster_io
    from visits import imports as visit_imports

    figures = []
    rows = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
    county = _user("bench_county")
    content = _roster_csv(rows)
    t = time.perf_counter()
    checked = roster_io.roster_parse(actor=county, content=content, filename="r.csv", today=today)
    t_check = time.perf_counter() - t
    assert checked.ok, checked.errors[:3]

    def commit():
        result = roster_io.roster_import(actor=county, content=content, filename="r.csv", today=today)
        assert result.ok, result.errors[:3]
        return result

    t = time.perf_counter()
    rolled_back(commit)
    t_all = time.perf_counter() - t
    figures.append((f"roster import, {rows:,} rows (check + commit)", t_all, None,
                    f"{rows / t_all:,.0f} rows/s end to end; check alone {rows / t_check:,.0f} rows/s"))

    prefecture = _user("bench_prefecture")
    ledger = _ledger_csv(rows)

    def visits_commit():
        result = visit_imports.visits_import(actor=prefecture, name="l.csv", content=ledger, dry_run=False,
                                             today=today)
        assert result.ok, result.errors[:3]
        return result.created

    t = time.perf_counter()
    created = rolled_back(visits_commit)
    t_all = time.perf_counter() - t
    figures.append((f"visit-ledger import, {rows:,} rows (check + commit)", t_all, None,
                    f"{rows / t_all:,.0f} rows/s end to end; {created:,} created"))
    return figures


# --- exports: peak memory, each in a child process ------------------------------------------------

CHILD = r"""
import os, resource, sys, time, json
sys.path.insert(0, {root!r})
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
from accounts.models import User
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
client = Client()
user = User.objects.get(username={user!r})
client.force_login(user)
# The session has passed the second factor (officials need it to sign in and to export).
device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or \
    TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
session = client.session
session[DEVICE_ID_SESSION_KEY] = device.persistent_id
session.save()
client.get("/")  # warm up: templates, middleware, connection


def vm(name):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(name + ":"))


# ru_maxrss survives exec on Linux: a child of a bench that has just held a 100,000-row import
# would start with the parent's peak. Reset the peak (VmHWM) and read it instead.
try:
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    idle, peak_of = vm("VmRSS"), lambda: vm("VmHWM")
except OSError:
    idle, peak_of = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, \
        lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
response = client.get({url!r})
size = 0
for chunk in (response.streaming_content if response.streaming else [response.content]):
    size += len(chunk)
took = time.perf_counter() - t
peak = peak_of()
print(json.dumps({{"status": response.status_code, "streaming": response.streaming, "bytes": size,
                  "seconds": took, "idle_mb": idle / 1024, "peak_mb": peak / 1024}}))
"""


def exports(today, first):
    figures = []
    cases = [
        ("roster csv, prefecture", "bench_prefecture", "/roster/export/?format=csv"),
        ("roster xlsx, prefecture", "bench_prefecture", "/roster/export/"),
        ("pairings csv, prefecture", "bench_prefecture", "/roster/export/pairings/?format=csv"),
        ("visit ledger xlsx, 雷山县, June", "bench_prefecture", "/visits/ledger.xlsx?area=522634000000&month=2026-06"),
        ("overdue report csv, prefecture", "bench_prefecture", f"/visits/report/overdue.csv?date={today}"),
    ]
    for name, user, url in cases:
        code = CHILD.format(root=str(ROOT), user=user, url=url)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ)
        line = (out.stdout.strip().splitlines() or ["{}"])[-1]
        try:
            r = json.loads(line)
        except ValueError:
            print(out.stderr[-2000:])
            raise
        figures.append((f"export: {name}", r["seconds"], None,
                        f"HTTP {r['status']}, streamed={r['streaming']}, {r['bytes'] / 1e6:,.1f} MB; peak RSS "
                        f"+{r['peak_mb'] - r['idle_mb']:,.0f} MB over idle {r['idle_mb']:,.0f} MB"))
    return figures

