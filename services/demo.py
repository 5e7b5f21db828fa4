"""Demo referrals for `manage.py seed_demo`: a few referrals from the demo village to 州医保局 and
other departments in every state, a service provider serving 雷山县, a dry season. Idempotent: does
nothing once demo referrals exist; with no households yet it does nothing."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from accounts.models import Area, Role, RoleAssignment, User
from beneficiaries.models import HouseholdStatus, Pairing

from . import actions
from .models import Field, ProviderKind, Referral, ReferralStatus, ServiceKind, ServiceProvider
from .reference import reference_load

COUNTY = "522634000000"  # 雷山县
DEMO_PROBLEMS = [
    ("medical-aid", "慢性病长期服药，住院自付费用高，可能符合医疗救助条件"),
    ("housing", "房屋墙体开裂，疑似危房，需要鉴定并纳入危房改造"),
    ("education-aid", "孙子读初中，尚未享受学杂费减免"),
    ("employment", "儿子有劳动能力，外出务工返乡后失业，有就业意愿"),
    ("drinking-water", "旱季水井干涸，老人行动不便无法挑水"),
    ("emergency-relief", "冬季取暖困难，缺少棉被"),
]


@transaction.atomic
def seed_services(households: int = 300, seed: int = 20261128, stdout=None) -> int:
    reference_load()
    if Referral.objects.exists():
        if stdout:
            stdout.write("转介演示数据：已存在，跳过。")
        return 0
    pairs = list(
        Pairing.objects.filter(ended_on__isnull=True, cadre__user__isnull=False, household__status=HouseholdStatus.ACTIVE)
        .select_related("cadre__user", "household")
        .order_by("household__village_id", "household_id")[:len(DEMO_PROBLEMS)]
    )
    if not pairs:
        if stdout:
            stdout.write("转介演示数据：没有已结对的家庭，跳过。")
        return 0
    rng = random.Random(seed)
    now = timezone.now()
    liaisons = {r.department_id: r.user for r in RoleAssignment.objects.filter(role=Role.DEPARTMENT)
                .select_related("user")}
    created = 0
    for i, (pairing, (field_code, problem)) in enumerate(zip(pairs, DEMO_PROBLEMS, strict=False)):
        field = Field.objects.select_related("route_to").get(code=field_code)
        sent = now - dt.timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 8))
        referral = actions.referral_create(actor=pairing.cadre.user, household=pairing.household, field=field,
                                           problem=problem, urgent=(i == 4), now=sent)
        created += 1
        handler = liaisons.get(referral.department_id) or User.objects.filter(is_superuser=True).first()
        if handler is None:
            continue
        path = [[], [ReferralStatus.ACCEPTED], [ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS],
                [ReferralStatus.ACCEPTED, ReferralStatus.RESOLVED]][i % 4]
        for step, status in enumerate(path, start=1):
            note = "已核实，纳入医疗救助对象" if status == ReferralStatus.RESOLVED else "已受理"
            referral = actions.referral_transition(actor=handler, referral=referral, to_status=status, note=note,
                                                   now=sent + dt.timedelta(hours=4 * step))
    actions.referrals_escalate_overdue(now=now)
    county = Area.objects.filter(code=COUNTY).first()
    admin = RoleAssignment.objects.filter(role=Role.COUNTY, area_id=COUNTY).select_related("user").first()
    if county and admin and not ServiceProvider.objects.exists():
        actions.provider_save(actor=admin.user, name="雷山县阳光社会工作服务中心", kind=ProviderKind.SOCIAL_ORG,
                              services=[ServiceKind.DAILY_CARE, ServiceKind.EMOTIONAL, ServiceKind.REHAB],
                              areas=[county], owner_area=county, contact_name="杨社工", phone="0855-3331234")
    if stdout:
        stdout.write(f"转介演示数据：{created} 件转介。")
    return created

