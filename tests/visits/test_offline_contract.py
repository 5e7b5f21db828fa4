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


@pytest.mark.parametrize("captured_at", [
    "2026-06-18T08:55:00+08:00",  # the phone's clock two days behind
    "2026-06-19T14:00:00-11:00",  # a phone set to UTC-11: still the 19th there, the 20th in Beijing
])
def test_the_visit_date_is_judged_by_the_servers_today_not_the_phones(client, paired, captured_at):
    household, user = paired
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        response = _post(client, household, uuid.uuid4(), captured_at=captured_at)
        tomorrow = _post(client, household, uuid.uuid4(), captured_at=captured_at, visited_on="2026-06-21")
    assert response.status_code == 201, response.content
    visit = Visit.objects.get(pk=response.json()["visit_id"])
    assert visit.visited_on == dt.date(2026, 6, 20) and visit.late_reason == ""
    assert tomorrow.status_code == 400
    assert tomorrow.json()["errors"]["visited_on"] == ["走访日期不能晚于今天。"]
