"""Demo assistance for `manage.py seed_demo`: 雷山县's limits and reserve fund, applications from the
demo village in every state (one fast-tracked and awaiting the county's review), and an ended flood
in 西江镇 with its roll call. Idempotent: does nothing once demo applications exist."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import Area, Role, RoleAssignment
from beneficiaries.models import Household, HouseholdStatus

from . import actions
from .models import AssistanceApplication, RollCallStatus

COUNTY = "522634000000"  # 雷山县
TOWNSHIP = "522634101000"  # 西江镇


def _user(role: str, code_prefix: str):
    row = (RoleAssignment.objects.filter(role=role, area__code__startswith=code_prefix).select_related("user")
           .order_by("id").first())
    return row.user if row else None


@transaction.atomic
def seed_assistance(households: int = 300, seed: int = 20261128, stdout=None) -> int:
    if AssistanceApplication.objects.exists():
        if stdout:
            stdout.write("救助应急演示数据：已存在，跳过。")
        return 0
    county_user = _user(Role.COUNTY, "522634")
    township_user = _user(Role.TOWNSHIP, "522634101")
    village_role = (RoleAssignment.objects.filter(role=Role.VILLAGE_COMMITTEE, area__code__startswith="522634101")
                    .select_related("user", "area").first())
    if not (county_user and township_user and village_role):
        return 0
    village_user = village_role.user
    homes = list(Household.objects.filter(village=village_role.area, status=HouseholdStatus.ACTIVE,
                                          tier__in=["A", "B", "C"]).order_by("id")[:6])
    if len(homes) < 4:
        return 0
    today = timezone.localdate()
    county = Area.objects.get(code=COUNTY)
    actions.policy_set(county=county, township_limit_fen=100_000, fast_track_limit_fen=200_000, actor=county_user)
    actions.reserve_allocate(county=county, amount_fen=5_000_000, entry_date=today - dt.timedelta(days=60),
                             note="2026年度县级临时救助备用金", actor=county_user)
    # 1. submitted, waiting for the township
    actions.application_raise(household=homes[0], kind="temporary", amount_fen=60_000,
                              reasons="户主住院，家庭生活暂时困难", actor=village_user, today=today)
    # 2. approved and paid (first: the fund's ledger is in date order, as the days happened)
    paid = actions.application_raise(household=homes[3], kind="temporary", amount_fen=80_000,
                                     reasons="冬季取暖困难", actor=village_user, today=today - dt.timedelta(days=20))
    actions.application_township_approve(application=paid, actor=township_user, note="同意")
    actions.application_pay(application=paid, actor=township_user, paid_on=today - dt.timedelta(days=18),
                            channel="card", today=today)
    # 3. above the township's limit, approved by the township, waiting for the county
    big = actions.application_raise(household=homes[2], kind="medical", amount_fen=300_000,
                                    reasons="重病住院自付费用高，医保报销后仍有缺口", actor=village_user,
                                    today=today - dt.timedelta(days=5))
    actions.application_township_approve(application=big, actor=township_user, note="情况属实，报县审批")
    # 4. fast-tracked after a kitchen fire, waiting for the county's review
    fire = actions.application_raise(household=homes[1], kind="urgent", amount_fen=150_000,
                                     reasons="厨房失火，口粮和衣被烧毁，急需生活救助", actor=village_user,
                                     today=today - dt.timedelta(days=2))
    actions.application_fast_pay(application=fire, actor=township_user, paid_on=today - dt.timedelta(days=2),
                                 channel="cash", note="先行救助，现金发放", today=today)
    # An ended flood in 西江镇 with part of its roll call done.
    event = actions.emergency_declare(
        kind="flood", title="西江镇“6·22”强降雨洪涝", county=county, areas=[Area.objects.get(code=TOWNSHIP)],
        starts_on=today - dt.timedelta(days=160), ends_on=today - dt.timedelta(days=150), special_period=False,
        description="白水河水位上涨，沿河村寨部分房屋进水。", actor=county_user, today=today)
    statuses = [RollCallStatus.SAFE, RollCallStatus.EVACUATED, RollCallStatus.SAFE, RollCallStatus.NEEDS_RESCUE]
    for home, status in zip(homes, statuses, strict=False):
        actions.roll_call_mark(emergency=event, household=home, status=status, actor=township_user,
                               checked_at=timezone.now() - dt.timedelta(days=159))
    actions.relief_record(emergency=event, household=homes[1], given_on=today - dt.timedelta(days=158),
                          items="大米 25kg、棉被 2 床", amount_fen=30_000, actor=township_user)
    if stdout:
        stdout.write("救助应急演示数据：4 件救助申请（含 1 件先行救助待复核），1 起已结束的洪涝事件。")
    return 4
