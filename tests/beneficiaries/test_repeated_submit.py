"""A second press of the tier decision (认定类别) lands on the household's page with "此操作已完成";
one decision is recorded."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from beneficiaries.models import Classification
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory

from .factories import county_officer

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 5, 15, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
A_FACTS = {"benefit_status": "tekun", "support_mode": "dispersed", "self_care": "none"}


def test_the_same_decision_twice_is_recorded_once(client):
    officer = county_officer(real_name="雷山县民政局 吴科长")
    household = HouseholdFactory(code="MM001", tier="C", criteria=["C1"])
    PersonFactory(household=household, name="杨秀英", **A_FACTS)
    PairingFactory(household=household)
    client.force_login(officer)
    url = reverse("beneficiaries:classify", args=[household.pk])
    data = {"tier": "A", "criteria": ["A1"]}
    with time_machine.travel(NOW, tick=False):
        first = client.post(url, data)
        second = client.post(url, data, follow=True)
    detail = reverse("beneficiaries:household_detail", args=[household.pk])
    assert first.status_code == 302 and first["Location"] == detail
    assert second.status_code == 200 and second.redirect_chain[-1][0] == detail
    assert "此操作已完成" in second.content.decode()
    assert Classification.objects.filter(household=household).count() == 1
    # A different decision the same day is a new decision, not a repeat.
    with time_machine.travel(NOW, tick=False):
        client.post(url, {"tier": "A", "criteria": ["A1"], "reason": "复核后维持A类"})
    assert Classification.objects.filter(household=household).count() == 2


def test_pairing_twice_and_ending_it_twice_answer_the_households_page(client):
    from beneficiaries.models import Pairing
    from tests.factories import CadreFactory

    from .factories import township_official

    household = HouseholdFactory()
    PersonFactory(household=household, name="杨秀英")
    cadre = CadreFactory(name="近处干部")
    client.force_login(township_official())
    url = reverse("beneficiaries:pairing_create", args=[household.pk])
    data = {"cadre": cadre.pk, "relation": "nearby", "started_on": "2026-05-15"}
    with time_machine.travel(NOW, tick=False):
        assert client.post(url, data).status_code == 302
        again = client.post(url, data, follow=True)
    assert again.status_code == 200 and "此操作已完成" in again.content.decode()
    pairing = Pairing.objects.get()
    end = reverse("beneficiaries:pairing_end", args=[pairing.pk])
    with time_machine.travel(NOW, tick=False):
        assert client.post(end, {"ended_on": "2026-05-15", "reason": "干部调动"}).status_code == 302
        again = client.post(end, {"ended_on": "2026-05-15", "reason": "干部调动"}, follow=True)
    assert again.status_code == 200 and "此操作已完成" in again.content.decode()
