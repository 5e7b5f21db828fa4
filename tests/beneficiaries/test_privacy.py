"""Review fixes: the roster export keeps full ID numbers out of the audit log and answers an area
outside the user's scope with 404, not with the user's whole roster."""

import json

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from tests.conftest import OTHER_TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory

from .factories import township_official

pytestmark = pytest.mark.django_db


def test_an_export_filtered_by_a_full_id_number_audits_it_masked(client):
    household = HouseholdFactory()
    person = PersonFactory(household=household)
    client.force_login(township_official())
    response = client.get(reverse("beneficiaries:roster_export"), {"format": "csv", "q": person.id_number})
    assert response.status_code == 200 and household.code.encode() in response.content
    event = AuditEvent.objects.get(action="export")
    assert person.id_number not in json.dumps(event.details, ensure_ascii=False)
    assert event.details["filters"]["q"] == person.id_masked


def test_an_export_for_an_area_outside_scope_is_not_found(client):
    HouseholdFactory()
    client.force_login(township_official())
    response = client.get(reverse("beneficiaries:roster_export"), {"format": "csv", "area": OTHER_TOWNSHIP})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()
