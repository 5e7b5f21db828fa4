"""Roster actions: classification history, exit, pairings and their constraint, reassignment,
ID reveal, plan."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import AuditEvent, Role
from beneficiaries import actions, idnumber
from beneficiaries.models import Classification, Household, Pairing
from tests.conftest import OTHER_TOWNSHIP
from tests.factories import (
    CadreFactory,
    HouseholdFactory,
    PairingFactory,
    PersonFactory,
    cadre_user,
    user_with_role,
)

from .factories import county_officer, other_township_official, township_official

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)


def tekun_household(**kw):
    hh = HouseholdFactory(tier="", criteria=[], tier_since=None, **kw)
    PersonFactory(household=hh, benefit_status="tekun", support_mode="dispersed", self_care="none")
    return hh


def test_confirming_the_suggestion_sets_the_tier_and_keeps_the_decision():
    officer = county_officer()
    hh = tekun_household()
    c = actions.classification_confirm(actor=officer, household=hh, tier="A", criteria=["A1"], reason="", today=TODAY)
    hh.refresh_from_db()
    assert (hh.tier, hh.criteria, hh.tier_since) == ("A", ["A1"], TODAY)
    assert (c.suggested_tier, c.suggested_criteria, c.from_tier, c.is_override) == ("A", ["A1"], "", False)
    assert AuditEvent.objects.filter(object_id=str(hh.pk), action="change").exists()


def test_an_override_needs_a_reason_and_is_kept_with_it():
    officer = county_officer()
    hh = tekun_household()
    with pytest.raises(ValidationError, match="不一致"):
        actions.classification_confirm(actor=officer, household=hh, tier="A", criteria=["A1", "A3"], reason="", today=TODAY)
    assert not Classification.objects.exists()
    actions.classification_confirm(actor=officer, household=hh, tier="A", criteria=["A1"], reason="", today=TODAY)
    later = date(2026, 9, 1)
    c = actions.classification_confirm(actor=officer, household=hh, tier="B", criteria=["B4"], reason="已入住敬老院，照料困难仍大", today=later)
    hh.refresh_from_db()
    assert (hh.tier, hh.tier_since) == ("B", later)
    assert c.from_tier == "A" and c.is_override
    assert list(Classification.objects.filter(household=hh).values_list("tier", flat=True)) == ["B", "A"]


def test_the_classification_history_cannot_be_edited_or_deleted():
    officer = county_officer()
    hh = tekun_household()
    c = actions.classification_confirm(actor=officer, household=hh, tier="A", criteria=["A1"], reason="", today=TODAY)
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        Classification.objects.filter(pk=c.pk).update(reason="改过")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        Classification.objects.filter(pk=c.pk).delete()


def test_only_county_staff_confirm_tiers():
    hh = tekun_household()
    with pytest.raises(ValidationError):
        actions.classification_confirm(actor=township_official(), household=hh, tier="A", criteria=["A1"], reason="", today=TODAY)


def test_exit_is_a_status_with_a_reason_and_ends_the_pairing():
    officer = county_officer()
    pairing = PairingFactory()
    hh = pairing.household
    with pytest.raises(ValidationError):
        actions.household_exit(actor=officer, household=hh, reason=" ", today=TODAY)
    actions.household_exit(actor=officer, household=hh, reason="户主去世", today=TODAY)
    hh.refresh_from_db()
    pairing.refresh_from_db()
    assert (hh.status, hh.exited_on, hh.exit_reason) == ("exited", TODAY, "户主去世")
    assert pairing.ended_on == TODAY
    assert Household.objects.filter(pk=hh.pk).exists()
    with pytest.raises(ValidationError):
        actions.household_exit(actor=officer, household=hh, reason="again", today=TODAY)


def test_the_database_allows_one_active_pairing_per_household():
    pairing = PairingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Pairing.objects.create(household=pairing.household, cadre=CadreFactory(), relation="kin", started_on=TODAY)


def test_pairing_a_paired_household_is_refused_in_chinese():
    officer = county_officer()
    pairing = PairingFactory()
    with pytest.raises(ValidationError, match="已有结对干部"):
        actions.pairing_create(actor=officer, household=pairing.household, cadre=CadreFactory(), relation="kin", started_on=TODAY)


def test_a_pairing_ends_once_with_a_reason():
    officer = county_officer()
    pairing = PairingFactory()
    actions.pairing_end(actor=officer, pairing=pairing, ended_on=TODAY, reason="工作调动")
    with pytest.raises(ValidationError):
        actions.pairing_end(actor=officer, pairing=pairing, ended_on=TODAY, reason="工作调动")
    new = actions.pairing_create(actor=officer, household=pairing.household, cadre=CadreFactory(), relation="kin", started_on=TODAY)
    assert new.is_active


def test_bulk_reassignment_moves_every_active_pairing_and_keeps_the_history():
    officer = township_official()
    leaving = CadreFactory()
    receiving = CadreFactory()
    for _ in range(3):
        PairingFactory(cadre=leaving)
    moved = actions.pairings_reassign(actor=officer, from_cadre=leaving, to_cadre=receiving, today=TODAY,
                                      reason="调离", cadre_leaves=True)
    assert moved == 3
    assert Pairing.objects.filter(cadre=receiving, ended_on__isnull=True, started_on=TODAY).count() == 3
    assert Pairing.objects.filter(cadre=leaving, ended_on=TODAY, end_reason="调离").count() == 3
    leaving.refresh_from_db()
    assert not leaving.active and leaving.left_on == TODAY


def test_the_receiving_cadre_must_be_in_the_officers_scope(other_village_code):
    officer = township_official()
    leaving = CadreFactory()
    PairingFactory(cadre=leaving)
    outsider = CadreFactory(home_village_id=other_village_code)
    with pytest.raises(ValidationError, match="不在您负责的区域内"):
        actions.pairings_reassign(actor=officer, from_cadre=leaving, to_cadre=outsider, today=TODAY, reason="调离")
    assert Pairing.objects.filter(cadre=leaving, ended_on__isnull=True).count() == 1


def test_revealing_an_id_number_is_for_officials_and_audited():
    person = PersonFactory()
    officer = township_official()
    assert actions.id_reveal(actor=officer, person=person) == person.id_number
    assert AuditEvent.objects.filter(action="reveal", object_id=str(person.pk), actor=officer).count() == 1
    cadre, _ = cadre_user("c9")
    with pytest.raises(ValidationError):
        actions.id_reveal(actor=cadre, person=person)
    village = user_with_role(Role.VILLAGE_COMMITTEE, person.household.village_id)
    with pytest.raises(ValidationError):
        actions.id_reveal(actor=village, person=person)


def test_person_facts_come_from_the_id_number_and_audits_never_hold_it():
    officer = county_officer()
    hh = HouseholdFactory()
    number = idnumber.make("52263420100315002")
    p = actions.person_save(actor=officer, household=hh, today=TODAY, data={
        "name": "王五", "id_number": f" {number[:9]} {number[9:].lower()}", "relation": "child"})
    assert (p.id_number, p.birth_date, p.sex) == (number, date(2010, 3, 15), "F")
    event = AuditEvent.objects.filter(object_id=str(p.pk)).latest("id")
    assert p.id_number not in str(event.details)


def test_a_household_cannot_be_created_in_another_township():
    officer = township_official()
    from accounts.models import Area

    other = Area.objects.filter(parent_id=OTHER_TOWNSHIP).first()
    with pytest.raises(ValidationError):
        actions.household_create(actor=officer, code="X1", village=other)
    assert other_township_official() is not None


def test_the_paired_cadre_may_keep_the_plan():
    user, cadre = cadre_user("c1")
    hh = PairingFactory(cadre=cadre).household
    plan = actions.careplan_save(actor=user, household=hh, data={"problems": "屋顶漏雨", "measures": "申请危房改造", "responsible": "张敏"})
    assert plan.status == "draft" and plan.updated_by == user
    stranger, _ = cadre_user("c2")
    with pytest.raises(ValidationError):
        actions.careplan_save(actor=stranger, household=hh, data={"problems": "x", "measures": "y", "responsible": "z"})


def test_pairing_and_a_tier_change_move_the_stored_due_date_at_once():
    import time_machine

    officer = county_officer()
    hh = tekun_household()
    with time_machine.travel(TODAY, tick=False):
        actions.classification_confirm(actor=officer, household=hh, tier="C", criteria=["C2"],
                                       reason="县里认定的边缘户", today=TODAY)
        actions.pairing_create(actor=officer, household=hh, cadre=CadreFactory(), relation="kin", started_on=TODAY)
    hh.refresh_from_db()
    assert hh.next_due_on == date(2026, 7, 15)  # tier C: 30 days after the pairing started
    raised_on = date(2026, 6, 19)
    with time_machine.travel(raised_on, tick=False):
        actions.classification_confirm(actor=officer, household=hh, tier="A", criteria=["A1"], reason="", today=raised_on)
    hh.refresh_from_db()
    assert hh.next_due_on == date(2026, 6, 29)  # the earlier of 07-15 and 06-19 + 10 days
