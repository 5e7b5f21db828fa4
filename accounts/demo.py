"""Demo users for every role, in real areas of 雷山县. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from .actions import role_grant
from .models import Area, Department, Role, User

DEMO_PASSWORD = "Guanai@2026demo"

PREFECTURE = "522600000000"  # 黔东南苗族侗族自治州
COUNTY = "522634000000"  # 雷山县
TOWNSHIP = "522634101000"  # 西江镇
OTHER_TOWNSHIP = "522634100000"  # 丹江镇


@dataclass(frozen=True)
class DemoUser:
    username: str
    real_name: str
    role: str
    area_code: str | None = None  # None: resolved at seed time (first village of the township)
    department_code: str | None = None


DEMO_USERS = [
    DemoUser("zhou", "州民政局 杨主任", Role.PREFECTURE, PREFECTURE),
    DemoUser("leishan", "雷山县民政局 吴科长", Role.COUNTY, COUNTY),
    DemoUser("xijiang", "西江镇 李干事", Role.TOWNSHIP, TOWNSHIP),
    DemoUser("danjiang", "丹江镇 王干事", Role.TOWNSHIP, OTHER_TOWNSHIP),
    DemoUser("cunwei", "村委会 侯主任", Role.VILLAGE_COMMITTEE),
    DemoUser("ganbu", "结对干部 张敏", Role.CADRE),
    DemoUser("yibao", "州医保局 联络员 潘丽", Role.DEPARTMENT, department_code="medical-security"),
    DemoUser("jinrong", "金融监管分局 龙科长", Role.FINANCIAL_SUPERVISOR, COUNTY),
]


def demo_village() -> Area:
    return Area.objects.filter(parent_id=TOWNSHIP, level="village").order_by("code").first()


@transaction.atomic
def seed_users() -> list[tuple[DemoUser, User]]:
    village = demo_village()
    out = []
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(username=spec.username, defaults={"real_name": spec.real_name})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if spec.role == Role.DEPARTMENT:
            department, _ = Department.objects.get_or_create(
                code=spec.department_code, defaults={"name": "州医保局"}
            )
            role_grant(user=user, role=spec.role, department=department)
        else:
            area = Area.objects.get(code=spec.area_code) if spec.area_code else village
            role_grant(user=user, role=spec.role, area=area)
        out.append((spec, user))
    return out
