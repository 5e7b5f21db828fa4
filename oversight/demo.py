"""Demo data across the whole prefecture for `manage.py seed_demo`, so the dashboards compare
sixteen counties with real differences.

The roster's own demo step fills 雷山县 in detail; this step adds a few hundred households to
each of the other fifteen counties — people, tiers, cadres, pairings, a year of visits at a
diligence that differs by county and by cadre (some cadres stopped visiting weeks ago), findings
in every state and age, referrals to the departments (on time, late, escalated), quarterly
reviews — and one county officer per county (password as the other demo users).

Set-based throughout: Python draws the households, people and cadres (bulk_create); visits,
findings, their events and referrals are INSERT … SELECT statements over a temporary table of
the new households. Reproducible from the seed (PostgreSQL's setseed). Idempotent per county:
a county whose demo households exist is left alone.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accounts import areacodes
from accounts import demo as accounts_demo
from accounts.models import Area, AreaLevel, Role, RoleAssignment, User
from beneficiaries import demo as roster_demo
from beneficiaries import idnumber
from beneficiaries import rules as roster_rules
from beneficiaries.models import (
    Cadre,
    Classification,
    Household,
    HouseholdStatus,
    Pairing,
    Person,
    QuarterlyReview,
)

CODE_PREFIX = "DZ"  # household codes DZ-<county6>-00001


def county_officer_username(county_code: str) -> str:
    return f"xian{county_code[:6]}"


def seed_prefecture(households: int = 300, seed: int = 20261128, stdout=None) -> dict[str, int]:
    """Seed every county that has no demo households yet. Returns counts."""
    started = time.monotonic()
    today = timezone.localdate()
    rng = random.Random(seed + 7)
    counties = list(Area.objects.filter(level=AreaLevel.COUNTY).order_by("code"))
    officers = _county_officers(counties)
    filled = {c[3:9] for c in Household.objects.filter(code__startswith=CODE_PREFIX + "-")
              .values_list("code", flat=True).distinct()}
    created = {"households": 0, "visits": 0, "counties": 0}
    with transaction.atomic():
        new_ids: list[int] = []
        profile: dict[int, tuple[float, int]] = {}
        for county in counties:
            if county.code == accounts_demo.COUNTY or county.code[:6] in filled:
                continue  # 雷山县 has the roster step's detailed demo
            # Counties differ: a diligence between 0.68 and 0.99 of the visits due are made.
            diligence = rng.uniform(0.68, 0.99)
            ids = _seed_county(rng, county, rng.randint(max(1, int(households * 0.6)), int(households * 1.5) + 1), today,
                               officers[county.code])
            for hid in ids:
                profile[hid] = (diligence, officers[county.code].pk)
            new_ids += ids
            created["counties"] += 1
        if new_ids:
            created["visits"] = _seed_activity(seed, profile, today)
            _seed_reviews(counties, officers, today, rng)
        created["households"] = len(new_ids)
    if new_ids:
        from visits import actions as visit_actions

        visit_actions.schedule_refresh(households=Household.objects.filter(id__in=new_ids), today=today)
    _seed_oversight_work(today, stdout)
    if stdout is not None:
        stdout.write(
            f"全州演示数据：{created['counties']} 个县(市) 新增 {created['households']} 户、{created['visits']} 条走访"
            f"（用时 {time.monotonic() - started:.1f} 秒）。"
        )
    return created


def _county_officers(counties: list[Area]) -> dict[str, User]:
    """One county civil-affairs officer per county (雷山县 keeps its `leishan`)."""
    password = make_password(accounts_demo.DEMO_PASSWORD)
    existing = {u.username: u for u in User.objects.filter(username__in=[county_officer_username(c.code) for c in counties])}
    new = [User(username=county_officer_username(c.code), real_name=f"{c.name}民政局 业务员", password=password)
           for c in counties if county_officer_username(c.code) not in existing]
    User.objects.bulk_create(new)
    users = {u.username: u for u in User.objects.filter(username__in=[county_officer_username(c.code) for c in counties])}
    granted = set(RoleAssignment.objects.filter(role=Role.COUNTY, user__in=users.values()).values_list("user_id", flat=True))
    RoleAssignment.objects.bulk_create([
        RoleAssignment(user=users[county_officer_username(c.code)], role=Role.COUNTY, area=c)
        for c in counties if users[county_officer_username(c.code)].pk not in granted
    ])
    leishan = User.objects.filter(username="leishan").first()
    return {c.code: (leishan if c.code == accounts_demo.COUNTY and leishan else users[county_officer_username(c.code)])
            for c in counties}


def _seed_county(rng: random.Random, county: Area, count: int, today: dt.date, officer: User) -> list[int]:
    """Households, people, tiers, cadres and pairings of one county (bulk inserts)."""
    villages = list(Area.objects.filter(level=AreaLevel.VILLAGE, code__startswith=county.prefix).order_by("code"))
    if not villages:
        return []
    villages = sorted(rng.sample(villages, min(len(villages), 24)), key=lambda v: v.code)
    cadres = []
    for n, v in enumerate(villages):
        for k in range(2 + n % 3):
            cadres.append(Cadre(name=roster_demo._name(rng), phone=f"138{int(v.code[-9:]) % 10**7:07d}{k}"[:11],
                                kind=roster_demo._pick(rng, roster_demo.KIND_WEIGHTS),
                                work_unit=f"{county.name}{rng.choice(['民政局', '人民政府', '卫生健康局', '教育局'])}",
                                home_village=v))
    Cadre.objects.bulk_create(cadres)
    by_village: dict[str, list[Cadre]] = {}
    for c in cadres:
        by_village.setdefault(c.home_village_id, []).append(c)

    used: set[str] = set()
    plan = []
    for i in range(count):
        village = villages[rng.randrange(len(villages))]
        prof = roster_demo._pick(rng, roster_demo.PROFILES)
        members = roster_demo._members(rng, prof, today, used)
        for m in members:  # ID numbers of this county, not 雷山县's
            m["id_number"] = _id(rng, county.code[:6], m["birth_date"], m["sex"], used)
        plan.append((f"{CODE_PREFIX}-{county.code[:6]}-{i + 1:05d}", village, prof, members))
    hh = []
    for code, village, _p, _m in plan:
        exited = rng.random() < 0.02
        hh.append(Household(code=code, village=village, address=f"{rng.randint(1, 9)}组{rng.randint(1, 80)}号",
                            status=HouseholdStatus.EXITED if exited else HouseholdStatus.ACTIVE,
                            exited_on=today - dt.timedelta(days=rng.randint(5, 60)) if exited else None,
                            exit_reason="家庭收入改善，经季度复核退出" if exited else ""))
    Household.objects.bulk_create(hh)
    people, classifications, pairings, tiers = [], [], [], {}
    for h, (_code, village, prof, members) in zip(hh, plan, strict=True):
        people += [Person(household_id=h.pk, **m) for m in members]
        facts = [roster_rules.MemberFacts(**{k: m[k] for k in roster_rules.MemberFacts.__dataclass_fields__ if k in m})
                 for m in members]
        suggestion = roster_rules.suggest(facts, today)
        since = today - dt.timedelta(days=rng.randint(200, 700))
        if prof in roster_rules.JUDGEMENT_CRITERIA:
            tier, criteria, reason = prof[0], [prof], roster_demo.JUDGEMENT_REASONS[prof]
        elif suggestion.tier and rng.random() < 0.95:
            tier, criteria, reason = suggestion.tier, list(suggestion.criteria), ""
        else:
            continue  # awaiting the county's decision: no tier, no pairing yet
        tiers[h.pk] = (tier, criteria, since)
        classifications.append(Classification(
            household_id=h.pk, suggested_tier=suggestion.tier, suggested_criteria=list(suggestion.criteria),
            from_tier="", tier=tier, criteria=criteria, reason=reason, effective_on=since, decided_by=officer))
        options = by_village.get(village.pk) or []
        if options and h.status == HouseholdStatus.ACTIVE and rng.random() < 0.96:
            pairings.append(Pairing(household_id=h.pk, cadre=options[rng.randrange(len(options))],
                                    relation=roster_demo._pick(rng, [("nearby", 6), ("kin", 2), ("neighbour", 2)]),
                                    started_on=since + dt.timedelta(days=rng.randint(0, 20)), created_by=officer))
    Person.objects.bulk_create(people, batch_size=5000)
    Classification.objects.bulk_create(classifications, batch_size=5000)
    Pairing.objects.bulk_create(pairings, batch_size=5000)
    roster_demo._update_tiers(tiers)
    return [h.pk for h in hh]


def _id(rng: random.Random, county6: str, birth: dt.date, sex: str, used: set[str]) -> str:
    while True:
        seq = rng.randrange(0, 999)
        if (seq % 2 == 1) != (sex == "M"):
            seq += 1
        number = idnumber.make(f"{county6}{birth:%Y%m%d}{seq % 1000:03d}")
        if number not in used:
            used.add(number)
            return number


# The activity of a year, in SQL over a temporary table of (household, diligence, officer).
_VISITS = """
INSERT INTO visits_visit (visited_on, mode, counted, visitor_name, met_with, health, health_note, food, clothing,
    housing, transport, medical, living_note, benefits, family_support, house_safety, water_safety, power_safety,
    gas_safety, heating_safety, needs, wishes, notes, late_reason, source, recorded_at, household_id,
    recorded_by_id, visitor_id, hazards_fixed, wishes_not_asked, geo_status, conflict)
