"""Cadre pickers show village and load; changing one household's cadre ends the old pairing and
starts the new one together; a bulk transfer lists what will move and asks again."""

import pytest
from django.urls import reverse
from django.utils import timezone

from beneficiaries.models import Pairing
from tests.factories import CadreFactory, HouseholdFactory, PairingFactory, PersonFactory

from .factories import township_official

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(village_code):
    official = township_official(username="xj_picker")
    old = CadreFactory(name="张敏", home_village_id=village_code)
    same_name = CadreFactory(name="张敏", home_village_id=village_code)
    households = [HouseholdFactory(village_id=village_code, tier="B") for _ in range(3)]
    for h in households:
        PersonFactory(household=h)
        PairingFactory(household=h, cadre=old)
    return official, old, same_name, households


def test_picker_choices_say_village_and_load_and_tell_namesakes_apart(client, setup):
    official, old, same_name, households = setup
    client.force_login(official)
    html = client.get(reverse("beneficiaries:pairing_change", args=[households[0].pk])).content.decode()
    assert 'data-picker="cadre"' in html
    assert f"已结对0户，{same_name.phone}" in html
    assert f"已结对3户，{old.phone}" not in html  # the current cadre is not offered


def test_change_one_households_cadre(client, setup):
    official, old, same_name, households = setup
    client.force_login(official)
    url = reverse("beneficiaries:pairing_change", args=[households[0].pk])
    bad = client.post(url, {"cadre": same_name.pk, "relation": "nearby", "started_on": "2026-06-01", "reason": ""})
    assert bad.status_code == 200 and Pairing.objects.filter(cadre=same_name).count() == 0
    today = timezone.localdate().isoformat()
    response = client.post(url, {"cadre": same_name.pk, "relation": "nearby", "started_on": today,
                                 "reason": "原干部调动"})
    assert response.status_code == 302
    assert Pairing.objects.filter(household=households[0], cadre=same_name, ended_on__isnull=True).count() == 1
    old_pairing = Pairing.objects.get(household=households[0], cadre=old)
    assert old_pairing.ended_on.isoformat() == today and old_pairing.end_reason == "原干部调动"


def test_bulk_transfer_asks_for_confirmation_listing_what_moves(client, setup):
    official, old, same_name, households = setup
    client.force_login(official)
    url = reverse("beneficiaries:cadre_reassign", args=[old.pk])
    data = {"to_cadre": same_name.pk, "reason": "原结对干部工作调动", "cadre_leaves": "on"}
    preview = client.post(url, data)
    html = preview.content.decode()
    assert html.count('data-testid="transfer-row"') == 3
    assert all(h.code in html for h in households) and "确认移交 3 户" in html
    assert Pairing.objects.filter(cadre=same_name).count() == 0  # nothing moved yet
    done = client.post(url, {**data, "confirmed": "1"})
    assert done.status_code == 302
    assert Pairing.objects.filter(cadre=same_name, ended_on__isnull=True).count() == 3
