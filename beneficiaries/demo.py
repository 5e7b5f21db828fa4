"""Demo roster for `manage.py seed_demo`: households with a realistic tier mix and the facts
behind it in the real villages of 雷山县, cadres in each village, pairings, and the demo cadre
`ganbu` paired with several households of the demo village of 西江镇.

Idempotent: households are named DEMO-000001…; a second run creates only the missing ones
(so `--households 500` after a run of 300 adds 200). Bulk inserts throughout: 10,000
households take well under a minute.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.models import Area, AreaLevel, User

from . import idnumber, rules
from .models import Cadre, CarePlan, Classification, Household, HouseholdStatus, Pairing, Person

SURNAMES = "杨吴李王龙潘张文唐余侯刘邰姜顾罗万宋欧"
GIVEN = ["秀英", "光明", "正华", "春花", "金凤", "老九", "德才", "小芳", "阿妹", "志强", "国华", "玉兰", "文清", "建军",
         "桂花", "永福", "昌平", "海燕", "登高", "明珍", "福生", "晓梅", "家旺", "仕林"]
KIND_WEIGHTS = [("party", 40), ("grid", 20), ("volunteer", 10), ("stationed", 15), ("village", 15)]
UNITS = ["雷山县民政局", "雷山县人民医院", "雷山县教育局", "西江镇人民政府", "丹江镇人民政府", "雷山县农业农村局",
         "雷山县卫生健康局", "村民委员会"]

# Profiles with realistic weights: most households are C or B, fewer A, some awaiting decision.
PROFILES = [
    ("A1", 9), ("A2", 2), ("A3", 1), ("B1", 14), ("B2", 5), ("B3", 3), ("B4", 2), ("C1", 30), ("C2", 4), ("none", 8),
]
JUDGEMENT_REASONS = {
    "A3": "特困供养政策已覆盖，但本人长期精神障碍，监护人年老体弱，照料监护难以落实。",
    "B4": "享受低保，户主独自照料两名重残子女，监护照料存在严重困难。",
    "C2": "经村民评议、乡镇审核，县民政局研判认定为边缘困难家庭。",
}


def seed_roster(*, households: int = 300, seed: int = 20261128, stdout=None) -> dict[str, int]:
    """Create up to `households` demo households (and their people, cadres, pairings). Returns counts."""
    rng = random.Random(seed)
    today = timezone.localdate()
    county = Area.objects.get(code=accounts_demo.COUNTY)
    villages = list(Area.objects.filter(level=AreaLevel.VILLAGE, code__startswith=county.prefix).order_by("code"))
    demo_village = accounts_demo.demo_village()
    officer = User.objects.filter(username="leishan").first()

    with transaction.atomic():
        cadres_by_village = _seed_cadres(rng, villages)
        ganbu = _seed_ganbu_cadre(demo_village)
        codes = [f"DEMO-{i:06d}" for i in range(1, households + 1)]
        existing = set(Household.objects.filter(code__in=codes).values_list("code", flat=True))
        used_ids = set()
        plan = []
        for i, code in enumerate(codes):
            # The demo village gets the first dozen households, so the demo cadre has work at once.
            village = demo_village if i < 12 else villages[rng.randrange(len(villages))]
            profile = _pick(rng, PROFILES)
            members = _members(rng, profile, today, used_ids)
            if code not in existing:
                plan.append((code, village, profile, members))
        created = _write(rng, plan, today, officer, cadres_by_village, ganbu, demo_village)
    if stdout is not None:
        stdout.write(f"花名册：新增 {created} 户（共 {Household.objects.filter(code__startswith='DEMO-').count()} 户演示家庭），"
                     f"帮扶干部 {Cadre.objects.count()} 名。")
    return {"households": created}


def _pick(rng: random.Random, weighted):
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def _name(rng: random.Random, surname: str | None = None) -> str:
    return (surname or rng.choice(SURNAMES)) + rng.choice(GIVEN)


def _birth(rng: random.Random, today: date, lo: int, hi: int) -> date:
    return today - timedelta(days=rng.randint(lo * 365 + 1, hi * 365 - 1))


def _id(rng: random.Random, birth: date, sex: str, used: set[str]) -> str:
    while True:
        seq = rng.randrange(0, 999)
        if (seq % 2 == 1) != (sex == "M"):
            seq += 1
        number = idnumber.make(f"522634{birth:%Y%m%d}{seq:03d}")
        if number not in used:
            used.add(number)
            return number


def _person(rng, today, used, *, relation, lo, hi, surname, **facts) -> dict:
    sex = rng.choice("MF")
    birth = _birth(rng, today, lo, hi)
    child = hi <= 18
    base = {"name": _name(rng, surname), "relation": relation, "birth_date": birth, "sex": sex,
            "id_number": _id(rng, birth, sex, used), "work_capacity": "na" if child else "able",
            "phone": "" if child else f"1{rng.choice('358')}{rng.randrange(10**9):09d}"}
    base.update(facts)
    return base


def _members(rng: random.Random, profile: str, today: date, used: set[str]) -> list[dict]:
    """A household whose facts meet the profile's criterion (judgement ones: facts near it)."""
    s = rng.choice(SURNAMES)
    p = lambda **kw: _person(rng, today, used, surname=s, **kw)  # noqa: E731
    if profile in ("A1", "A3"):
        return [p(relation="head", lo=62, hi=90, benefit_status="tekun", support_mode="dispersed",
                  self_care=rng.choice(["partial", "none"]) if profile == "A1" else "full",
                  work_capacity="none", civil_capacity="none" if profile == "A3" else "full",
                  guardian_name=_name(rng, s) if profile == "A3" else "", guardian_can_act=False if profile == "A3" else None)]
    if profile == "A2":
        return [p(relation="head", lo=65, hi=80, benefit_status="low_income"),
                p(relation="grandchild", lo=5, hi=16, benefit_status=rng.choice(["orphan", "unattended_child"]),
                  support_mode="dispersed", serious_illness=True, disability_type="physical", disability_grade=2,
                  guardian_name=_name(rng, s), guardian_can_act=True)]
    if profile in ("B1", "B2", "B4"):
        head = p(relation="head", lo=35, hi=58, benefit_status="dibao", is_main_earner=True,
                 serious_illness=profile in ("B1", "B2"), work_capacity="none" if profile != "B4" else "weak")
        spouse = p(relation="spouse", lo=35, hi=58, benefit_status="dibao")
        if profile == "B2":
            spouse.update(disability_type="intellectual", disability_grade=1, work_capacity="none")
        kids = [p(relation="child", lo=3, hi=17, benefit_status="dibao") for _ in range(rng.randint(0, 2))]
        if profile == "B4":
            for k in kids:
                k.update(disability_type="mental", disability_grade=2)
        return [head, spouse, *kids]
    if profile == "B3":
        return [p(relation="head", lo=66, hi=85, benefit_status="low_income"),
                p(relation="grandchild", lo=4, hi=15, benefit_status="unattended_child", child_in_distress=True,
                  guardian_name=_name(rng, s), guardian_can_act=True)]
    if profile == "C1":
        elder = p(relation="head", lo=62, hi=84, benefit_status="low_income", left_behind="left_behind_elder",
                  work_capacity="weak")
        kids = [p(relation="grandchild", lo=4, hi=15, benefit_status="low_income", left_behind="left_behind_child")
                for _ in range(rng.randint(0, 2))]
        return [elder, *kids]
    if profile == "C2":
        return [p(relation="head", lo=45, hi=70, benefit_status="low_income", work_capacity="weak", serious_illness=True)]
    return [p(relation="head", lo=40, hi=75, benefit_status=rng.choice(["low_income", "none"])),
            p(relation="spouse", lo=40, hi=75)]