SELECT v.day, CASE WHEN random() < 0.04 THEN 'phone' ELSE 'in_person' END, true, c.name,
       (ARRAY['本人', '本人', '本人', '配偶', '子女', '孙辈'])[1 + floor(random() * 6)::int],
       (ARRAY['good', 'fair', 'fair', 'poor'])[1 + floor(random() * 4)::int], '',
       'ok', 'ok', CASE WHEN random() < 0.15 THEN 'difficult' ELSE 'ok' END, 'ok', 'ok', '', '{dibao}',
       (ARRAY['fulfilled', 'partly', 'no_family'])[1 + floor(random() * 3)::int],
       'safe', 'safe', CASE WHEN random() < 0.05 THEN 'hazard' ELSE 'safe' END, 'none', 'safe', '{none}',
       '希望干部常来看看', '入户走访，了解生活、健康和安全情况。', '', 'form',
       v.day + time '09:00' + random() * interval '8 hours', d.household_id, d.officer_id, NULL,
       '{}', false, '', ''
FROM demo_households AS d
JOIN beneficiaries_household AS h ON h.id = d.household_id
JOIN LATERAL (
    SELECT p.cadre_id, p.started_on FROM beneficiaries_pairing AS p
    WHERE p.household_id = d.household_id ORDER BY p.started_on LIMIT 1
) AS p ON true
JOIN beneficiaries_cadre AS c ON c.id = p.cadre_id
JOIN LATERAL (
    SELECT (g - (floor(random() * 3))::int * interval '1 day')::date AS day, random() AS coin
    FROM generate_series(greatest(p.started_on, %(today)s::date - 365) + 2,
                         %(today)s::date, make_interval(days => CASE h.tier WHEN 'A' THEN 9 WHEN 'B' THEN 13 ELSE 26 END)) AS g
) AS v ON true
WHERE h.tier <> ''
  -- a cadre who lapsed stops visiting some weeks before today
  AND NOT (c.id %% 9 = 0 AND v.day > %(today)s::date - 20 - (c.id %% 40)::int)
  -- the coin is drawn per visit inside the lateral subquery (a bare random() here would be
  -- pushed down and drawn once per household)
  AND v.coin < d.diligence * (CASE WHEN c.id %% 5 = 0 THEN 0.85 ELSE 1.0 END)
  AND v.day <= %(today)s::date
