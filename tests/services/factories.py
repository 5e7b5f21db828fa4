"""Helpers of the services tests: referrals are made through the action, as the app makes them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from accounts.models import Department, Role
from services.actions import referral_create
from services.models import Field
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, cadre_user, user_with_role

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def field(code: str) -> Field:
    return Field.objects.select_related("route_to").get(code=code)


def department(code: str) -> Department:
    return Department.objects.get(code=code)


def liaison(code: str = "medical-security", **kwargs):
    return user_with_role(Role.DEPARTMENT, department=department(code), **kwargs)


def paired_household(username: str = "cadre", **household_kwargs):
    """A household with a head (phone, ID number) and a cadre user paired to it."""
    user, cadre = cadre_user(username)
    household = HouseholdFactory(**household_kwargs)
    PersonFactory(household=household, name="王阿婆", phone="13912345678")
    PairingFactory(household=household, cadre=cadre)
    return household, user


def make_referral(*, actor, household, field_code="medical-aid", now=None, **kwargs):
    return referral_create(actor=actor, household=household, field=field(field_code),
                           problem=kwargs.pop("problem", "疑似符合医疗救助条件"), now=now or at(2026, 3, 2), **kwargs)
