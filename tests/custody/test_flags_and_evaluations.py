"""Anomaly flags (computed in SQL for all accounts at once), duty evaluations and replacements."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Area, Role
from beneficiaries.models import SelfCare
from custody import actions, queries
from custody.models import CustodyAccount, Replacement
from tests.conftest import TOWNSHIP
from tests.custody.factories import TODAY, committee_user, deposit, open_account, villager_id, withdraw
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def flags(account, today=TODAY) -> list[str]:
    annotated = queries.with_flags(CustodyAccount.objects.filter(pk=account.pk), today).get()
    return [name for name in queries.FLAG_LABELS if getattr(annotated, name)]


def test_a_healthy_account_has_no_flags(village_code):
    account = open_account(village_code, opened_on=dt.date(2026, 2, 1))
    deposit(account, 60000, on=dt.date(2026, 3, 1))
    withdraw(account, 20000, on=dt.date(2026, 3, 5))
    assert flags(account) == []


def test_a_receipt_number_or_a_photo_is_a_receipt(village_code):
    account = open_account(village_code, opened_on=dt.date(2026, 2, 1))
    deposit(account, 60000, on=dt.date(2026, 3, 1))
    withdraw(account, 2000, on=dt.date(2026, 3, 5), receipt="R-7", photo=False)
    withdraw(account, 2000, on=dt.date(2026, 3, 6), receipt="", photo=True)
    assert flags(account) == []


def test_withdrawal_without_receipt_is_flagged_until_reversed(village_code):
    account = open_account(village_code, opened_on=dt.date(2026, 2, 1))
    deposit(account, 60000, on=dt.date(2026, 3, 1))
    posting = withdraw(account, 2000, on=dt.date(2026, 3, 5), receipt="", photo=False)
    assert flags(account) == ["flag_no_receipt"]
    import uuid

    actions.ledger_reverse(entry=posting.entry, reason="未取得票据，退回", entry_date=TODAY,
                           idempotency_key=uuid.uuid4(), actor=None, today=TODAY)
    assert flags(account) == []


def test_a_withdrawal_larger_than_two_months_of_deposits_is_flagged(village_code):
    account = open_account(village_code, opened_on=dt.date(2025, 10, 1))
    deposit(account, 50000, on=dt.date(2025, 11, 1))  # older than two months before the withdrawal
    deposit(account, 10000, on=dt.date(2026, 2, 1))
    deposit(account, 10000, on=dt.date(2026, 3, 1))
    withdraw(account, 20000, on=dt.date(2026, 3, 2))
    assert "flag_large_withdrawal" not in flags(account)
    withdraw(account, 20001, on=dt.date(2026, 3, 3))
    assert "flag_large_withdrawal" in flags(account)


def test_no_deposit_for_two_months_is_flagged(village_code):
    account = open_account(village_code, opened_on=dt.date(2025, 12, 1))
    deposit(account, 10000, on=dt.date(2026, 1, 16))
    assert "flag_no_deposit" not in flags(account, dt.date(2026, 3, 16))
    assert "flag_no_deposit" in flags(account, dt.date(2026, 3, 17))


def test_balance_above_the_county_ceiling_is_flagged(village_code):
    account = open_account(village_code, opened_on=dt.date(2026, 3, 1))
    deposit(account, 500001, on=dt.date(2026, 3, 1))
    assert "flag_over_ceiling" not in flags(account)  # default ceiling 20 000 元
    county = Area.objects.get(code=village_code[:6] + "000000")
    actions.policy_set(county=county, balance_ceiling_fen=500000, actor=None)
    assert "flag_over_ceiling" in flags(account)


def test_an_account_without_a_check_for_three_months_is_flagged(village_code):
    account = open_account(village_code, opened_on=dt.date(2025, 12, 1))
    deposit(account, 10000, on=dt.date(2026, 3, 1))
    assert flags(account, dt.date(2026, 3, 1)) == []
    assert flags(account, dt.date(2026, 3, 2)) == ["flag_check_overdue"]
    actions.check_sign(account=account, period_start=dt.date(2025, 12, 1), period_end=dt.date(2026, 3, 1),
                       result="normal", issues="", actor=account.opened_by, today=dt.date(2026, 3, 2))
    assert flags(account, dt.date(2026, 3, 2)) == []


def test_flags_for_many_accounts_take_one_query(village_code, django_assert_num_queries):
    user = committee_user(village_code)
    for _ in range(5):
        deposit(open_account(village_code, user), 1000)
    user = type(user).objects.get(pk=user.pk)  # a fresh request's user: roles not yet loaded
    with django_assert_num_queries(2):  # the user's roles, then the accounts with every flag
        rows = list(queries.accounts_for_user(user, TODAY))
    assert len(rows) == 5


# --- evaluations -------------------------------------------------------------------------------


def test_a_failed_village_evaluation_of_the_caregiver_starts_a_replacement_closed_by_the_successor(village_code):
    user = committee_user(village_code)
    account = open_account(village_code, user)
    evaluation = actions.evaluation_record(account=account, role="caregiver", level="village", result="fail",
                                           notes="多次未按时送餐", actor=user, today=TODAY)
    replacement = Replacement.objects.get(evaluation=evaluation)
    assert replacement.closed_on is None
    actions.caregiver_appoint(account=account, name="潘新", id_number=villager_id(), phone="", relation="",
                              started_on=TODAY, actor=user, today=TODAY)
    replacement.refresh_from_db()
    assert replacement.closed_on == TODAY
    assert list(account.caregivers.values_list("name", "ended_on")) == [("潘新", None), ("吴照料", TODAY)]


def test_a_failed_evaluation_needs_a_reason(village_code):
    user = committee_user(village_code)
    account = open_account(village_code, user)
    with pytest.raises(ValidationError, match="请写明理由"):
        actions.evaluation_record(account=account, role="custodian", level="village", result="fail", notes="",
                                  actor=user, today=TODAY)


def test_township_due_list_has_caregivers_of_disabled_tier_a_persons_not_yet_evaluated(village_code):
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    disabled = open_account(village_code, self_care=SelfCare.NONE)
    semi = open_account(village_code, self_care=SelfCare.PARTIAL)
    open_account(village_code, self_care=SelfCare.FULL)
    open_account(village_code, self_care=SelfCare.NONE, tier="B")
    assert {a.pk for a in queries.due_evaluations(township, TODAY)} == {disabled.pk, semi.pk}

    actions.evaluation_record(account=disabled, role="caregiver", level="township", result="pass", notes="",
                              actor=township, today=TODAY)
    assert {a.pk for a in queries.due_evaluations(township, TODAY)} == {semi.pk}
    with pytest.raises(ValidationError, match="本月已评估过"):
        actions.evaluation_record(account=disabled, role="caregiver", level="township", result="pass", notes="",
                                  actor=township, today=TODAY)
    next_month = dt.date(2026, 4, 1)
    assert {a.pk for a in queries.due_evaluations(township, next_month)} == {disabled.pk, semi.pk}


def test_township_monthly_evaluation_is_only_for_disabled_tier_a(village_code):
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    account = open_account(village_code, self_care=SelfCare.FULL)
    with pytest.raises(ValidationError, match="失能、半失能的A类对象"):
        actions.evaluation_record(account=account, role="caregiver", level="township", result="pass", notes="",
                                  actor=township, today=TODAY)


def test_a_new_caregiver_after_a_township_evaluation_is_due_again_this_month(village_code):
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    account = open_account(village_code, self_care=SelfCare.NONE)
    actions.evaluation_record(account=account, role="caregiver", level="township", result="fail", notes="未履职",
                              actor=township, today=TODAY)
    actions.caregiver_appoint(account=account, name="潘新", id_number=villager_id(), phone="", relation="",
                              started_on=TODAY, actor=township, today=TODAY)
    assert [a.pk for a in queries.due_evaluations(township, TODAY)] == [account.pk]
