"""The tabs of the household page. Each app adds its own (visits, custody, referrals):

    from beneficiaries.tabs import HOUSEHOLD_TABS, HouseholdTab
    HOUSEHOLD_TABS.append(HouseholdTab("visits", _("走访"), "visits/household_tab.html", visits_tab_context))

in its AppConfig.ready(). `context(request, household)` returns the extra template context of
the tab (scoped, a fixed number of queries); the template is included with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class HouseholdTab:
    key: str
    label: str
    template: str
    context: Callable | None = None


HOUSEHOLD_TABS: list[HouseholdTab] = [
    HouseholdTab("members", _("家庭成员"), "beneficiaries/tabs/members.html"),
    HouseholdTab("tiers", _("类别认定"), "beneficiaries/tabs/tiers.html"),
    HouseholdTab("pairings", _("结对帮扶"), "beneficiaries/tabs/pairings.html"),
    HouseholdTab("plan", _("帮扶方案"), "beneficiaries/tabs/plan.html"),
]


def tabs_for(request, household) -> list[dict]:
    out = []
    for tab in HOUSEHOLD_TABS:
        extra = tab.context(request, household) if tab.context else {}
        out.append({"key": tab.key, "label": tab.label, "template": tab.template, "context": extra})
    return out
