"""Factories for visits tests."""

import datetime as dt

import factory

from tests.factories import HouseholdFactory, UserFactory
from visits.models import Visit, VisitMode


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    household = factory.SubFactory(HouseholdFactory)
    visited_on = dt.date(2026, 6, 1)
    mode = VisitMode.IN_PERSON
    counted = True
    visitor_name = "干部"
    recorded_by = factory.SubFactory(UserFactory)


def answered(**answers) -> dict:
    """A checklist with every §3 core item answered (all well), overridden by `answers`."""
    from visits.checklist import ITEMS, MULTI

    base = {
        "health": "good", "food": "ok", "clothing": "ok", "housing": "ok", "transport": "ok", "medical": "ok",
        "benefits": ["dibao"], "family_support": "fulfilled", "house_safety": "safe", "water_safety": "safe",
        "power_safety": "safe", "gas_safety": "none", "heating_safety": "safe", "needs": ["none"],
    }
    assert {i.name for i in ITEMS if i.required} == set(base)
    assert all(isinstance(base[i.name], list) == (i.kind == MULTI) for i in ITEMS if i.required)
    return base | answers


def visit_input(*, checklist: dict | None = None, wishes: str = "希望干部常来看看", **kwargs):
    """A VisitInput as the form sends it: every core item answered unless overridden."""
    from visits.actions import VisitInput

    return VisitInput(checklist=answered(**(checklist or {})), wishes=wishes, **kwargs)


def form_answers(**overrides) -> dict:
    """The visit form's POST data for a fully answered checklist."""
    data = {k: v for k, v in answered().items()} | {"wishes": "希望干部常来看看", "mode": "in_person"}
    return data | overrides
