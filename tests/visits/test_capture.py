"""The capture contract (docs/visits.md): one visit per submission token, JSON for the outbox,
HTML redirect naming the saved token, and never a lost second visit."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.factories import HouseholdFactory, PairingFactory, cadre_user, jpeg_bytes
from visits.models import Visit

from .factories import form_answers

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
JSON = {"HTTP_ACCEPT": "application/json"}


def _post(client, household, token, **extra):
    data = form_answers(visited_on="2026-06-20", client_token=str(token)) | extra
    return client.post(reverse("visits:record", args=[household.pk]), data, **extra.pop("headers", {}))


def test_two_visits_in_a_row_with_different_tokens_store_two(client, paired):
    household, cadre = paired
    client.force_login(cadre)
    with time_machine.travel(NOW, tick=False):
        first, second = uuid.uuid4(), uuid.uuid4()
        r1 = _post(client, household, first, notes="上午看望")
        r2 = _post(client, household, second, notes="下午送药")
        page = client.get(reverse("visits:household", args=[household.pk]))
    assert r1.status_code == r2.status_code == 302
    assert r1["Location"] == f"{reverse('visits:mine')}?saved={first}"
    assert r2["Location"] == f"{reverse('visits:mine')}?saved={second}"
    assert sorted(household.visits.values_list("notes", flat=True)) == ["上午看望", "下午送药"]
    assert "上午看望" in page.content.decode() and "下午送药" in page.content.decode()


def test_the_same_token_replayed_three_times_stores_one_and_says_so(client, paired):
    household, cadre = paired
    client.force_login(cadre)
    token = uuid.uuid4()
    url = reverse("visits:record", args=[household.pk])
    data = form_answers(visited_on="2026-06-20", client_token=str(token), notes="一次走访")
    with time_machine.travel(NOW, tick=False):
        answers = [client.post(url, data, **JSON) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 200, 200]
    bodies = [a.json() for a in answers]
    assert [b["created"] for b in bodies] == [True, False, False]
    visit = Visit.objects.get()
    assert {b["visit_id"] for b in bodies} == {visit.pk}
    assert bodies[0] | {"message": ""} == {
        "ok": True, "created": True, "visit_id": visit.pk, "household_id": household.pk, "household_name": "王阿婆",
        "client_token": str(token), "counted": True, "message": "",
    }
    assert "王阿婆" in bodies[0]["message"] and "计入有效走访。" in bodies[0]["message"]
    assert "未重复记录" in bodies[1]["message"]


def test_a_token_belongs_to_one_household_and_user(client, paired):
    household, cadre = paired
    other = HouseholdFactory(village=household.village, tier="B", tier_since=dt.date(2026, 1, 1))
    PairingFactory(household=other, cadre=household.pairings.get().cadre, started_on=dt.date(2026, 5, 1))
    client.force_login(cadre)
    token = uuid.uuid4()
    with time_machine.travel(NOW, tick=False):
        for h in (household, other):
            assert client.post(reverse("visits:record", args=[h.pk]),
                               form_answers(visited_on="2026-06-20", client_token=str(token)), **JSON).status_code == 201
    assert Visit.objects.filter(client_token=token).count() == 2


def test_json_errors_are_chinese_and_store_nothing(client, paired):
    household, cadre = paired
    client.force_login(cadre)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("visits:record", args=[household.pk]),
                               {"visited_on": "2026-06-20", "mode": "in_person", "client_token": str(uuid.uuid4())},
                               **JSON)
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False
    assert "以下必答项尚未作答" in body["errors"]["__all__"][0] and "健康情况" in body["errors"]["__all__"][0]
    assert "未询问" in body["errors"]["health"][0]
    assert not Visit.objects.exists()


def test_json_without_a_session_is_401_never_a_login_redirect(client, paired):
    household, _cadre = paired
    response = client.post(reverse("visits:record", args=[household.pk]), form_answers(visited_on="2026-06-20"), **JSON)
    assert response.status_code == 401 and response.json() == {"ok": False, "login_required": True}
    assert client.post(reverse("visits:record", args=[household.pk]), {}).status_code == 302  # HTML: to login


def test_json_out_of_scope_is_404(client, paired):
    household, _cadre = paired
    stranger, _ = cadre_user("stranger")
    client.force_login(stranger)
    response = client.post(reverse("visits:record", args=[household.pk]),
                           form_answers(visited_on="2026-06-20"), **JSON)
    assert response.status_code == 404 and response.json()["ok"] is False
    assert not Visit.objects.exists()


def test_a_stale_csrf_token_gets_403_json(paired):
    household, cadre = paired
    client = Client(enforce_csrf_checks=True)
    client.force_login(cadre)
    response = client.post(reverse("visits:record", args=[household.pk]), form_answers(visited_on="2026-06-20"),
                           HTTP_X_CSRFTOKEN="stale", **JSON)
    assert response.status_code == 403 and response.json() == {"ok": False, "csrf": True}
    assert "<html" in client.post(reverse("visits:record", args=[household.pk]), {}).content.decode().lower()


def test_the_form_never_restores_the_submission_token_from_a_draft(client, paired):
    household, cadre = paired
    client.force_login(cadre)
    page = client.get(reverse("visits:record", args=[household.pk])).content.decode()
    assert "js/visit-form" in page  # the form's script is a static file (no inline script)
    from django.conf import settings

    script = (settings.BASE_DIR / "static" / "js" / "visit-form.js").read_text()
    assert '"client_token"' in script.split("var SKIP = [", 1)[1].split("]", 1)[0]


def test_an_idle_session_gets_401_json_not_the_login_page(client, paired, settings):
    household, cadre = paired
    client.force_login(cadre)
    session = client.session
    session["care_last_seen"] = 0  # idle far longer than SESSION_IDLE_TIMEOUT_SECONDS
    session.save()
    response = client.post(reverse("visits:record", args=[household.pk]), form_answers(visited_on="2026-06-20"), **JSON)
    assert response.status_code == 401 and response.json()["login_required"] is True
    assert not Visit.objects.exists()


def test_a_photo_travels_with_the_outbox_post(client, paired):
    from django.core.files.uploadedfile import SimpleUploadedFile

    household, cadre = paired
    client.force_login(cadre)
    photo = SimpleUploadedFile("visit.jpg", jpeg_bytes(), content_type="image/jpeg")
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("visits:record", args=[household.pk]),
                               form_answers(visited_on="2026-06-20", client_token=str(uuid.uuid4()), photos=[photo]),
                               **JSON)
    assert response.status_code == 201
    assert Visit.objects.get().photos.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_of_one_attempt_store_one_visit():
    import threading

    from django.db import connection

    from tests.visits.factories import visit_input
    from visits.actions import visit_capture

    household = HouseholdFactory(tier="A", tier_since=dt.date(2026, 1, 1))
    user, cadre = cadre_user("racer")
    PairingFactory(household=household, cadre=cadre, started_on=dt.date(2026, 5, 1))
    token, barrier, results, errors = uuid.uuid4(), threading.Barrier(2), [], []

    def post():
        try:
            barrier.wait()
            results.append(visit_capture(actor=user, household=household, data=visit_input(visited_on=dt.date(2026, 6, 20)),
                                         client_token=token, today=dt.date(2026, 6, 20)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.created for r in results) == [False, True]
    assert Visit.objects.filter(client_token=token).count() == 1
