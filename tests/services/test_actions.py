import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import ProgrammingError, transaction

from accounts.models import AuditEvent, Role
from services import actions
from services.models import Referral, ReferralEvent, ReferralStatus
from services.reference import FIELDS
from tests.conftest import COUNTY, TOWNSHIP
from tests.factories import user_with_role
from tests.services.factories import at, department, field, liaison, make_referral, paired_household

pytestmark = pytest.mark.django_db
S = ReferralStatus


@pytest.mark.parametrize(("code", "lead"), [(f[1], f[3][0]) for f in FIELDS])
def test_a_referral_goes_to_the_lead_unit_of_its_field(code, lead):
    household, cadre = paired_household()
    referral = make_referral(actor=cadre, household=household, field_code=code)
    assert referral.department.code == lead
    assert referral.rerouted is False


def test_the_sender_can_route_to_another_unit_and_it_is_recorded():
    household, cadre = paired_household()
    referral = make_referral(actor=cadre, household=household, field_code="other-assistance",
                             department=department("disabled-federation"))
    assert referral.department.name == "州残联"
    assert referral.rerouted is True
    assert AuditEvent.objects.filter(object_type="services.referral", object_id=str(referral.pk),
                                     details__rerouted=True).exists()


def test_the_contact_defaults_to_the_heads_phone_and_the_first_event_is_the_submission():
    household, cadre = paired_household()
    referral = make_referral(actor=cadre, household=household)
    assert referral.contact == "13912345678"
    event = referral.events.get()
    assert (event.action, event.to_status, event.actor) == ("submit", S.SUBMITTED, cadre)


def test_an_empty_problem_is_refused_and_nothing_is_saved():
    household, cadre = paired_household()
    with pytest.raises(ValidationError) as exc:
        make_referral(actor=cadre, household=household, problem="  ")
    assert "请填写困难和诉求。" in exc.value.message_dict["problem"]
    assert not Referral.objects.exists()


def test_someone_who_cannot_reach_the_household_cannot_refer_it():
    household, _cadre = paired_household()
    with pytest.raises(PermissionDenied):
        make_referral(actor=liaison(), household=household)


PATHS = {
    S.SUBMITTED: [],
    S.ACCEPTED: [S.ACCEPTED],
    S.IN_PROGRESS: [S.ACCEPTED, S.IN_PROGRESS],
    S.RESOLVED: [S.ACCEPTED, S.IN_PROGRESS, S.RESOLVED],
    S.DECLINED: [S.DECLINED],
}
LEGAL = {
    (S.SUBMITTED, S.ACCEPTED), (S.SUBMITTED, S.DECLINED),
    (S.ACCEPTED, S.IN_PROGRESS), (S.ACCEPTED, S.RESOLVED), (S.ACCEPTED, S.DECLINED),
    (S.IN_PROGRESS, S.RESOLVED), (S.IN_PROGRESS, S.DECLINED),
}


def _bring_to(referral, status, actor, now):
    for step in PATHS[status]:
        referral = actions.referral_transition(actor=actor, referral=referral, to_status=step, note="说明", now=now)
    return referral


@pytest.mark.parametrize("current", list(PATHS))
@pytest.mark.parametrize("target", list(S.values))
def test_every_transition_is_allowed_or_refused_with_a_clear_error(current, target):
    household, cadre = paired_household()
    yibao = liaison()
    now = at(2026, 3, 2)
    referral = _bring_to(make_referral(actor=cadre, household=household, now=now), current, yibao, now)
    events_before = referral.events.count()
    later = now + dt.timedelta(hours=2)
    if (current, target) in LEGAL:
        result = actions.referral_transition(actor=yibao, referral=referral, to_status=target, note="已核实", now=later)
        assert result.status == target
        event = result.events.last()
        assert (event.from_status, event.to_status, event.actor, event.at) == (current, target, yibao, later)
        assert (result.closed_at == later) == (target in (S.RESOLVED, S.DECLINED))
    else:
        with pytest.raises(ValidationError) as exc:
            actions.referral_transition(actor=yibao, referral=referral, to_status=target, note="已核实", now=later)
        assert "不能从" in str(exc.value)
        referral.refresh_from_db()
        assert referral.status == current
        assert referral.events.count() == events_before


