"""Demo data for `manage.py seed_demo`: two exit proposals from the 西江镇 demo official and a
disability-federation list and a 医保 high-cost list cross-checked by the 雷山县 demo officer, so
this quarter's review has proposals to decide and the early-warning step finds department signals. Idempotent: does nothing once proposals exist; without households, nothing."""

from __future__ import annotations

import random

from django.db import transaction
from django.utils import timezone

from accounts.models import Area, User
from beneficiaries.models import HouseholdStatus, Person, Relation

from .actions import proposal_create
from .crosscheck import cross_check_run
from .models import Proposal

COUNTY = "522634000000"  # 雷山县
TOWNSHIP = "522634101000"  # 西江镇


@transaction.atomic
def seed_exchange(*, seed: int = 20261128, stdout=None, **_kwargs) -> None:
    if Proposal.objects.exists():
        return
    township = User.objects.filter(username="xijiang").first()
    county = User.objects.filter(username="leishan").first()
    heads = list(Person.objects.filter(relation=Relation.HEAD, household__status=HouseholdStatus.ACTIVE,
                                       household__village__code__startswith=TOWNSHIP[:9])
                 .select_related("household").order_by("id")[:40])
    if township is None or county is None or len(heads) < 6:
        return
    rng = random.Random(seed)
    rng.shuffle(heads)
    today = timezone.localdate()
    for person, (reason, text) in zip(heads[:2], [("income_improved", "子女务工，家庭人均收入超过低收入标准"),
                                                  ("moved_out", "随子女迁往凯里市")], strict=False):
        proposal_create(actor=township, kind="exit", household=person.household, reason=reason, reason_text=text,
                        today=today)
    rows = [{"姓名": p.name, "公民身份号码": p.id_number, "残疾类别": "肢体残疾", "残疾等级": "一级"} for p in heads[2:6]]
    cross_check_run(actor=county, source="disability", area=Area.objects.get(code=COUNTY), records=rows,
                    filename="残联残疾人证(演示).csv", today=today)
    # The 医保 high-cost list: two of the same members (their warnings show both lists, 预警).
    medical = [{"参保人姓名": p.name, "证件号码": p.id_number, "结算年度": str(today.year), "医疗总费用(元)": total,
                "个人负担(元)": own} for p, total, own in zip(heads[2:4], ("86000", "52000"), ("12300", "10860"), strict=False)]
    cross_check_run(actor=county, source="medical", area=Area.objects.get(code=COUNTY), records=medical,
                    filename="医保高额医疗费用(演示).csv", today=today)
    if stdout is not None:
        stdout.write(f"演示：纳入退出提议 {Proposal.objects.count()} 条")
