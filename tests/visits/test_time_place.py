"""Time and place: capture time from the device, arrival on the server, the position when the
cadre allows it (no position recorded as such), shown to township and up only."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from visits.models import Visit

from .factories import form_answers

pytestmark = pytest.mark.django_db
CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 6, 20, 9, 0, tzinfo=CST)
JSON = {"HTTP_ACCEPT": "application/json"}


def _post(client, household, **fields):
    data = form_answers(visited_on="2026-06-20", client_token=str(uuid.uuid4())) | fields
    return client.post(reverse("visits:record", args=[household.pk]), data, **JSON)


def test_capture_time_arrival_and_position_are_stored(client, paired):
    household, cadre = paired
    client.force_login(cadre)
    with time_machine.travel(NOW, tick=False):
        response = _post(client, household, captured_at="2026-06-20T08:41:05+08:00", geo_status="ok",
                         geo_lat="26.4912346", geo_lng="108.1698766", geo_accuracy_m="18")
    assert response.status_code == 201
    visit = Visit.objects.get()
    assert visit.captured_at == dt.datetime(2026, 6, 20, 8, 41, 5, tzinfo=CST)
    assert visit.received_at == NOW
    assert (visit.geo_status, visit.geo_lat, visit.geo_lng, visit.geo_accuracy_m) == (
        "ok", Decimal("26.491235"), Decimal("108.169877"), 18)


@pytest.mark.parametrize(("fields", "status"), [
    ({}, "not_asked"),
    ({"geo_status": "denied", "geo_lat": "26.5", "geo_lng": "108.1"}, "denied"),
    ({"geo_status": "unavailable"}, "unavailable"),
    ({"geo_status": "ok", "geo_lat": "abc", "geo_lng": "108.1"}, "unavailable"),
    ({"geo_status": "ok", "geo_lat": "95", "geo_lng": "108.1"}, "unavailable"),
    ({"geo_status": "teleported"}, "not_asked"),
])
def test_no_position_is_recorded_as_such_and_never_refuses_the_visit(client, paired, fields, status):
    household, cadre = paired
    client.force_login(cadre)
    with time_machine.travel(NOW, tick=False):
        assert _post(client, household, **fields).status_code == 201
    visit = Visit.objects.get()
    assert (visit.geo_status, visit.geo_lat, visit.geo_lng) == (status, None, None)


def test_a_visit_captured_offline_on_its_day_is_not_a_late_entry_when_it_arrives_later(client, paired):
    household, cadre = paired
    client.force_login(cadre)
    with time_machine.travel(NOW, tick=False):
        on_time = _post(client, household, visited_on="2026-06-15", captured_at="2026-06-15T16:00:00+08:00")
        late = _post(client, household, visited_on="2026-06-15")
    assert on_time.status_code == 201
    assert late.status_code == 400 and "补录说明" in late.json()["errors"]["late_reason"][0]


def test_a_device_clock_in_the_future_is_not_believed(client, paired):
    household, cadre = paired
    client.force_login(cadre)
    with time_machine.travel(NOW, tick=False):
        response = _post(client, household, visited_on="2026-06-15", captured_at="2026-06-25T09:00:00+08:00")
    assert response.status_code == 400 and "late_reason" in response.json()["errors"]


def test_an_unreadable_capture_time_is_stored_as_unknown(client, paired):
    household, cadre = paired
    client.force_login(cadre)
    with time_machine.travel(NOW, tick=False):
        assert _post(client, household, captured_at="yesterday").status_code == 201
    assert Visit.objects.get().captured_at is None


def test_position_shows_to_the_township_never_to_cadres(client, paired, township_user):
    household, cadre = paired
    client.force_login(cadre)
    url = reverse("visits:household", args=[household.pk])
    with time_machine.travel(NOW, tick=False):
        _post(client, household, geo_status="ok", geo_lat="26.491234", geo_lng="108.169876", geo_accuracy_m="18")
        as_cadre = client.get(url).content.decode()
        client.force_login(township_user)
        as_township = client.get(url).content.decode()
    assert "26.491234" not in as_cadre and 'data-testid="visit-capture"' not in as_cadre
    assert "26.491234, 108.169876（±18米）" in as_township
