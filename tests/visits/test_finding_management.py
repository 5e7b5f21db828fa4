"""Findings: reassigned, given a new deadline with a reason, closed with a photo; overdue marked;
every change recorded (append-only) and audited; bad input changes nothing."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction
from django.urls import reverse

from accounts.models import AuditEvent, Role
from tests.conftest import OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import user_with_role
from tests.visits.factories import visit_input
from visits.actions import FindingInput, visit_record
from visits.models import Finding, FindingChange, FindingPhoto

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 6, 20, 9, tzinfo=TZ)
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def finding(paired, township_user):
    household, cadre = paired
    visit_record(actor=cadre, household=household, data=visit_input(visited_on=dt.date(2026, 6, 1)),
                 findings=[FindingInput(kind="hazard", description="厨房电线老化裸露", due_on=dt.date(2026, 6, 10))],
                 today=dt.date(2026, 6, 1))
    return Finding.objects.get()


def test_overdue_finding_is_marked(client, finding, township_user):
    client.force_login(township_user)
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("visits:finding", args=[finding.pk])).content.decode()
    assert 'data-testid="finding-overdue"' in html and "逾期10天" in html


def test_township_reassigns_with_a_reason(client, finding, township_user):
    colleague = user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang2", real_name="西江镇 王干事")
    client.force_login(township_user)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("visits:finding", args=[finding.pk])).content.decode()
        assert "西江镇 王干事" in page  # offered as a new owner
        response = client.post(reverse("visits:finding_reassign", args=[finding.pk]),
                               {"reassign-owner": colleague.pk, "reassign-reason": "王干事分管安全"})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.owner == colleague
    change = FindingChange.objects.get()
    assert (change.kind, change.new_value, change.reason) == ("owner", "西江镇 王干事", "王干事分管安全")
    assert AuditEvent.objects.filter(action="change", object_id=str(finding.pk)).exists()
    with pytest.raises(DatabaseError), transaction.atomic():
        FindingChange.objects.filter(pk=change.pk).update(reason="改")


def test_an_outsider_cannot_be_made_owner_and_nothing_changes(client, finding, township_user):
    outsider = user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP, username="danjiang_x")
    client.force_login(township_user)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("visits:finding_reassign", args=[finding.pk]),
                               {"reassign-owner": outsider.pk, "reassign-reason": "试试"})
    assert response.status_code == 200 and "试试" in response.content.decode()  # kept what was typed
    finding.refresh_from_db()
    assert finding.owner != outsider and not FindingChange.objects.exists()


def test_new_deadline_needs_a_reason_and_not_the_past(client, finding, township_user):
    client.force_login(township_user)
    url = reverse("visits:finding_deadline", args=[finding.pk])
    with time_machine.travel(NOW, tick=False):
        past = client.post(url, {"deadline-due_on": "2026-06-01", "deadline-reason": "等材料"})
        assert "新的办结期限不能早于今天" in past.content.decode()
        no_reason = client.post(url, {"deadline-due_on": "2026-06-30", "deadline-reason": ""})
        assert no_reason.status_code == 200
        ok = client.post(url, {"deadline-due_on": "2026-06-30", "deadline-reason": "电工下周才有空"})
        assert ok.status_code == 302
        finding.refresh_from_db()
        assert finding.due_on == dt.date(2026, 6, 30)
        html = client.get(reverse("visits:finding", args=[finding.pk])).content.decode()
    assert 'data-testid="finding-overdue"' not in html and "电工下周才有空" in html


def test_closed_with_a_photo_served_only_in_scope(client, finding, township_user):
    client.force_login(township_user)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("visits:finding", args=[finding.pk]), {
            "to_status": "closed", "note": "已请电工更换电线",
            "photos": [SimpleUploadedFile("after.png", PNG, content_type="image/png")],
        })
        assert response.status_code == 302
        finding.refresh_from_db()
        assert finding.status == "closed"
        photo = FindingPhoto.objects.get(finding=finding)
        served = client.get(reverse("visits:finding_photo", args=[photo.pk]))
        # stored as a JPEG made on the server from the uploaded PNG, served as a download
        assert served.status_code == 200 and b"".join(served.streaming_content)[:3] == b"\xff\xd8\xff"
        assert served["Content-Disposition"].startswith("attachment;")
        client.force_login(user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP, username="danjiang_y"))
        assert client.get(reverse("visits:finding_photo", args=[photo.pk])).status_code == 404


def test_closing_without_a_note_keeps_the_finding_open_and_stores_no_photo(client, finding, township_user):
    client.force_login(township_user)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("visits:finding", args=[finding.pk]), {
            "to_status": "closed", "note": "",
            "photos": [SimpleUploadedFile("after.png", io.BytesIO(PNG).read(), content_type="image/png")],
        })
    assert response.status_code == 200 and "办结时请填写办结情况" in response.content.decode()
    finding.refresh_from_db()
    assert finding.status == "open" and not FindingPhoto.objects.exists()


def test_a_cadre_cannot_reassign(client, finding, paired):
    _, cadre = paired
    client.force_login(cadre)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("visits:finding_deadline", args=[finding.pk]),
                               {"deadline-due_on": "2026-06-30", "deadline-reason": "x"})
    assert response.status_code == 403
    finding.refresh_from_db()
    assert finding.due_on == dt.date(2026, 6, 10)


def test_reassign_offers_the_cadre_and_village_committee_with_a_new_deadline_and_tells_the_new_owner(
        client, finding, township_user, paired):
    from accounts.models import Notification

    household, cadre = paired
    committee = user_with_role(Role.VILLAGE_COMMITTEE, household.village_id, username="cunwei", real_name="侯主任")
    client.force_login(township_user)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("visits:finding", args=[finding.pk])).content.decode()
        assert '<optgroup label="结对干部">' in page and '<optgroup label="村(居)民委员会">' in page
        assert f'<option value="{committee.pk}">侯主任（' in page and f'<option value="{cadre.pk}">' in page
        past = client.post(reverse("visits:finding_reassign", args=[finding.pk]), {
            "reassign-owner": committee.pk, "reassign-due_on": "2026-06-01", "reassign-reason": "村里先处理"})
        assert "新的办结期限不能早于今天" in past.content.decode()
        finding.refresh_from_db()
        assert finding.owner != committee and not FindingChange.objects.exists()
        response = client.post(reverse("visits:finding_reassign", args=[finding.pk]), {
            "reassign-owner": committee.pk, "reassign-due_on": "2026-06-30", "reassign-reason": "村里先处理"})
    assert response.status_code == 302
    finding.refresh_from_db()
    assert (finding.owner, finding.due_on) == (committee, dt.date(2026, 6, 30))
    assert sorted(FindingChange.objects.values_list("kind", "new_value")) == [
        ("deadline", "2026-06-30"), ("owner", "侯主任")]
    event = AuditEvent.objects.filter(action="change", object_id=str(finding.pk)).get()
    assert event.details["to"] == committee.pk and event.details["due_on_to"] == "2026-06-30"
    note = Notification.objects.get(recipient=committee)
    assert "王阿婆" in note.title and "2026-06-30" in note.title and household.code in note.title
