"""Roster pages: scope (owner, colleague, outsider → 404), constant query count, masked ID
numbers, forms that keep what was typed, exports audited."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent
from beneficiaries.models import Classification, Household, Pairing
from tests.factories import CadreFactory, HouseholdFactory, PairingFactory, PersonFactory, cadre_user
from tests.otp import pass_second_factor

from .factories import county_officer, other_township_official, township_official

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def household():
    hh = HouseholdFactory(tier="", criteria=[], tier_since=None)
    PersonFactory(household=hh, benefit_status="tekun", support_mode="dispersed", self_care="none")
    return hh


def test_the_household_page_is_seen_by_its_cadre_and_township_but_not_by_an_outsider(client, household):
    owner, cadre = cadre_user("owner")
    PairingFactory(household=household, cadre=cadre)
    url = reverse("beneficiaries:household_detail", args=[household.pk])
    assert login(client, owner).get(url).status_code == 200
    assert login(client, township_official()).get(url).status_code == 200
    assert login(client, other_township_official()).get(url).status_code == 404
    other_cadre, _ = cadre_user("other")
    assert login(client, other_cadre).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="view", object_id=str(household.pk)).count() == 2


def test_the_household_page_shows_masked_numbers_and_the_suggestion(client, household):
    person = household.members.get()
    body = login(client, county_officer()).get(reverse("beneficiaries:household_detail", args=[household.pk])).content.decode()
    assert person.id_number not in body and person.id_masked in body
    assert "A1" in body and 'id="tiers"' in body and 'id="plan"' in body


def test_the_roster_list_query_count_does_not_grow_with_rows(client, village_code):
    officer = county_officer()
    login(client, officer)
    url = reverse("beneficiaries:roster_list")

    def make(n):
        for _ in range(n):
            hh = HouseholdFactory(tier="")
            PersonFactory(household=hh)
            PairingFactory(household=hh)

    make(2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    make(20)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count('data-testid="roster-row"') == 22
    assert len(many) == len(few)


def test_the_roster_list_never_shows_a_full_id_number_and_finds_by_full_number(client, household):
    person = household.members.get()
    HouseholdFactory()
    login(client, county_officer())
    body = client.get(reverse("beneficiaries:roster_list")).content.decode()
    assert person.id_number not in body and person.id_masked in body
    found = client.post(reverse("beneficiaries:roster_list"), {"q": person.id_number}).content.decode()
    assert found.count('data-testid="roster-row"') == 1
    refused = client.get(reverse("beneficiaries:roster_list"), {"q": person.id_number})
    assert refused.status_code == 400 and person.id_number.encode() not in refused.content
    masked = client.get(reverse("beneficiaries:roster_list"), {"q": person.id_masked}).content.decode()
    assert masked.count('data-testid="roster-row"') == 0


def test_roster_filters_by_tier_and_pairing(client, village_code):
    a = HouseholdFactory(tier="A")
    b = HouseholdFactory(tier="B", criteria=["B1"])
    PairingFactory(household=a)
    login(client, county_officer())
    url = reverse("beneficiaries:roster_list")
    assert b.code in client.get(url, {"tier": "B"}).content.decode()
    assert a.code not in client.get(url, {"tier": "B"}).content.decode()
    unpaired = client.get(url, {"paired": "no"}).content.decode()
    assert b.code in unpaired and a.code not in unpaired
    assert a.code in client.get(url, {"criterion": "A1"}).content.decode()


def test_a_township_official_sees_only_their_townships_households(client, other_village_code):
    mine = HouseholdFactory()
    theirs = HouseholdFactory(village_id=other_village_code)
    body = login(client, township_official()).get(reverse("beneficiaries:roster_list")).content.decode()
    assert mine.code in body and theirs.code not in body


def test_the_classify_form_keeps_input_and_explains_in_chinese(client, household):
    login(client, county_officer())
    url = reverse("beneficiaries:classify", args=[household.pk])
    response = client.post(url, {"tier": "B", "criteria": ["B4"], "reason": ""})
    assert response.status_code == 200
    body = response.content.decode()
    assert "必须填写" in body and 'value="B4" checked' in body.replace('" id', '" id').replace("checked\n", "checked") or "B4" in body
    assert not Classification.objects.exists()
    response = client.post(url, {"tier": "B", "criteria": ["B4"], "reason": "长期卧床无人照料"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.tier == "B"


def test_the_household_form_keeps_what_was_typed_on_a_bad_id_number(client, village_code):
    login(client, county_officer())
    response = client.post(reverse("beneficiaries:household_create"), {
        "hh-code": "NEW1", "hh-village": village_code, "hh-address": "三组",
        "head-name": "李四", "head-id_number": "522634195001011234", "head-relation": "head",
        "head-benefit_status": "dibao", "head-self_care": "full", "head-work_capacity": "able", "head-civil_capacity": "full",
    })
    body = response.content.decode()
    assert response.status_code == 200
    assert "校验位" in body and 'value="NEW1"' in body and 'value="李四"' in body and 'value="三组"' in body
    assert not Household.objects.filter(code="NEW1").exists()


def test_the_pairing_page_offers_only_cadres_in_scope(client, household, other_village_code):
    near = CadreFactory(name="近处干部")
    far = CadreFactory(name="外乡干部", home_village_id=other_village_code)
    login(client, township_official())
    url = reverse("beneficiaries:pairing_create", args=[household.pk])
    body = client.get(url).content.decode()
    assert near.name in body and far.name not in body
    response = client.post(url, {"cadre": far.pk, "relation": "nearby", "started_on": "2026-06-15"})
    assert response.status_code == 200 and not Pairing.objects.exists()
    response = client.post(url, {"cadre": near.pk, "relation": "nearby", "started_on": "2026-06-15"})
    assert response.status_code == 302 and Pairing.objects.get().cadre == near


def test_the_cadre_page_shows_load_and_implied_visits(client):
    cadre = CadreFactory()
    for tier in "AAB":
        PairingFactory(cadre=cadre, household=HouseholdFactory(tier=tier))
    login(client, township_official())
    body = client.get(reverse("beneficiaries:cadre_detail", args=[cadre.pk])).content.decode()
    assert 'data-testid="monthly-visits">8<' in body
    assert login(client, other_township_official()).get(reverse("beneficiaries:cadre_detail", args=[cadre.pk])).status_code == 404


def test_exports_are_audited_and_full_numbers_only_for_county(client, household):
    person = household.members.get()
    login(client, township_official())
    masked = client.get(reverse("beneficiaries:roster_export"), {"format": "csv"})
    assert masked.status_code == 200 and person.id_number.encode() not in masked.getvalue()
    assert client.get(reverse("beneficiaries:roster_export"), {"full_ids": "1"}).status_code == 403
    login(client, county_officer())
    full = client.get(reverse("beneficiaries:roster_export"), {"format": "csv", "full_ids": "1"})
    assert person.id_number.encode() in full.getvalue()
    assert AuditEvent.objects.filter(action="export").count() == 2
    assert AuditEvent.objects.filter(action="reveal").count() == 1
    pairing_export = client.get(reverse("beneficiaries:pairing_export"))
    assert pairing_export.status_code == 200


def test_the_door_card_has_the_cadre_and_a_qr_code(client, household):
    cadre = CadreFactory(name="张敏", phone="13900001111")
    PairingFactory(household=household, cadre=cadre)
    login(client, township_official())
    body = client.get(reverse("beneficiaries:door_card", args=[household.pk])).content.decode()
    assert "张敏" in body and "13900001111" in body and "<svg" in body
    village = client.get(reverse("beneficiaries:door_cards_village", args=[household.village_id])).content.decode()
    assert village.count('data-testid="door-card"') == 1
    assert login(client, other_township_official()).get(reverse("beneficiaries:door_card", args=[household.pk])).status_code == 404


def test_reveal_shows_the_full_number_to_a_township_official_only(client, household):
    person = household.members.get()
    url = reverse("beneficiaries:id_reveal", args=[person.pk])
    official = township_official()
    refused = login(client, official).post(url, HTTP_HX_REQUEST="true")
    assert refused.status_code == 204 and "/accounts/2fa/setup/" in refused["HX-Redirect"]  # step-up first
    assert person.id_number.encode() not in refused.content
    pass_second_factor(client, official)
    assert person.id_number in client.post(url).content.decode()
    assert login(client, other_township_official()).post(url).status_code == 404
