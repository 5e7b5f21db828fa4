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
    assert response.status_code == 200 and household.code.encode() in response.getvalue()
    event = AuditEvent.objects.get(action="export")
    assert person.id_number not in json.dumps(event.details, ensure_ascii=False)
    assert event.details["filters"]["q"] == person.id_masked


def test_an_export_for_an_area_outside_scope_is_not_found(client):
    HouseholdFactory()
    client.force_login(township_official())
    response = client.get(reverse("beneficiaries:roster_export"), {"format": "csv", "area": OTHER_TOWNSHIP})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


def _posted(person, **changes) -> dict:
    data = {"name": person.name, "id_number": person.id_masked, "relation": person.relation, "phone": "",
            "benefit_status": person.benefit_status, "support_mode": person.support_mode,
            "self_care": person.self_care, "disability_type": person.disability_type or "",
            "work_capacity": person.work_capacity or "", "civil_capacity": person.civil_capacity or "",
            "guardian_name": "", "guardian_can_act": "unknown"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_member_edit_page_shows_the_id_number_masked(client):
    person = PersonFactory()
    client.force_login(township_official())
    body = client.get(reverse("beneficiaries:person_edit", args=[person.household_id, person.pk])).content.decode()
    assert person.id_number not in body
    assert person.id_masked in body


def test_saving_a_member_with_the_masked_number_left_as_shown_keeps_the_stored_number(client):
    person = PersonFactory()
    client.force_login(township_official())
    url = reverse("beneficiaries:person_edit", args=[person.household_id, person.pk])
    response = client.post(url, _posted(person, phone="13800001111"))
    assert response.status_code == 302, response.content.decode()
    person.refresh_from_db()
    assert person.phone == "13800001111" and len(person.id_number) == 18 and "*" not in person.id_number


def test_a_wrong_id_number_on_the_member_form_gives_a_chinese_message_and_keeps_the_input(client):
    person = PersonFactory()
    client.force_login(township_official())
    url = reverse("beneficiaries:person_edit", args=[person.household_id, person.pk])
    response = client.post(url, _posted(person, id_number="52263419400101123X"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "52263419400101123X" in body and "身份证" in body
    person.refresh_from_db()
    assert person.id_number != "52263419400101123X"
