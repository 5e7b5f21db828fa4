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
