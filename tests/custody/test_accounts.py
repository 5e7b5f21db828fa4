"""Opening and closing accounts, electing custodians, appointing caregivers (through actions)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from beneficiaries.models import CivilCapacity
from custody import actions, queries
from custody.models import AccountStatus, Custodian
from tests.custody.factories import (
    OPENED,
    TODAY,
    candidate,
    committee_user,
    deposit,
    eligible_person,
    meeting,
    open_account,
    villager_id,
)

pytestmark = pytest.mark.django_db


def messages(exc) -> list[str]:
    return exc.value.messages


def test_opening_an_account_for_an_eligible_person(village_code):
    actor = committee_user(village_code)
    account = actions.account_open(person=eligible_person(village_code), opened_on=OPENED, reason="无监护人",
                                   actor=actor, today=TODAY)
    assert account.status == AccountStatus.OPEN
    assert account.balance_fen == 0


@pytest.mark.parametrize("person_kwargs,error", [
    ({"tier": "C"}, "所在家庭类别为“C”"),
    ({"civil_capacity": CivilCapacity.FULL}, "具有完全民事行为能力"),
    ({"guardian_name": "母亲", "guardian_can_act": True}, "能够正常履行监护职责"),
    ({"guardian_name": "母亲", "guardian_can_act": None}, "尚未登记监护人能否正常履行职责"),
])
def test_opening_for_an_ineligible_person_names_the_unmet_condition(village_code, person_kwargs, error):
    person = eligible_person(village_code, **person_kwargs)
    with pytest.raises(ValidationError) as exc:
        actions.account_open(person=person, opened_on=OPENED, reason="无监护人", actor=committee_user(village_code),
                             today=TODAY)
    assert len(messages(exc)) == 1
    assert error in messages(exc)[0]
    assert not person.custody_accounts.exists()


def test_a_person_has_one_open_account(village_code):
    account = open_account(village_code)
    with pytest.raises(ValidationError) as exc:
        actions.account_open(person=account.person, opened_on=OPENED, reason="重复", actor=None, today=TODAY)
    assert "已有在管的代管账户" in messages(exc)[0]


def test_closing_records_reason_and_final_balance_and_ends_the_terms(village_code):
    account = open_account(village_code)
    deposit(account, 12345)
    actions.account_close(account=account, closed_on=TODAY, reason="对象已由亲属监护", actor=None, today=TODAY)
    account.refresh_from_db()
    assert (account.status, account.final_balance_fen, account.closing_reason) == ("closed", 12345, "对象已由亲属监护")
    assert not account.custodians.filter(ended_on__isnull=True).exists()
    with pytest.raises(ValidationError, match="已销户"):
        deposit(account, 100)


def test_electing_a_new_custodian_keeps_the_history(village_code):
    actor = committee_user(village_code)
    account = open_account(village_code, actor)
    first = account.custodians.get()
    later = dt.date(2026, 2, 10)
    actions.custodian_elect(account=account, meeting=meeting(village_code, actor, later), candidate=candidate("龙书记", party=True, elder=False),
                            phone="", started_on=later, actor=actor, today=TODAY)
    first.refresh_from_db()
    assert first.ended_on == later
    assert list(account.custodians.order_by("started_on").values_list("name", "ended_on")) == [
        ("杨老", later), ("龙书记", None)]


def test_the_caregiver_cannot_be_elected_custodian(village_code):
    actor = committee_user(village_code)
    account = open_account(village_code, actor, custodian=False)
    caregiver = account.caregivers.get()
    with pytest.raises(ValidationError) as exc:
        actions.custodian_elect(account=account, meeting=meeting(village_code, actor),
                                candidate=candidate("吴照料", id_number=caregiver.id_number),
                                phone="", started_on=OPENED, actor=actor, today=TODAY)
    assert messages(exc) == ["吴照料 是该对象现任照料护理人，代管人不能同时担任照料护理人。"]
    assert not account.custodians.exists()


def test_the_custodian_cannot_be_appointed_caregiver(village_code):
    actor = committee_user(village_code)
    account = open_account(village_code, actor, caregiver=False)
    custodian = account.custodians.get()
    with pytest.raises(ValidationError) as exc:
        actions.caregiver_appoint(account=account, name="杨老", id_number=custodian.id_number, phone="", relation="",
                                  started_on=OPENED, actor=actor, today=TODAY)
    assert messages(exc) == ["杨老 是该对象现任保障资金代管人，照料护理人不能由代管人担任。"]


def test_for_a_minor_the_procedure_and_wishes_are_stored(village_code):
    actor = committee_user(village_code)
    child = eligible_person(village_code, birth_date=dt.date(2015, 3, 1))
    account = open_account(village_code, actor, person=child, custodian=False)
    with pytest.raises(ValidationError, match="未成年人"):
        actions.custodian_elect(account=account, meeting=meeting(village_code, actor), candidate=candidate(),
                                phone="", started_on=OPENED, actor=actor, today=TODAY)
    custodian = actions.custodian_elect(
        account=account, meeting=meeting(village_code, actor),
        candidate=candidate(procedure="经县人民法院指定监护程序", wishes="本人表示愿意由杨老代管"),
        phone="", started_on=OPENED, actor=actor, today=TODAY)
    assert custodian.legal_procedure == "经县人民法院指定监护程序"


def test_the_database_refuses_a_custodian_who_is_neither_party_member_nor_elder(village_code):
    account = open_account(village_code, custodian=False)
    with pytest.raises(IntegrityError):
        Custodian.objects.create(account=account, meeting=meeting(village_code, None), name="某", id_number=villager_id(),
                                 started_on=OPENED)


def test_who_held_each_role_on_each_date_shows_on_the_statement(village_code):
    actor = committee_user(village_code)
    account = open_account(village_code, actor)
    deposit(account, 10000, on=dt.date(2026, 1, 10))
    actions.caregiver_appoint(account=account, name="潘新", id_number=villager_id(dt.date(1980, 1, 1)), phone="",
                              relation="", started_on=dt.date(2026, 2, 1), actor=actor, today=TODAY)
    deposit(account, 10000, on=dt.date(2026, 1, 31))
    deposit(account, 10000, on=dt.date(2026, 2, 1))
    rows = list(queries.statement_entries(account))
    assert [r.caregiver_on_date for r in rows] == ["吴照料", "吴照料", "潘新"]
    assert {r.custodian_on_date for r in rows} == {"杨老"}


def test_the_actions_check_their_actor_so_no_caller_can_skip_it(village_code, other_village_code):
    """Permission checks live in custody's actions, not only in its views (imports, API, admin)."""
    from django.core.exceptions import PermissionDenied

    from accounts.models import Role
    from tests.factories import cadre_user, user_with_role

    account = open_account(village_code)
    for outsider in (cadre_user("custody_cadre")[0], user_with_role(Role.COUNTY, "522634000000"),
                     committee_user(other_village_code)):
        with pytest.raises(PermissionDenied):
            deposit(account, 100, actor=outsider)
    assert deposit(account, 100, actor=committee_user(village_code)).entry.amount_fen == 100