def _seed_cadres(rng: random.Random, villages: list[Area]) -> dict[str, list[Cadre]]:
    """Two or three cadres per village (idempotent by name + phone)."""
    wanted = []
    for n, v in enumerate(villages):
        for k in range(2 + n % 2):
            wanted.append(Cadre(
                name=_name(rng), phone=f"139{int(v.code[-6:]) * 10 + k:08d}"[:11], kind=_pick(rng, KIND_WEIGHTS),
                work_unit=rng.choice(UNITS), home_village=v,
            ))
    Cadre.objects.bulk_create(wanted, ignore_conflicts=True, batch_size=2000)
    out: dict[str, list[Cadre]] = {}
    for c in Cadre.objects.filter(home_village__in=villages, user__isnull=True, active=True).order_by("id"):
        out.setdefault(c.home_village_id, []).append(c)
    return out


def _seed_ganbu_cadre(village: Area) -> Cadre | None:
    user = User.objects.filter(username="ganbu").first()
    if user is None:
        return None
    cadre, _ = Cadre.objects.get_or_create(
        user=user, defaults={"name": "张敏", "phone": "13908550001", "kind": "party", "work_unit": "西江镇人民政府",
                             "home_village": village},
    )
    return cadre


def _write(rng, plan, today, officer, cadres_by_village, ganbu, demo_village) -> int:
    if not plan:
        return 0
    hh_objs = []
    for code, village, _p, _m in plan:
        exited = rng.random() < 0.02 and village.pk != demo_village.pk
        hh_objs.append(Household(
            code=code, village=village, address=f"{rng.randint(1, 9)}组{rng.randint(1, 80)}号",
            status=HouseholdStatus.EXITED if exited else HouseholdStatus.ACTIVE,
            exited_on=today - timedelta(days=rng.randint(5, 60)) if exited else None,
            exit_reason="家庭收入改善，经季度复核退出" if exited else "",
        ))
    Household.objects.bulk_create(hh_objs, batch_size=2000)
    ids = dict(Household.objects.filter(code__in=[h.code for h in hh_objs]).values_list("code", "id"))

    people, classifications, pairings, plans, tiers = [], [], [], [], {}
    ganbu_left = 6
    for code, village, profile, members in plan:
        hid = ids[code]
        people += [Person(household_id=hid, **m) for m in members]
        facts = [rules.MemberFacts(**{k: m[k] for k in rules.MemberFacts.__dataclass_fields__ if k in m}) for m in members]
        suggestion = rules.suggest(facts, today)
        since = today - timedelta(days=rng.randint(20, 360))
        if profile in rules.JUDGEMENT_CRITERIA:
            tier, criteria, reason = profile[0], [profile], JUDGEMENT_REASONS[profile]
        elif suggestion.tier and rng.random() < 0.9:
            tier, criteria, reason = suggestion.tier, list(suggestion.criteria), ""
        else:
            tier, criteria, reason = "", [], ""  # awaiting the county's decision
        if tier:
            tiers[hid] = (tier, criteria, since)
            classifications.append(Classification(
                household_id=hid, suggested_tier=suggestion.tier, suggested_criteria=list(suggestion.criteria),
                from_tier="", tier=tier, criteria=criteria, reason=reason, effective_on=since, decided_by=officer,
            ))
        cadres = cadres_by_village.get(village.pk) or []
        if ganbu is not None and village.pk == demo_village.pk and ganbu_left > 0 and tier:
            cadre, ganbu_left = ganbu, ganbu_left - 1
        elif cadres and rng.random() < 0.92:
            cadre = cadres[hid % len(cadres)]
        else:
            cadre = None
        if cadre is not None:
            pairings.append(Pairing(household_id=hid, cadre=cadre, relation=_pick(rng, [("nearby", 6), ("kin", 2), ("neighbour", 2)]),
                                    started_on=max(since, today - timedelta(days=300)), created_by=officer))
        if tier == "A" and rng.random() < 0.5:
            plans.append(CarePlan(household_id=hid, problems="生活不能自理，日常照料不足；房屋年久失修。",
                                  measures="落实照料护理人每日照料；申请农村危房改造；每10天上门探视。",
                                  responsible=cadre.name if cadre else "村委会", status="active",
                                  target_on=today + timedelta(days=90), updated_by=officer))
    Person.objects.bulk_create(people, batch_size=2000, ignore_conflicts=True)
    Classification.objects.bulk_create(classifications, batch_size=2000)
    exited_ids = {ids[h.code] for h in hh_objs if h.status == HouseholdStatus.EXITED}
    Pairing.objects.bulk_create([p for p in pairings if p.household_id not in exited_ids], batch_size=2000)
    CarePlan.objects.bulk_create(plans, batch_size=2000)
    # Copy the current tier onto the households: one UPDATE per (tier, criteria, date) group
    # would be many; a VALUES join does it in one statement.
    _update_tiers(tiers)
    return len(plan)


def _update_tiers(tiers: dict[int, tuple[str, list[str], date]]) -> None:
    if not tiers:
        return
    from django.db import connection

    rows = [(hid, t, "{" + ",".join(c) + "}", since) for hid, (t, c, since) in tiers.items()]
    with connection.cursor() as cur:
        for start in range(0, len(rows), 2000):
            chunk = rows[start:start + 2000]
            values = ",".join(["(%s::bigint, %s, %s::varchar[], %s::date)"] * len(chunk))
            params = [x for r in chunk for x in r]
            cur.execute(
                f"UPDATE beneficiaries_household h SET tier = v.tier, criteria = v.criteria, tier_since = v.since "
                f"FROM (VALUES {values}) AS v(id, tier, criteria, since) WHERE h.id = v.id",
                params,
            )
