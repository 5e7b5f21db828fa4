"""The navigation menu by role. Each app adds its entries here — one list, read top to bottom."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .models import Role

ALL = frozenset(Role.values)
OFFICIALS = frozenset({Role.VILLAGE_COMMITTEE, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE})


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]


NAV_ITEMS: list[NavItem] = [
    NavItem(_("首页"), "home", ALL),
    NavItem(_("区划"), "accounts:area_browser", OFFICIALS | {Role.CADRE}),
    NavItem(_("花名册"), "beneficiaries:roster_list", OFFICIALS),
    NavItem(_("帮扶干部"), "beneficiaries:cadre_list", OFFICIALS),
    NavItem(_("我的结对户"), "visits:mine", frozenset({Role.CADRE})),
    NavItem(_("走访工作台"), "visits:desk", OFFICIALS),
    NavItem(_("消息"), "visits:inbox", frozenset({Role.CADRE, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE})),
    NavItem(_("走访频次"), "visits:policy", frozenset({Role.COUNTY, Role.PREFECTURE})),
    NavItem(_("特殊时期"), "visits:special_periods", frozenset({Role.COUNTY, Role.PREFECTURE})),
    NavItem(_("导入走访台账"), "visits:import", frozenset({Role.TOWNSHIP, Role.COUNTY})),
    NavItem(_("资金代管"), "custody:account_list", OFFICIALS | {Role.FINANCIAL_SUPERVISOR}),
    NavItem(_("村民会议"), "custody:meeting_list", frozenset({Role.VILLAGE_COMMITTEE, Role.TOWNSHIP, Role.COUNTY})),
    NavItem(_("照料评估"), "custody:evaluations_due", frozenset({Role.TOWNSHIP})),
    NavItem(_("代管抽查"), "custody:spot_check_list", frozenset({Role.FINANCIAL_SUPERVISOR, Role.COUNTY, Role.PREFECTURE})),
    NavItem(_("转介收件箱"), "services:inbox", ALL - {Role.FINANCIAL_SUPERVISOR, Role.CADRE}),
    NavItem(_("政策清单"), "services:lists", OFFICIALS),
    NavItem(_("转介统计"), "services:counts", frozenset({Role.COUNTY, Role.PREFECTURE})),
    NavItem(_("社会服务资源"), "services:providers", OFFICIALS),
    NavItem(_("帮扶领域"), "services:fields", frozenset({Role.PREFECTURE, Role.DEPARTMENT})),
]


def items_for(user) -> list[dict[str, str]]:
    from .scoping import user_roles

    roles = {r.role for r in user_roles(user)}
    if user.is_superuser:
        roles = set(ALL)
    out = []
    for item in NAV_ITEMS:
        if not roles & item.roles:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"label": str(item.label), "url": url})
    return out
