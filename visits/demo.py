"""Demo visits for `manage.py seed_demo`: past visits for the demo households, so some are
overdue, some short this month, and the township desk has something on it. Idempotent: a
household that already has visits is left alone. Runs after the roster's demo step; with no
households yet it does nothing."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, RoleAssignment, User
from beneficiaries.models import Household, HouseholdStatus, Pairing

from . import actions, checklist, rules
from .models import Finding, FindingEvent, FindingKind, Visit, VisitMode


@transaction.atomic
def seed_visits(households: int = 300, seed: int = 20261128, stdout=None) -> int:
    today = timezone.localdate()
    rng = random.Random(seed)
    candidates = list(
        Household.objects.filter(status=HouseholdStatus.ACTIVE)
        .exclude(tier="")
        .exclude(visits__isnull=False)
        .order_by("id")
        .values_list("id", "tier", "village_id")
    )
    if not candidates:
        if stdout:
            stdout.write("走访演示数据：没有可用的家庭，跳过。")
        return 0
    pairings = (Pairing.objects.filter(ended_on__isnull=True, household_id__in=[c[0] for c in candidates])
                .values_list("household_id", "cadre__user_id", "cadre__name"))
    cadre_users = {hid: uid for hid, uid, _name in pairings}
    # The visitor is named as on a paper record: the cadre's name, else the township official's.
    visitor_names = {hid: name for hid, _uid, name in pairings}
    fallback = RoleAssignment.objects.filter(role=Role.TOWNSHIP).values_list("user_id", flat=True).first()
    fallback_name = User.objects.filter(pk=fallback).values_list("real_name", flat=True).first() or ""
    visits = []
    for hid, tier, _village in candidates:
        user_id = cadre_users.get(hid) or fallback
        if user_id is None:
            continue
        interval = rules.DEFAULT_POLICY[tier].interval_days
        # Roughly one in six households has fallen behind: the last visit is well past its interval.
        lag = rng.randint(interval + 2, interval + 40) if rng.random() < 0.17 else rng.randint(0, interval - 1)
        day = today - dt.timedelta(days=lag)
        for _ in range(6):
            visits.append(Visit(
                household_id=hid, visited_on=day, mode=VisitMode.IN_PERSON, counted=True, visitor_id=user_id,
                visitor_name=(visitor_names.get(hid) or fallback_name)[:50], met_with="本人", health=rng.choice(["good", "fair", "poor"]),
                food="ok", clothing="ok", housing=rng.choice(["ok", "ok", "difficult"]), transport="ok", medical="ok",
                house_safety="safe", water_safety="safe", power_safety=rng.choice(["safe", "safe", "hazard"]),
                gas_safety=rng.choice(["none", "safe"]), heating_safety="safe", family_support="fulfilled",
                benefits=[rng.choice(["tekun", "dibao", "medical"])], needs=[rng.choice(["none", "daily_care"])],
                wishes="希望干部常来看看。", notes="入户走访，了解生活情况。", recorded_by_id=user_id,
            ))
            day -= dt.timedelta(days=max(1, interval - rng.randint(0, 3)))
    created = Visit.objects.bulk_create(visits, batch_size=2000)
    # Open hazards come from each household's latest visit (older ones would have been closed).
    latest: dict[int, Visit] = {}
    for v in created:
        if v.household_id not in latest or v.visited_on > latest[v.household_id].visited_on:
            latest[v.household_id] = v
    hazards = [v for v in latest.values() if v.power_safety == "hazard"][:20]
    descriptions = ["厨房电线老化裸露，存在用电隐患。", "卧室插座松动发热。", "木屋灶台离柴堆太近，有火灾隐患。",
                    "屋外电线被树枝压住。", "电热毯使用多年，外皮破损。"]
    for v in hazards:
        finding = Finding.objects.create(
            household_id=v.household_id, visit=v, kind=FindingKind.HAZARD,
            description="用电安全有隐患：" + rng.choice(descriptions), owner_id=v.recorded_by_id,
            due_on=checklist.finding_due_on(FindingKind.HAZARD, v.visited_on), created_by_id=v.recorded_by_id,
        )
        FindingEvent.objects.create(finding=finding, to_status="open", note=finding.description, actor_id=v.recorded_by_id)
    ids = Household.objects.filter(id__in=[c[0] for c in candidates])
    actions.schedule_refresh(households=ids, today=today)
    run = actions.overdue_alerts(today=today)
    if stdout:
        stdout.write(f"走访演示数据：{len(created)} 条走访，{len(hazards)} 个隐患问题，{run.opened} 户逾期。")
    return len(created)