def test_resolving_needs_the_outcome_and_declining_the_reason():
    household, cadre = paired_household()
    yibao = liaison()
    referral = make_referral(actor=cadre, household=household)
    with pytest.raises(ValidationError) as exc:
        actions.referral_transition(actor=yibao, referral=referral, to_status=S.DECLINED, note=" ", now=at(2026, 3, 3))
    assert "不予受理时请填写理由。" in exc.value.message_dict["note"]
    referral = actions.referral_transition(actor=yibao, referral=referral, to_status=S.ACCEPTED, now=at(2026, 3, 3))
    with pytest.raises(ValidationError) as exc:
        actions.referral_transition(actor=yibao, referral=referral, to_status=S.RESOLVED, now=at(2026, 3, 3))
    assert "办结时请填写办理结果。" in exc.value.message_dict["note"]
    assert Referral.objects.get().status == S.ACCEPTED


def test_only_a_liaison_of_the_receiving_department_may_act():
    household, cadre = paired_household()
    referral = make_referral(actor=cadre, household=household)
    for outsider in (liaison("education"), cadre, user_with_role(Role.COUNTY, COUNTY)):
        with pytest.raises(PermissionDenied):
            actions.referral_transition(actor=outsider, referral=referral, to_status=S.ACCEPTED, now=at(2026, 3, 3))
    assert Referral.objects.get().status == S.SUBMITTED


def test_a_stale_second_submit_is_refused():
    household, cadre = paired_household()
    yibao = liaison()
    referral = make_referral(actor=cadre, household=household)
    stale = Referral.objects.get(pk=referral.pk)
    actions.referral_transition(actor=yibao, referral=referral, to_status=S.ACCEPTED, now=at(2026, 3, 3))
    with pytest.raises(ValidationError, match="已被他人处理"):
        actions.referral_transition(actor=yibao, referral=stale, to_status=S.ACCEPTED, now=at(2026, 3, 3))
    assert referral.events.filter(action="accept").count() == 1


def test_the_timeline_is_append_only():
    household, cadre = paired_household()
    referral = make_referral(actor=cadre, household=household)
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        ReferralEvent.objects.filter(referral=referral).update(note="改写")
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        ReferralEvent.objects.filter(referral=referral).delete()


# --- deadlines and escalation -----------------------------------------------------------------


def test_a_referral_sent_before_national_day_is_escalated_only_after_the_working_days_run_out():
    household, cadre = paired_household()
    # 饮水保障: 5 working days. Sent Tuesday 30 September 2025; 1–8 October are holidays and
    # Saturday 11 October is a make-up working day → due at the end of Tuesday 14 October.
    referral = make_referral(actor=cadre, household=household, field_code="drinking-water", now=at(2025, 9, 30, 16))
    assert referral.due_at == at(2025, 10, 15, 0, 0)

    with time_machine.travel(at(2025, 10, 14, 23, 59), tick=False):
        from django.utils import timezone

        assert actions.referrals_escalate_overdue(now=timezone.now()) == 0
    with time_machine.travel(at(2025, 10, 15, 7, 10), tick=False):
        assert actions.referrals_escalate_overdue(now=timezone.now()) == 1
        assert actions.referrals_escalate_overdue(now=timezone.now()) == 0  # once only
    referral.refresh_from_db()
    assert referral.escalated_to_id == COUNTY
    assert referral.escalated_at == at(2025, 10, 15, 7, 10)
    event = referral.events.get(action="escalate")
    assert event.actor is None and "雷山县" in event.note


