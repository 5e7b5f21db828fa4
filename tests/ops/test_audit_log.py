"""The audit page: county and prefecture read who viewed, revealed, exported or changed the records
of their own area, by person, user, type and date; paged; the rows are never deleted."""

import datetime as dt

import pytest
import time_machine
from django.db import DatabaseError, transaction
from django.urls import reverse

from accounts import audit
from accounts.actions import audit_record
from accounts.models import Area, AreaLevel, AuditAction, AuditEvent, Role
from tests.factories import HouseholdFactory, PersonFactory, user_with_role
from tests.services.factories import make_referral, paired_household

pytestmark = pytest.mark.django_db

PREFECTURE = "522600000000"
LEISHAN = "522634000000"
KAILI = "522601000000"
TOWNSHIP = "522634101000"


@pytest.fixture
def people():
    kaili_village = Area.objects.filter(code__startswith="522601", level=AreaLevel.VILLAGE).order_by("code").first()
    here = PersonFactory(name="王阿婆")
    there = PersonFactory(name="李阿公", household=HouseholdFactory(village=kaili_village))
    return here, there


@pytest.fixture
def readers():
    return {
        "county": user_with_role(Role.COUNTY, LEISHAN, username="leishan", real_name="吴科长"),
        "prefecture": user_with_role(Role.PREFECTURE, PREFECTURE, username="zhou"),
        "township": user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang", real_name="李干事"),
    }


def test_a_county_reads_the_events_of_its_own_area_only(people, readers):
    here, there = people
    clerk = readers["township"]
    audit_record(actor=clerk, action=AuditAction.VIEW, obj=here.household)
    audit_record(actor=clerk, action=AuditAction.REVEAL, obj=here, details={"household": here.household_id})
    audit_record(actor=clerk, action=AuditAction.VIEW, obj=there.household)
    audit_record(actor=clerk, action=AuditAction.EXPORT, object_type="visits.overdue_report", object_repr="逾期清单",
                 details={"area": TOWNSHIP})
    audit_record(actor=clerk, action=AuditAction.EXPORT, object_type="visits.overdue_report", object_repr="凯里清单",
                 details={"area": KAILI})
    county = [(e.action, e.object_repr) for e in audit.events_for(readers["county"])]
    shown = audit.with_display(list(audit.events_for(readers["county"])))
    assert {e.area_code[:6] for e in shown} == {"522634"}
    assert ("view", str(here.household)) in county and ("reveal", str(here)) in county
    assert ("export", "逾期清单") in county
    assert ("view", str(there.household)) not in county and ("export", "凯里清单") not in county
    assert len(audit.events_for(readers["prefecture"])) == 5


def test_who_touched_one_persons_record_includes_their_households_visits_and_referrals(readers):
    household, cadre = paired_household()
    other, _cadre = paired_household(username="cadre2")
    referral = make_referral(actor=cadre, household=household)
    make_referral(actor=_cadre, household=other)
    audit_record(actor=readers["township"], action=AuditAction.VIEW, obj=referral)
    events = audit.with_display(list(audit.events_for(readers["county"], household_ids=[household.pk])))
    assert {e.object_type for e in events} == {"services.referral"}
    assert {e.household_pk for e in events} == {household.pk}
    assert len(events) == 2  # the creation and the view; the other household's referral is not there


def test_the_page_filters_by_person_user_action_and_date(client, people, readers):
    here, there = people
    clerk = readers["township"]
    with time_machine.travel(dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)):
        audit_record(actor=clerk, action=AuditAction.VIEW, obj=here.household)
    audit_record(actor=clerk, action=AuditAction.REVEAL, obj=here)
    audit_record(actor=readers["county"], action=AuditAction.VIEW, obj=here.household)
    client.force_login(readers["county"])
    url = reverse("accounts:audit_log")

    page = client.get(url, {"person": "王阿婆", "action": "reveal"})
    assert page.status_code == 200 and page.context["person_matches"] == 1
    assert [(e.actor, e.action) for e in page.context["page"]] == [(clerk, "reveal")]
    assert "查看完整证件号" in page.content.decode()

    by_user = client.get(url, {"user": "李干事", "person": here.household.code})
    assert {e.actor for e in by_user.context["page"]} == {clerk} and len(by_user.context["page"]) == 2
    in_november = client.get(url, {"person": "王阿婆", "since": "2026-11-01", "until": "2026-11-03"})
    assert [e.action for e in in_november.context["page"]] == ["view"]
    nobody = client.get(url, {"person": "李阿公"})  # in 凯里市: not the county's person
    assert nobody.context["person_matches"] == 0 and len(nobody.context["page"]) == 0
    bad = client.get(url, {"since": "2026-11-05", "until": "2026-11-01"})
    assert "截止日期不能早于起始日期" in bad.content.decode()
    # Reading the log is itself audited.
    assert AuditEvent.objects.filter(actor=readers["county"], object_type="accounts.auditevent").count() == 4


def test_the_page_is_paged_and_only_for_county_and_prefecture(client, people, readers):
    here, _there = people
    AuditEvent.objects.bulk_create([
        AuditEvent(actor=readers["township"], action=AuditAction.VIEW, object_type="beneficiaries.person",
                   object_id=str(here.pk), object_repr=f"第{i}次") for i in range(120)])
    client.force_login(readers["prefecture"])
    first = client.get(reverse("accounts:audit_log"), {"type": "beneficiaries.person"})
    assert first.context["page"].paginator.count == 120 and len(first.context["page"]) == 50
    third = client.get(reverse("accounts:audit_log"), {"type": "beneficiaries.person", "page": 3})
    assert len(third.context["page"]) == 20
    for role in ("township",):
        client.force_login(readers[role])
        assert client.get(reverse("accounts:audit_log")).status_code == 404
    cadre = paired_household(username="cadre9")[1]
    client.force_login(cadre)
    assert client.get(reverse("accounts:audit_log")).status_code == 404


def test_audit_rows_are_never_deleted_not_even_by_the_owner(people, readers):
    audit_record(actor=readers["township"], action=AuditAction.VIEW, obj=people[0].household)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.update(object_repr="x")
    assert AuditEvent.objects.count() >= 1
    # (tests/ops/test_db_roles.py: the application role may not even try — DELETE is not granted.)
