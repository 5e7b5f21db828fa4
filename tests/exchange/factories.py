"""Helpers of the exchange tests: tokens are made through the action, as the bureau makes them."""

from __future__ import annotations

import datetime as dt

from accounts.models import Department, Role
from exchange.actions import token_create
from services.models import Field
from tests.factories import user_with_role

PREFECTURE = "522600000000"


def bureau(username: str = "bureau"):
    return user_with_role(Role.PREFECTURE, PREFECTURE, username=username)


def make_token(*, department: str = "medical-security", fields=("medical-aid",), area: str = PREFECTURE,
               actor=None, today: dt.date | None = None, days: int = 365, name: str = "业务系统"):
    from accounts.models import Area

    today = today or dt.date.today()
    actor = actor or bureau(f"bureau-{department}-{'-'.join(fields)}-{area}")
    return token_create(
        actor=actor, name=name, department=Department.objects.get(code=department),
        fields=list(Field.objects.filter(code__in=fields)), area=Area.objects.get(code=area),
        expires_on=today + dt.timedelta(days=days), today=today,
    )


def auth(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
