"""Helpers for assistance tests: officials of 西江镇 / 雷山县, a funded reserve, a household."""

from __future__ import annotations

import datetime as dt

from accounts.models import Area, Role
from assistance import actions
from tests.conftest import COUNTY, TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, user_with_role

TODAY = dt.date(2026, 11, 30)


def officials(village_code: str) -> dict:
    return {
        "village": user_with_role(Role.VILLAGE_COMMITTEE, village_code),
        "township": user_with_role(Role.TOWNSHIP, TOWNSHIP),
        "county": user_with_role(Role.COUNTY, COUNTY),
    }


def household(village_code: str, tier: str = "A", head: str = "吴阿公", **kwargs):
    h = HouseholdFactory(village_id=village_code, tier=tier, **kwargs)
    PersonFactory(household=h, name=head)
    return h


def funded(county_user, amount_fen: int = 1_000_000):
    return actions.reserve_allocate(county=Area.objects.get(code=COUNTY), amount_fen=amount_fen,
                                    entry_date=TODAY, note="年度备用金", actor=county_user)


def raise_app(user, h, amount_fen: int = 80_000, kind: str = "urgent"):
    return actions.application_raise(household=h, kind=kind, amount_fen=amount_fen, reasons="房屋失火，急需生活救助",
                                     actor=user, today=TODAY)
