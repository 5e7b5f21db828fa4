"""Demo data of early warning for `manage.py seed_demo` (a step in config/demo.py): the last
month's signals and warnings from the demo visits, a door card for each household of the demo
cadre `ganbu`, and one open help request on the first of them — so the cadre's list and the
township desk show what needs a look. Idempotent: with any door card already there it does
nothing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, RoleAssignment, User
from beneficiaries.models import Household, HouseholdStatus

from . import actions
from .models import DoorCard


@transaction.atomic
def demo_load(*, stdout=None, **_kwargs) -> int:
    if DoorCard.objects.exists():
        return 0
    today = timezone.localdate()
    issuer_id = RoleAssignment.objects.filter(role=Role.TOWNSHIP).values_list("user_id", flat=True).first()
    if issuer_id is None:
        return 0
    issuer = User.objects.get(pk=issuer_id)
    actions.signals_refresh(since=today - dt.timedelta(days=30), today=today)
    actions.warnings_refresh(today=today)
    households = list(Household.objects.filter(status=HouseholdStatus.ACTIVE, pairings__ended_on__isnull=True,
                                               pairings__cadre__user__username="ganbu").order_by("id")[:20])
    cards = [actions.door_card_issue(actor=issuer, household=h) for h in households]
    if cards:
        actions.help_request_submit(card=cards[0], kinds=["ill", "alone"], text="老人发烧两天，家里没人照顾")
    if stdout:
        stdout.write(f"关爱预警演示数据：{len(cards)} 张爱心牌，1 条一键求助。")
    return len(cards)
