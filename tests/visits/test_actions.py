"""Recording visits, findings, pauses, special periods and policies."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Agency, AuditEvent, Role
from beneficiaries.models import Household
from tests.conftest import COUNTY, OTHER_TOWNSHIP
from tests.factories import CadreFactory, HouseholdFactory, user_with_role
from visits import actions
from visits.actions import FindingInput, visit_record
from visits.models import Escalation, Finding, FindingEvent, VisitPolicy

from .factories import VisitFactory, visit_input

pytestmark = pytest.mark.django_db
D = dt.date


def test_paired_cadre_records_a_counted_visit_and_the_due_date_moves(paired):
    household, cadre = paired
    visit = visit_record(actor=cadre, household=household,
                         data=visit_input(visited_on=D(2026, 6, 5), checklist={"health": "fair", "needs": ["rehab"]}),
                         today=D(2026, 6, 5))
    household.refresh_from_db()
    assert visit.counted and visit.health == "fair" and visit.needs == ["rehab"]
    assert household.next_due_on == D(2026, 6, 15)
    assert AuditEvent.objects.filter(object_type="visits.visit", object_id=str(visit.pk)).exists()


def test_a_visit_in_the_future_is_refused(paired):
    household, cadre = paired
    with pytest.raises(ValidationError) as exc:
        visit_record(actor=cadre, household=household, data=visit_input(visited_on=D(2026, 6, 6)), today=D(2026, 6, 5))
    assert "不能晚于今天" in str(exc.value)


def test_a_late_entry_needs_a_reason(paired):
    household, cadre = paired
    with pytest.raises(ValidationError) as exc:
        visit_record(actor=cadre, household=household, data=visit_input(visited_on=D(2026, 6, 1)), today=D(2026, 6, 5))
    assert "补录说明" in str(exc.value)
    visit = visit_record(actor=cadre, household=household,
                         data=visit_input(visited_on=D(2026, 6, 1), late_reason="山区无信号"), today=D(2026, 6, 5))
    assert visit.late_reason == "山区无信号"
    # Yesterday's visit entered this morning is not late.
    visit_record(actor=cadre, household=household, data=visit_input(visited_on=D(2026, 6, 4)), today=D(2026, 6, 5))


def test_the_same_form_posted_twice_records_one_visit(paired):
    import uuid

    household, cadre = paired
    token = uuid.uuid4()
    a = visit_record(actor=cadre, household=household, data=visit_input(visited_on=D(2026, 6, 5)),
                     client_token=token, today=D(2026, 6, 5))
    b = visit_record(actor=cadre, household=household, data=visit_input(visited_on=D(2026, 6, 5)),
                     client_token=token, today=D(2026, 6, 5))
    assert a == b and household.visits.count() == 1


def test_agency_staff_record_visits_for_their_agencys_households_only(db):
    agency = Agency.objects.create(name="雷山县社工服务中心", county_id=COUNTY)
    staff_cadre = CadreFactory(kind="agency", agency=agency)
    staff = user_with_role(Role.CADRE, staff_cadre.home_village_id)
    staff_cadre.user = staff
    staff_cadre.save()
    assigned = HouseholdFactory(agency=agency)
    other = HouseholdFactory()
    visit_record(actor=staff, household=assigned, data=visit_input(visited_on=D(2026, 6, 5)), today=D(2026, 6, 5))
    with pytest.raises(PermissionDenied):
        visit_record(actor=staff, household=other, data=visit_input(visited_on=D(2026, 6, 5)), today=D(2026, 6, 5))


def test_officials_whose_area_covers_the_household_may_record_and_others_may_not(paired, township_user):
    household, _ = paired
    visit_record(actor=township_user, household=household, data=visit_input(visited_on=D(2026, 6, 5)),
                 today=D(2026, 6, 5))
    outsider = user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP)
    with pytest.raises(PermissionDenied):
        visit_record(actor=outsider, household=household, data=visit_input(visited_on=D(2026, 6, 5)), today=D(2026, 6, 5))


def test_phone_visits_count_only_inside_a_special_period_even_when_declared_later(paired, county_user):
    household, cadre = paired
    phone = visit_record(actor=cadre, household=household, data=visit_input(visited_on=D(2026, 6, 5), mode="phone"),
                         today=D(2026, 6, 5))
    assert not phone.counted
    from accounts.models import Area

    actions.special_period_declare(actor=county_user, area=Area.objects.get(code=COUNTY), kind="epidemic",
                                   starts_on=D(2026, 6, 1), ends_on=D(2026, 6, 30), reason="疫情防控", today=D(2026, 6, 6))
    phone.refresh_from_db()
    household.refresh_from_db()
    assert phone.counted
    assert household.next_due_on == D(2026, 6, 15)
    video = visit_record(actor=cadre, household=household, data=visit_input(visited_on=D(2026, 6, 10), mode="video"),
                         today=D(2026, 6, 10))
    assert video.counted


def test_only_the_prefecture_sets_policy_and_it_recomputes_due_dates(paired, county_user):
    from accounts.models import Area

    household, cadre = paired
    VisitFactory(household=household, visited_on=D(2026, 6, 1))
    county = Area.objects.get(code=COUNTY)
    kwargs = dict(county=county, tier="A", interval_days=7, monthly_minimum=4, effective_on=D(2026, 6, 1),
                  reason="山区加密走访", today=D(2026, 6, 2))
    with pytest.raises(PermissionDenied):
        actions.policy_set(actor=county_user, **kwargs)
    bureau = user_with_role(Role.PREFECTURE, "522600000000")
    actions.policy_set(actor=bureau, **kwargs)
    household.refresh_from_db()
    assert household.next_due_on == D(2026, 6, 8)
    assert AuditEvent.objects.filter(object_type="visits.visitpolicy").exists()
    assert VisitPolicy.objects.count() == 1


def test_finding_goes_open_in_progress_closed_with_history_and_closes_its_escalation(paired, township_user):
    household, cadre = paired
    visit_record(actor=cadre, household=household, data=visit_input(visited_on=D(2026, 6, 5)),
                 findings=[FindingInput("special", "老人独居摔伤")], today=D(2026, 6, 5))
    finding = Finding.objects.get()
    assert finding.owner == cadre
    with pytest.raises(ValidationError):
        actions.finding_transition(actor=township_user, finding=finding, to_status="closed", note="", today=D(2026, 6, 6))
    actions.finding_transition(actor=township_user, finding=finding, to_status="in_progress", today=D(2026, 6, 6))
    actions.finding_transition(actor=township_user, finding=finding, to_status="closed", note="已送医并安排照料",
                               today=D(2026, 6, 7))
    finding.refresh_from_db()
    assert (finding.status, finding.closed_on) == ("closed", D(2026, 6, 7))
    assert [e.to_status for e in FindingEvent.objects.order_by("id")] == ["open", "in_progress", "closed"]
    assert Escalation.objects.get().closed_on == D(2026, 6, 7)
    with pytest.raises(ValidationError):
        actions.finding_transition(actor=township_user, finding=finding, to_status="in_progress", today=D(2026, 6, 8))


def test_finding_history_is_append_only_in_the_database(paired):
    household, cadre = paired
    visit_record(actor=cadre, household=household, data=visit_input(visited_on=D(2026, 6, 5)),
                 findings=[FindingInput("hazard", "漏电")], today=D(2026, 6, 5))
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        FindingEvent.objects.update(note="改写")


def test_one_alert_per_household_and_due_date_is_enforced_by_the_database(paired):
    from visits.models import OverdueAlert

    household, _ = paired
    OverdueAlert.objects.create(household=household, due_on=D(2026, 6, 11), opened_on=D(2026, 6, 12))
    with pytest.raises(IntegrityError), transaction.atomic():
        OverdueAlert.objects.create(household=household, due_on=D(2026, 6, 11), opened_on=D(2026, 6, 13))


def test_pause_without_end_means_no_due_date_until_it_ends(paired, township_user):
    household, cadre = paired
    VisitFactory(household=household, visited_on=D(2026, 6, 1))
    pause = actions.pause_record(actor=cadre, household=household, kind="hospital", starts_on=D(2026, 6, 3),
                                 ends_on=None, reason="县医院住院", today=D(2026, 6, 3))
    household.refresh_from_db()
    assert household.next_due_on is None
    actions.pause_end(actor=township_user, pause=pause, ends_on=D(2026, 6, 9), today=D(2026, 6, 10))
    assert Household.objects.get(pk=household.pk).next_due_on == D(2026, 6, 18)
