"""The visit form's JSON answers used by the browser outbox (contract with the offline app)."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.urls import reverse

from tests.factories import cadre_user
from tests.visits.factories import form_answers
from visits.models import Visit

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
JSON = {"HTTP_ACCEPT": "application/json"}


def _post(client, household, token, **extra):
    data = form_answers(**({"client_token": str(token), "visited_on": "2026-06-20", "mode": "in_person"} | extra))
    return client.post(reverse("visits:record", args=[household.pk]), data, **JSON)


def test_outbox_post_is_stored_once_and_replays_answer_200(client, paired):
    household, user = paired
    client.force_login(user)
    token = uuid.uuid4()
    with time_machine.travel(NOW, tick=False):
        first = _post(client, household, token)
        replays = [_post(client, household, token) for _ in range(3)]
        other = _post(client, household, uuid.uuid4())
    assert first.status_code == 201
    body = first.json()
    assert body["ok"] and body["created"] and body["client_token"] == str(token)
    assert body["household_id"] == household.pk and body["household_name"] == "王阿婆"
    assert [r.status_code for r in replays] == [200, 200, 200]
    assert {r.json()["visit_id"] for r in replays} == {body["visit_id"]}
    assert not any(r.json()["created"] for r in replays)
    assert other.status_code == 201
    assert Visit.objects.filter(household=household).count() == 2


def test_outbox_errors_401_and_404_are_json(client, paired):
    household, user = paired
    with time_machine.travel(NOW, tick=False):
        assert _post(client, household, uuid.uuid4()).json() == {"ok": False, "login_required": True}
        client.force_login(user)
        bad = _post(client, household, uuid.uuid4(), visited_on="2026-06-30")
        assert bad.status_code == 400 and "visited_on" in bad.json()["errors"]
        client.force_login(cadre_user("someone_else")[0])
        assert _post(client, household, uuid.uuid4()).status_code == 404
    assert not Visit.objects.exists()


def test_html_post_redirects_with_saved_token(client, paired):
    household, user = paired
    client.force_login(user)
    token = uuid.uuid4()
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("visits:record", args=[household.pk]),
                                form_answers(client_token=str(token), visited_on="2026-06-20", mode="in_person"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('visits:mine')}?saved={token}"