"""

_FINDINGS = """
INSERT INTO visits_finding (kind, description, due_on, status, closing_note, closed_on, created_at, created_by_id,
    household_id, owner_id, visit_id)
SELECT f.kind, f.description, v.visited_on + 14,
       CASE WHEN f.closed THEN 'closed' WHEN f.r < 0.8 THEN 'open' ELSE 'in_progress' END,
       CASE WHEN f.closed THEN '已协调解决，回访确认。' ELSE '' END,
       CASE WHEN f.closed THEN least(%(today)s::date, v.visited_on + 2 + floor(f.r * 30)::int) END,
       v.recorded_at, v.recorded_by_id, v.household_id, v.recorded_by_id, v.id
FROM visits_visit AS v
JOIN demo_households AS d ON d.household_id = v.household_id
CROSS JOIN LATERAL (
    SELECT k.r, k.r < 0.2 + least(0.75, (%(today)s::date - v.visited_on) / 100.0) AS closed,
           (ARRAY['hazard', 'service_need', 'hazard', 'benefit', 'special'])[k.i] AS kind,
           (ARRAY['厨房电线老化裸露，存在用电隐患。', '老人行动不便，需要日常照料服务。', '房屋墙体开裂，疑似危房。',
                  '可能符合临时救助条件，需协助申请。', '独居老人夜间突发疾病无人照看。'])[k.i] AS description
    FROM (SELECT pg_temp._demo_u(v.id, 1) AS r, 1 + floor(pg_temp._demo_u(v.id, 2) * 5)::int AS i) AS k
) AS f
WHERE pg_temp._demo_u(v.id, 0) < 0.035
"""

_FINDING_EVENTS = """
INSERT INTO visits_findingevent (finding_id, from_status, to_status, note, actor_id, at)
SELECT f.id, '', 'open', f.description, f.created_by_id, f.created_at
FROM visits_finding AS f JOIN demo_households AS d ON d.household_id = f.household_id
UNION ALL
SELECT f.id, 'open', 'closed', f.closing_note, f.owner_id, f.closed_on + time '16:00'
FROM visits_finding AS f JOIN demo_households AS d ON d.household_id = f.household_id
WHERE f.status = 'closed'
"""

_REFERRALS = """
INSERT INTO services_referral (rerouted, problem, contact, urgent, status, submitted_at, due_at, outcome,
    decline_reason, closed_at, escalated_at, created_by_id, department_id, escalated_to_id, field_id, household_id,
    person_id, provider_id, finding_id, due_provisional)
