"""A second press of a finding's forms (办结, 改派, 新期限) lands on the finding's page with
"此操作已完成", never on a form error or an error page; nothing is recorded twice."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Role
from tests.conftest import TOWNSHIP
from tests.factories import user_with_role
from tests.visits.factories import visit_input
from visits.actions import FindingInput, visit_record
from visits.models import Finding, FindingChange, FindingEvent

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 6, 5, 9, tzinfo=TZ)


@pytest.fixture
def finding(paired):
    household, cadre = paired
    visit_record(actor=cadre, household=household, data=visit_input(visited_on=dt.date(2026, 6, 1)),
                 findings=[FindingInput(kind="hazard", description="厨房电线老化裸露", due_on=dt.date(2026, 6, 10))],
                 today=dt.date(2026, 6, 1))
    return Finding.objects.get()


def _twice(client, url, data):
    with time_machine.travel(NOW, tick=False):
        first = client.post(url, data)
        second = client.post(url, data, follow=True)
    return first, second


def test_closing_twice_shows_the_closed_finding(client, finding, township_user):
    client.force_login(township_user)
    url = reverse("visits:finding", args=[finding.pk])
    first, second = _twice(client, url, {"to_status": "closed", "note": "已请电工更换电线"})
    assert first.status_code == 302
    assert second.status_code == 200 and second.redirect_chain[-1][0] == url
    assert "此操作已完成" in second.content.decode()
    assert FindingEvent.objects.filter(finding=finding, to_status="closed").count() == 1


def test_reassigning_twice_and_the_same_deadline_twice_are_done_once(client, finding, township_user):
    colleague = user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang2", real_name="西江镇 王干事")
    client.force_login(township_user)
    url = reverse("visits:finding_reassign", args=[finding.pk])
    first, second = _twice(client, url, {"reassign-owner": colleague.pk, "reassign-reason": "王干事分管安全",
                                         "reassign-due_on": "2026-06-20"})
    assert first.status_code == 302
    assert second.status_code == 200 and "此操作已完成" in second.content.decode()
    assert FindingChange.objects.filter(finding=finding, kind="owner").count() == 1
    changes = FindingChange.objects.filter(finding=finding).count()
    deadline = reverse("visits:finding_deadline", args=[finding.pk])
    first, again = _twice(client, deadline, {"deadline-due_on": "2026-06-25", "deadline-reason": "等材料"})
    assert first.status_code == 302
    assert again.status_code == 200 and "此操作已完成" in again.content.decode()
    assert FindingChange.objects.filter(finding=finding).count() == changes + 1


def test_a_reassignment_after_closing_says_what_holds(client, finding, township_user):
    client.force_login(township_user)
    with time_machine.travel(NOW, tick=False):
        client.post(reverse("visits:finding", args=[finding.pk]), {"to_status": "closed", "note": "已修好"})
        response = client.post(reverse("visits:finding_reassign", args=[finding.pk]),
                               {"reassign-owner": township_user.pk, "reassign-reason": "改派"}, follow=True)
    assert response.status_code == 200 and "已办结" in response.content.decode()


def test_ending_a_pause_twice_answers_the_households_page(client, paired, township_user):
    from visits.models import Pause

    household, _cadre = paired
    pause = Pause.objects.create(household=household, kind="hospital", starts_on=dt.date(2026, 6, 1), ends_on=None,
                                 reason="住院", created_by=township_user)
    client.force_login(township_user)
    url = reverse("visits:pause_end", args=[pause.pk])
    first, second = _twice(client, url, {"ends_on": "2026-06-04"})
    assert first.status_code == 302
    assert second.status_code == 200 and "此操作已完成" in second.content.decode()
    pause.refresh_from_db()
    assert pause.ends_on == dt.date(2026, 6, 4)


def test_the_cadre_closing_twice_sees_the_closed_finding(client, finding, paired):
    _household, cadre = paired
    client.force_login(cadre)  # the paired fixture gives the cadre's login
    url = reverse("visits:finding", args=[finding.pk])
    first, second = _twice(client, url, {"to_status": "closed", "note": "已请电工更换电线"})
    assert first.status_code == 302
    assert second.status_code == 200 and "此操作已完成" in second.content.decode()
    assert FindingEvent.objects.filter(finding=finding, to_status="closed").count() == 1
