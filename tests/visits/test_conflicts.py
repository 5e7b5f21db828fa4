"""A household re-paired or exited while the cadre was offline: the visit happened, so it is
stored — and flagged to the township (desk and inbox). A visit dated after the change is not."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Notification
from beneficiaries.models import Household, HouseholdStatus, Pairing
from tests.factories import PairingFactory, cadre_user
from visits.models import Visit

from .factories import form_answers

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
JSON = {"HTTP_ACCEPT": "application/json"}


def _offline_visit(client, household, visited_on):
    return client.post(reverse("visits:record", args=[household.pk]), form_answers(
        visited_on=visited_on, captured_at=f"{visited_on}T15:00:00+08:00", client_token=str(uuid.uuid4())), **JSON)


def test_a_household_exited_while_offline_keeps_the_visit_flagged(client, paired, township_user):
    household, cadre = paired
    Household.objects.filter(pk=household.pk).update(status=HouseholdStatus.EXITED, exited_on=dt.date(2026, 6, 18))
    Pairing.objects.filter(household=household).update(ended_on=dt.date(2026, 6, 18))
    client.force_login(cadre)
    with time_machine.travel(NOW, tick=False):
        response = _offline_visit(client, household, "2026-06-17")
        client.force_login(township_user)
        desk = client.get(reverse("visits:desk")).content.decode()
        timeline = client.get(reverse("visits:household", args=[household.pk])).content.decode()
    assert response.status_code == 201 and "家庭已退出" in response.json()["message"]
    visit = Visit.objects.get()
    assert visit.conflict == "exited"
    assert 'data-testid="visit-conflicts"' in desk and household.code in desk
    assert "离线冲突" in timeline
    note = Notification.objects.get(recipient=township_user)
    assert note.key == f"visit-conflict:{visit.pk}" and "离线走访冲突" in note.title


def test_a_visit_after_the_exit_is_refused(client, paired):
    household, cadre = paired
    Household.objects.filter(pk=household.pk).update(status=HouseholdStatus.EXITED, exited_on=dt.date(2026, 6, 18))
    Pairing.objects.filter(household=household).update(ended_on=dt.date(2026, 6, 18))
    client.force_login(cadre)
    with time_machine.travel(NOW, tick=False):
        response = _offline_visit(client, household, "2026-06-19")
    assert response.status_code == 404  # no longer paired on that day: not theirs
    assert not Visit.objects.exists()


def test_a_household_re_paired_while_offline_takes_the_former_cadres_visit(client, paired, township_user):
    household, old = paired
    Pairing.objects.filter(household=household).update(ended_on=dt.date(2026, 6, 18), end_reason="调整")
    new_user, new_cadre = cadre_user("new_cadre")
    PairingFactory(household=household, cadre=new_cadre, started_on=dt.date(2026, 6, 19))
    client.force_login(old)
    with time_machine.travel(NOW, tick=False):
        assert client.get(reverse("visits:record", args=[household.pk])).status_code == 404
        stored = _offline_visit(client, household, "2026-06-17")
        too_late = _offline_visit(client, household, "2026-06-19")
    assert stored.status_code == 201 and too_late.status_code == 404
    visit = Visit.objects.get()
    assert (visit.conflict, visit.counted, visit.recorded_by) == ("repaired", True, old)
    assert Notification.objects.filter(recipient=township_user, key=f"visit-conflict:{visit.pk}").exists()
    assert not Notification.objects.filter(recipient=new_user).exists()


def test_an_ordinary_visit_is_no_conflict(client, paired, township_user):
    household, cadre = paired
    client.force_login(cadre)
    with time_machine.travel(NOW, tick=False):
        assert _offline_visit(client, household, "2026-06-20").status_code == 201
        client.force_login(township_user)
        desk = client.get(reverse("visits:desk")).content.decode()
    assert Visit.objects.get().conflict == ""
    assert 'data-testid="visit-conflicts"' not in desk
