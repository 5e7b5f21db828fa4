"""Pure rules of campaigns: which questions a campaign asks, what an assessment proposes, when
water is next due. No database."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import CampaignKind, Item

# Grain a person eats a day, for turning "short by N days" into kilograms (bureau's reckoning).
GRAIN_KG_PER_PERSON_DAY = 0.5

WINTER_FIELDS = ("grain_short_days", "clothing_sets", "heating_source", "heating_enough")
WATER_FIELDS = ("water_source", "water_days_left", "can_fetch_water")


def question_fields(kind: str) -> tuple[str, ...]:
    """The typed answers a campaign of this kind asks in the visit (other kinds: `answers`)."""
    return {CampaignKind.WINTER: WINTER_FIELDS, CampaignKind.WATER: WATER_FIELDS}.get(kind, ())


def state(starts_on: dt.date, ends_on: dt.date, today: dt.date) -> str:
    if today < starts_on:
        return "upcoming"
    return "running" if today <= ends_on else "finished"


STATE_LABELS = {"upcoming": _("未开始"), "running": _("进行中"), "finished": _("已结束")}


@dataclass(frozen=True)
class ProposedNeed:
    item: str
    quantity: int


def proposed_needs(kind: str, answers: dict, members: int) -> list[ProposedNeed]:
    """What an assessment proposes for the needs list (the township confirms or changes it).

    Winter: grain short by N days → N × members × 0.5 kg (rounded up); clothing sets as
    answered; heating not enough → one heating pack. Water campaigns deliver on a schedule
    instead; other campaigns' answers are read by the township."""
    if kind != CampaignKind.WINTER:
        return []
    needs = []
    days = answers.get("grain_short_days") or 0
    if days > 0:
        needs.append(ProposedNeed(Item.GRAIN, max(1, math.ceil(days * max(members, 1) * GRAIN_KG_PER_PERSON_DAY))))
    if (answers.get("clothing_sets") or 0) > 0:
        needs.append(ProposedNeed(Item.CLOTHING, answers["clothing_sets"]))
    if answers.get("heating_enough") is False:
        needs.append(ProposedNeed(Item.HEATING, 1))
    return needs


def next_water_due(last_on: dt.date | None, starts_on: dt.date, every_days: int, ends_on: dt.date) -> dt.date | None:
    """The day water is next due at the door: N days after the last delivery, or the campaign's
    first day; none after the campaign ends."""
    due = starts_on if last_on is None else last_on + dt.timedelta(days=every_days)
    return due if due <= ends_on else None
