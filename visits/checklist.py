"""The §3 care-service checklist and the finding policy — defined once, here.

The form (visits.forms), the action (visits.actions.visit_record), the templates and the link to
referrals (services.finding_link) all read these tables; nothing else lists the items, the hazards
or the days a finding has until it should be closed.

Decisions (docs/visits.md):
- every core item must be answered; "未询问" (not asked) is an explicit answer, never a blank;
- for the multi-choice items (benefits, service needs) "未享受/暂无需求" and "未询问" stand alone;
- the person's wishes are a text, or the explicit tick "未询问";
- a safety item answered 有隐患 opens a hazard finding at once, unless ticked 当场已排除.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import NOT_ASKED, FindingKind, Safety

CHOICE, MULTI, TEXT = "choice", "multi", "text"


@dataclass(frozen=True)
class Item:
    name: str  # the Visit field (and form field) of the item
    label: str
    section: int  # the §3 section it belongs to (SECTIONS)
    kind: str  # CHOICE (one answer), MULTI (several), TEXT (a note)
    required: bool = True


SECTIONS = {
    1: _("一、健康情况"),
    2: _("二、衣食住行医及社会保障待遇"),
    3: _("三、赡养扶养义务履行"),
    4: _("四、房屋和水电气暖安全"),
    5: _("五、服务需求"),
}

ITEMS: tuple[Item, ...] = (
    Item("health", _("健康情况"), 1, CHOICE),
    Item("health_note", _("健康情况说明"), 1, TEXT, required=False),
    Item("food", _("食"), 2, CHOICE),
    Item("clothing", _("衣"), 2, CHOICE),
    Item("housing", _("住"), 2, CHOICE),
    Item("transport", _("行"), 2, CHOICE),
    Item("medical", _("医"), 2, CHOICE),
    Item("living_note", _("衣食住行医说明"), 2, TEXT, required=False),
    Item("benefits", _("享受社会保障待遇"), 2, MULTI),
    Item("family_support", _("赡养扶养义务履行"), 3, CHOICE),
    Item("house_safety", _("房屋安全"), 4, CHOICE),
    Item("water_safety", _("用水安全"), 4, CHOICE),
    Item("power_safety", _("用电安全"), 4, CHOICE),
    Item("gas_safety", _("用气安全"), 4, CHOICE),
    Item("heating_safety", _("取暖安全"), 4, CHOICE),
    Item("needs", _("服务需求"), 5, MULTI),
)
BY_NAME = {i.name: i for i in ITEMS}
CHECKLIST_FIELDS: tuple[str, ...] = tuple(i.name for i in ITEMS)

# The person's wishes (尊重意愿) are a core item too, outside the checklist sections.
WISHES_LABEL = _("本人意愿")

# Safety items whose answer 有隐患 opens a hazard finding, with the short name a finding uses.
HAZARDS: dict[str, str] = {
    "house_safety": _("房屋"),
    "water_safety": _("用水"),
    "power_safety": _("用电"),
    "gas_safety": _("用气"),
    "heating_safety": _("取暖"),
}

# Answers of a multi-choice item that stand alone (cannot be combined with another answer).
ALONE = {"none", NOT_ASKED}


def items_of(section: int) -> list[Item]:
    return [i for i in ITEMS if i.section == section]


def missing_items(checklist: Mapping, *, wishes: str, wishes_not_asked: bool) -> list[str]:
    """Labels of the core items left blank, in checklist order (the person's wishes last)."""
    missing = [str(i.label) for i in ITEMS if i.required and not checklist.get(i.name)]
    if not (wishes or "").strip() and not wishes_not_asked:
        missing.append(str(WISHES_LABEL))
    return missing


def combination_errors(checklist: Mapping) -> dict[str, str]:
    """{field: message} for a multi-choice item that mixes a stand-alone answer with others."""
    errors = {}
    for item in ITEMS:
        values = set(checklist.get(item.name) or ()) if item.kind == MULTI else set()
        if len(values) > 1 and values & ALONE:
            errors[item.name] = str(_("“%(item)s”选了“未享受/暂无需求”或“未询问”时不能再选其他项。") % {"item": item.label})
    return errors


def ticked_hazards(checklist: Mapping) -> list[str]:
    """Names of the safety items answered 有隐患, in checklist order."""
    return [name for name in HAZARDS if checklist.get(name) == Safety.HAZARD]


# --- the finding policy ----------------------------------------------------------------------


@dataclass(frozen=True)
class FindingPolicy:
    due_days: int  # days from the day it was found until it should be closed
    referral_field: str | None  # the services field of help a referral of it most likely goes to
    escalate: bool = False  # reported to the township at once (§5(2))


FINDING_POLICY: dict[str, FindingPolicy] = {
    FindingKind.SPECIAL: FindingPolicy(due_days=3, referral_field=None, escalate=True),
    FindingKind.HAZARD: FindingPolicy(due_days=7, referral_field="housing"),
    FindingKind.SERVICE_NEED: FindingPolicy(due_days=15, referral_field="social-participation"),
    FindingKind.BENEFIT: FindingPolicy(due_days=30, referral_field="basic-living"),
}
# The kinds of finding a visit form offers as free text, in form order.
FINDING_KINDS: tuple[str, ...] = (FindingKind.HAZARD, FindingKind.SERVICE_NEED, FindingKind.BENEFIT, FindingKind.SPECIAL)


def finding_due_on(kind: str, found_on: dt.date) -> dt.date:
    return found_on + dt.timedelta(days=FINDING_POLICY[kind].due_days)


def referral_field_for(kind: str) -> str | None:
    policy = FINDING_POLICY.get(kind)
    return policy.referral_field if policy else None