def test_the_county_office_is_notified_once_of_a_late_referral():
    from accounts.models import Notification, Role
    from tests.factories import user_with_role

    county_officer = user_with_role(Role.COUNTY, COUNTY, username="leishan_late")
    household, cadre = paired_household()
    referral = make_referral(actor=cadre, household=household, field_code="drinking-water", now=at(2025, 9, 30, 16))
    actions.referrals_escalate_overdue(now=at(2025, 10, 15, 7, 10))
    actions.referrals_escalate_overdue(now=at(2025, 10, 16, 7, 10))
    note = Notification.objects.get(recipient=county_officer)
    assert note.url == f"/services/referrals/{referral.pk}/"
    assert note.household == household


def test_an_urgent_referral_is_escalated_after_24_hours():
    household, cadre = paired_household()
    referral = make_referral(actor=cadre, household=household, urgent=True, now=at(2025, 10, 1, 9))
    assert actions.referrals_escalate_overdue(now=at(2025, 10, 2, 8, 59)) == 0
    assert actions.referrals_escalate_overdue(now=at(2025, 10, 2, 9, 0)) == 1
    referral.refresh_from_db()
    assert referral.escalated_to_id == COUNTY


def test_a_resolved_or_declined_referral_is_never_escalated():
    household, cadre = paired_household()
    yibao = liaison()
    referral = make_referral(actor=cadre, household=household, now=at(2026, 3, 2))
    actions.referral_transition(actor=yibao, referral=referral, to_status=S.DECLINED, note="不符合条件",
                                now=at(2026, 3, 3))
    assert actions.referrals_escalate_overdue(now=at(2026, 6, 1)) == 0


def test_the_prefecture_changes_a_fields_deadline_and_routing_and_it_is_audited():
    zhou = user_with_role(Role.PREFECTURE, "522600000000")
    medical = field("medical-aid")
    actions.field_update(actor=zhou, field=medical, route_to=department("civil-affairs"), deadline_days=3)
    medical.refresh_from_db()
    assert (medical.route_to.code, medical.deadline_days) == ("civil-affairs", 3)
    assert AuditEvent.objects.filter(object_type="services.field", details__changes__deadline_days=[10, 3]).exists()
    with pytest.raises(PermissionDenied):
        actions.field_update(actor=user_with_role(Role.TOWNSHIP, TOWNSHIP), field=medical,
                             route_to=department("medical-security"), deadline_days=10)


# --- urgent cases ------------------------------------------------------------------------------


def test_a_township_records_a_case_conference_and_a_one_case_decision_on_the_household():
    household, cadre = paired_household()
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    referral = make_referral(actor=cadre, household=household, field_code="basic-living", urgent=True)
    today = dt.date(2026, 3, 2)
    conference = actions.case_conference_record(
        actor=township, household=household, held_on=today, participants="镇民政办、卫生院、村委会",
        topic="突发重病急需救助", decision="启动临时救助快速审批", referral=referral, today=today)
    decision = actions.one_case_decision_record(
        actor=township, household=household, decided_on=today, matter="住院押金", decision="给予临时救助",
        approved_by="西江镇 李镇长", amount_fen=300000, referral=referral, today=today)
    assert household.case_conferences.get() == conference and household.one_case_decisions.get() == decision
    assert AuditEvent.objects.filter(object_type="services.onecasedecision", details__amount_fen=300000).exists()


def test_urgent_case_records_are_for_officials_and_not_dated_in_the_future():
    household, cadre = paired_household()
    today = dt.date(2026, 3, 2)
    with pytest.raises(PermissionDenied):
        actions.case_conference_record(actor=cadre, household=household, held_on=today, participants="甲",
                                       topic="乙", decision="丙", today=today)
    with pytest.raises(ValidationError) as exc:
        actions.one_case_decision_record(actor=user_with_role(Role.COUNTY, COUNTY), household=household,
                                         decided_on=today + dt.timedelta(days=1), matter="甲", decision="乙",
                                         approved_by="丙", today=today)
    assert "议定日期不能晚于今天。" in exc.value.message_dict["decided_on"]
