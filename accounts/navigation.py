"""The navigation menu by role. Each app adds its entries here — one list, read top to bottom."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import Role

ALL = frozenset(Role.values)
OFFICIALS = frozenset({Role.VILLAGE_COMMITTEE, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE})


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]
    group: str = ""  # items of one group show as one drop-down menu when the user has several


# Groups, in menu order; an item's group must be one of these (or "" for a top-level link).
GROUPS = {
    "roster": _("花名册"),
    "visits": _("走访"),
    "custody": _("资金代管"),
    "services": _("部门协同"),
    "oversight": _("督导考核"),
    "assistance": _("救助应急"),
    "settings": _("设置"),
}


NAV_ITEMS: list[NavItem] = [
    NavItem(_("首页"), "home", ALL),
    NavItem(_("我的结对户"), "visits:mine", frozenset({Role.CADRE})),
    NavItem(_("区划"), "accounts:area_browser", OFFICIALS | {Role.CADRE}),
    NavItem(_("花名册"), "beneficiaries:roster_list", OFFICIALS, "roster"),
    NavItem(_("帮扶干部"), "beneficiaries:cadre_list", OFFICIALS, "roster"),
    NavItem(_("季度动态调整"), "beneficiaries:review_list", frozenset({Role.COUNTY, Role.PREFECTURE}), "roster"),
    NavItem(_("走访工作台"), "visits:desk", OFFICIALS, "visits"),
    NavItem(_("关爱预警"), "earlywarning:desk", OFFICIALS, "visits"),
    NavItem(_("消息"), "visits:inbox", frozenset({Role.CADRE, Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE}), "visits"),
    NavItem(_("导入走访台账"), "visits:import", frozenset({Role.TOWNSHIP, Role.COUNTY}), "visits"),
    NavItem(_("资金代管"), "custody:account_list", OFFICIALS | {Role.FINANCIAL_SUPERVISOR}, "custody"),
    NavItem(_("村民会议"), "custody:meeting_list", frozenset({Role.VILLAGE_COMMITTEE, Role.TOWNSHIP, Role.COUNTY}), "custody"),
    NavItem(_("照料评估"), "custody:evaluations_due", frozenset({Role.TOWNSHIP}), "custody"),
    NavItem(_("代管抽查"), "custody:spot_check_list",
            frozenset({Role.FINANCIAL_SUPERVISOR, Role.COUNTY, Role.PREFECTURE}), "custody"),
    NavItem(_("转介收件箱"), "services:inbox", ALL - {Role.FINANCIAL_SUPERVISOR, Role.CADRE}, "services"),
    NavItem(_("政策清单"), "services:lists", OFFICIALS, "services"),
    NavItem(_("转介统计"), "services:counts", frozenset({Role.COUNTY, Role.PREFECTURE}), "services"),
    NavItem(_("社会服务资源"), "services:providers", OFFICIALS, "services"),
    NavItem(_("统计看板"), "oversight:dashboard_index", frozenset({Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE}), "oversight"),
    NavItem(_("救助申请"), "assistance:applications", OFFICIALS, "assistance"),
    NavItem(_("救助备用金"), "assistance:funds", frozenset({Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE}), "assistance"),
    NavItem(_("应急事件"), "assistance:emergencies", OFFICIALS | {Role.CADRE}, "assistance"),
    NavItem(_("回访抽查"), "oversight:spotcheck_list", frozenset({Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE}), "oversight"),
    NavItem(_("督导检查"), "oversight:inspection_list", frozenset({Role.COUNTY, Role.PREFECTURE}), "oversight"),
    NavItem(_("问题整改"), "oversight:problem_list", frozenset({Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE}), "oversight"),
    NavItem(_("年度考核"), "oversight:assessment", frozenset({Role.COUNTY, Role.PREFECTURE}), "oversight"),
    NavItem(_("清单成效"), "assistance:outcomes", OFFICIALS, "assistance"),
    NavItem(_("专项行动"), "campaigns:list", OFFICIALS, "assistance"),
    NavItem(_("专项行动待评估"), "campaigns:todo", frozenset({Role.CADRE, Role.VILLAGE_COMMITTEE}), "assistance"),
    NavItem(_("物资与捐赠"), "campaigns:stock", frozenset({Role.TOWNSHIP, Role.COUNTY, Role.PREFECTURE}), "assistance"),
    NavItem(_("走访频次"), "visits:policy", frozenset({Role.COUNTY, Role.PREFECTURE}), "settings"),
    NavItem(_("特殊时期"), "visits:special_periods", frozenset({Role.COUNTY, Role.PREFECTURE}), "settings"),
    NavItem(_("帮扶领域"), "services:fields", frozenset({Role.PREFECTURE, Role.DEPARTMENT}), "settings"),
    NavItem(_("节假日安排"), "services:holidays", frozenset({Role.COUNTY, Role.PREFECTURE}), "settings"),
    NavItem(_("部门接口令牌"), "exchange:tokens", frozenset({Role.PREFECTURE}), "settings"),
    NavItem(_("审计日志"), "accounts:audit_log", frozenset({Role.COUNTY, Role.PREFECTURE}), "settings"),
    NavItem(_("纳入退出申请"), "exchange:proposals", OFFICIALS, "roster"),
    NavItem(_("部门数据比对"), "exchange:cross_checks", frozenset({Role.COUNTY, Role.PREFECTURE}), "roster"),
    NavItem(_("数据质量"), "exchange:quality", OFFICIALS, "roster"),
]


def items_for(user) -> list[dict]:
    """Menu entries for the user: links, and drop-downs for groups holding several links.

    Each entry is {"label", "url"} or {"label", "children": [{"label", "url"}, ...]}."""
    from .scoping import user_roles

    roles = frozenset(ALL) if user.is_superuser else frozenset(r.role for r in user_roles(user))
    return _menu(roles, get_language(), get_script_prefix())


@lru_cache(maxsize=256)
def _menu(roles: frozenset[str], language: str | None, script_prefix: str) -> list[dict]:
    """The menu of a set of roles, built once per process, language and script prefix: it
    depends on nothing else, and building it (~40 reverse() calls) cost milliseconds a request
    (issue 25). Callers only read it."""
    entries: list[dict] = []
    groups: dict[str, dict] = {}
    for item in NAV_ITEMS:
        if not roles & item.roles:
            continue
        try:
            link = {"label": str(item.label), "url": reverse(item.url_name)}
        except NoReverseMatch:
            continue
        if not item.group:
            entries.append(link)
            continue
        if item.group not in groups:
            groups[item.group] = {"label": str(GROUPS[item.group]), "children": []}
            entries.append(groups[item.group])
        groups[item.group]["children"].append(link)
    # A group with a single link is just that link.
    return [e["children"][0] if len(e.get("children", ())) == 1 else e for e in entries]


def menu_html(items: list[dict], path: str, notifications_url: str, unread) -> str:
    """The menu's <li> entries as base.html showed them (a link, or a drop-down of links; the
    current page's link active; the 消息 entry with its unread badge), written in Python: the
    template loop cost ~1 ms of every page (issue 25). `unread` is read only when the 消息 entry
    is in the menu (it is the lazy count of accounts.notifications.unread). Returns safe HTML:
    labels and URLs are escaped here."""
    from html import escape

    from django.utils.translation import gettext as _

    def link(entry: dict, css: str) -> str:
        url = entry["url"]
        badge = ""
        if url == notifications_url:
            if unread:  # as {% if unread_notifications %}: evaluates the lazy count
                badge = (f'<span class="badge rounded-pill text-bg-warning ms-1" data-testid="unread-badge" '
                         f'title="{escape(_("未读消息"))}">{escape(str(unread))}<span class="visually-hidden">'
                         f'{escape(_("条未读消息"))}</span></span>')
        active = " active" if path == url else ""
        return f'<a class="{css}{active}" href="{escape(url)}">{escape(entry["label"])}{badge}</a>'

    out = []
    for item in items:
        if item.get("children"):
            children = "".join(f"<li>{link(child, 'dropdown-item')}</li>" for child in item["children"])
            out.append(f'<li class="nav-item dropdown">\n<a class="nav-link dropdown-toggle" href="#" role="button" '
                       f'data-bs-toggle="dropdown" aria-expanded="false">{escape(item["label"])}</a>\n'
                       f'<ul class="dropdown-menu">{children}</ul>\n</li>')
        else:
            out.append(f'<li class="nav-item">{link(item, "nav-link")}</li>')
    return "\n".join(out)