SELECT false, pr.problem, '', r.x < 0.05, r.status, r.submitted, r.submitted + make_interval(days => fl.deadline_days),
       CASE WHEN r.status = 'resolved' THEN '已落实帮扶政策。' ELSE '' END,
       CASE WHEN r.status = 'declined' THEN '经核实不符合条件。' ELSE '' END,
       CASE WHEN r.status IN ('resolved', 'declined')
            THEN r.submitted + make_interval(days => greatest(1, round(fl.deadline_days * r.pace)::int)) END,
       CASE WHEN r.status NOT IN ('resolved', 'declined') AND r.submitted + make_interval(days => fl.deadline_days) < now()
                 AND r.x < 0.7
            THEN r.submitted + make_interval(days => fl.deadline_days + 1) END,
       d.officer_id, fl.route_to_id,
       CASE WHEN r.status NOT IN ('resolved', 'declined') AND r.submitted + make_interval(days => fl.deadline_days) < now()
                 AND r.x < 0.7
            THEN {county_of_village} END,
       fl.id, d.household_id, NULL, NULL, NULL, false
FROM demo_households AS d
JOIN beneficiaries_household AS h ON h.id = d.household_id
CROSS JOIN LATERAL (
    SELECT {u1} AS x, 0.4 + {u2} * (0.6 + (1 - d.diligence) * 3) AS pace,
           now() - {u3} * interval '300 days' AS submitted,
           (ARRAY['resolved', 'resolved', 'resolved', 'resolved', 'declined', 'accepted', 'in_progress', 'submitted'])
               [1 + floor({u4} * 8)::int] AS status,
           (ARRAY['medical-aid', 'housing', 'education-aid', 'employment', 'drinking-water', 'emergency-relief'])
               [1 + floor({u5} * 6)::int] AS field_code
) AS r
JOIN services_field AS fl ON fl.code = r.field_code
CROSS JOIN LATERAL (
    SELECT (ARRAY['慢性病住院自付费用高，申请医疗救助', '房屋墙体开裂，申请危房改造', '孙子读初中，申请学杂费减免',
                  '有劳动能力，返乡后失业', '旱季水井干涸，需送水上门', '冬季取暖困难，缺少棉被'])
               [array_position(ARRAY['medical-aid', 'housing', 'education-aid', 'employment', 'drinking-water',
                                     'emergency-relief'], r.field_code::text)] AS problem
) AS pr
WHERE h.tier <> '' AND {u0} < 0.06
""".format(**{f"u{i}": f"pg_temp._demo_u(d.household_id, {i})" for i in range(6)},
          county_of_village=areacodes.ancestor_sql("h.village_id", "county"))

_REFERRAL_EVENTS = """
INSERT INTO services_referralevent (referral_id, action, from_status, to_status, note, at, actor_id)
SELECT r.id, 'submit', '', 'submitted', r.problem, r.submitted_at, r.created_by_id
FROM services_referral AS r JOIN demo_households AS d ON d.household_id = r.household_id
"""


def _seed_activity(seed: int, profile: dict[int, tuple[float, int]], today: dt.date) -> int:
    """Visits, findings and referrals of the new households: INSERT … SELECT statements."""
    from services.reference import reference_load

    reference_load()
    with connection.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE demo_households (household_id bigint PRIMARY KEY, diligence float8, "
                    "officer_id bigint) ON COMMIT DROP")
        cur.execute(
            "INSERT INTO demo_households SELECT * FROM unnest(%s::bigint[], %s::float8[], %s::bigint[])",
            [list(profile), [p[0] for p in profile.values()], [p[1] for p in profile.values()]],
        )
        cur.execute("ANALYZE demo_households")
        # A uniform number in [0, 1) from a key and a salt: reproducible whatever the plan's row order.
        cur.execute("CREATE OR REPLACE FUNCTION pg_temp._demo_u(k bigint, salt int) RETURNS float8 LANGUAGE sql "
                    "IMMUTABLE AS $$ SELECT ('x' || substr(md5(k::text || ':' || salt::text), 1, 8))::bit(32)::bigint "
                    "/ 4294967296.0 $$")
        cur.execute("SELECT setseed(%s)", [(seed % 1000) / 1000.0])
        cur.execute(_VISITS, {"today": today})
        visits = cur.rowcount
        cur.execute(_FINDINGS, {"today": today})
        cur.execute(_FINDING_EVENTS)
        cur.execute(_REFERRALS)
        cur.execute(_REFERRAL_EVENTS)
    return visits


def _seed_reviews(counties: list[Area], officers: dict[str, User], today: dt.date, rng: random.Random) -> None:
    """Last quarter's review completed in most counties; this quarter's started in some."""
    quarter = (today.month - 1) // 3 + 1
    last = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
    existing = set(QuarterlyReview.objects.values_list("county_id", "year", "quarter"))
    now = timezone.now()
    rows = []
    for county in counties:
        officer = officers[county.code]
        if (county.code, *last) not in existing:
            done = rng.random() < 0.8
            rows.append(QuarterlyReview(county=county, year=last[0], quarter=last[1], started_by=officer,
                                        completed_by=officer if done else None,
                                        completed_at=now - dt.timedelta(days=rng.randint(5, 40)) if done else None,
                                        summary="本季度动态调整已完成。" if done else ""))
        if (county.code, today.year, quarter) not in existing and rng.random() < 0.4:
            rows.append(QuarterlyReview(county=county, year=today.year, quarter=quarter, started_by=officer))
    created = QuarterlyReview.objects.bulk_create(rows)
    # started_at is stamped "now" on create: a review is started in the first weeks after its
    # quarter, before it is completed (发起 before 完成).
    for review in created:
        if review.completed_at is not None:
            started = review.completed_at - dt.timedelta(days=rng.randint(3, 20))
        elif (review.year, review.quarter) == last:
            started = now - dt.timedelta(days=rng.randint(1, 30))
        else:
            continue
        QuarterlyReview.objects.filter(pk=review.pk).update(started_at=started)



def _seed_oversight_work(today: dt.date, stdout=None) -> None:
    """A little oversight work by the demo users, through the actions: this year's assessment
    weights, last month's spot check in 西江镇 (one discrepancy), and a county inspection of
    西江镇 with its problems (one rectified). Skipped when already there."""
    from . import actions
    from .models import AssessmentSetting, Inspection, SpotCheckDraw

    users = {u.username: u for u in User.objects.filter(username__in=["zhou", "leishan", "xijiang"])}
    if len(users) < 3:
        return
    if not AssessmentSetting.objects.filter(year=today.year).exists():
        from .assessment import DEFAULT_EXCELLENT, DEFAULT_PASSING, DEFAULT_WEIGHTS

        actions.assessment_set(actor=users["zhou"], year=today.year, weights=DEFAULT_WEIGHTS,
                               excellent=DEFAULT_EXCELLENT, passing=DEFAULT_PASSING, reason="年度考核指标（演示）")
    township = Area.objects.get(code=accounts_demo.TOWNSHIP)
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    if not SpotCheckDraw.objects.filter(area=township, month=month).exists():
        try:
            draw = actions.spot_check_draw(actor=users["xijiang"], area=township, month=month, per_cadre=2,
                                           seed=20261128, today=today)
        except ValidationError:  # no visits last month: nothing to sample
            draw = None
        if draw is not None:
            for n, item in enumerate(draw.items.select_related("visit", "visit__household")[:6]):
                bad = n == 2
                actions.spot_check_record(
                    actor=users["xijiang"], item=item, method="phone" if n % 2 else "revisit",
                    checked_on=max(item.visit.visited_on, today - dt.timedelta(days=3)), date_confirmed=not bad,
                    person_confirmed=True, checklist_plausible=True, location_plausible=None,
                    note="户主反映当天干部未上门，只打过电话。" if bad else "", today=today)
    if not Inspection.objects.exists():
        county = Area.objects.get(code=accounts_demo.COUNTY)
        half = 1 if today.month <= 6 else 2
        inspection = actions.inspection_plan(
            actor=users["leishan"], organiser=county, year=today.year, half=half,
            title=f"{today.year}年{'上' if half == 1 else '下'}半年关爱帮扶督导检查（演示）", townships=[township],
            team=[users["leishan"]], team_note="县民政局社会救助股 2 人", sample_size=6,
            starts_on=today - dt.timedelta(days=10))
        inspection = actions.inspection_draw(actor=users["leishan"], inspection=inspection, seed=2026)
        answers = {"visits_meet_minimum": True, "records_true": True, "findings_closed": True, "custody_checked": None,
                   "record_book_complete": True}
        samples = list(inspection.samples.all())
        for n, sample in enumerate(samples[:4]):
            bad = n == 1
            actions.inspection_check(actor=users["leishan"], sample=sample,
                                     answers={**answers, "visits_meet_minimum": not bad},
                                     note="上月走访次数不足，台账缺一次记录。" if bad else "")
            if bad:
                problem = actions.inspection_problem(
                    actor=users["leishan"], inspection=inspection, township=township,
                    description="抽查户上月走访次数不足，结对干部未按规定频次探视。", owner=users["xijiang"],
                    due_on=today + dt.timedelta(days=20), serious=False, today=today, sample=sample)
                actions.problem_follow_up(actor=users["xijiang"], problem=problem, note="已约谈结对干部，补充入户探视。",
                                          closes=True, today=today)
        actions.inspection_problem(
            actor=users["leishan"], inspection=inspection, township=township,
            description="个别村关爱记录册未及时更新。", owner=users["xijiang"], due_on=today + dt.timedelta(days=30),
            serious=False, today=today)
    if stdout is not None:
        stdout.write("督导考核演示数据：考核指标、回访抽查、督导检查已就绪。")
