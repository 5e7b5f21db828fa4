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
