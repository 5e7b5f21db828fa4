"""The ledger: integer fen, append-only in the database, never below zero, idempotent postings."""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custody import actions, queries
from custody.models import CustodyAccount, EntryKind, LedgerCheck, LedgerEntry
from tests.custody.factories import OPENED, TODAY, deposit, open_account, withdraw

pytestmark = pytest.mark.django_db


def test_deposit_and_withdrawal_move_the_balance(village_code):
    account = open_account(village_code)
    deposit(account, 50000)
    posting = withdraw(account, 12345)
    account.refresh_from_db()
    assert account.balance_fen == 37655
    assert posting.entry.balance_after_fen == 37655
    assert posting.entry.caregiver.name == "吴照料"
    assert posting.entry.amount_fen == -12345


def test_a_withdrawal_larger_than_the_balance_is_refused_and_nothing_changes(village_code):
    account = open_account(village_code)
    deposit(account, 1000)
    with pytest.raises(ValidationError) as exc:
        withdraw(account, 1001)
    assert exc.value.messages == ["余额不足：当前余额 10.00 元，本笔需 10.01 元。"]
    assert account.entries.count() == 1
    account.refresh_from_db()
    assert account.balance_fen == 1000


def test_withdrawal_needs_a_caregiver_in_role_on_that_day(village_code):
    account = open_account(village_code, caregiver=False)
    deposit(account, 1000)
    with pytest.raises(ValidationError, match="没有在任的照料护理人"):
        withdraw(account, 100)


def test_a_replayed_idempotency_key_posts_once(village_code):
    account = open_account(village_code)
    key = uuid.uuid4()
    first = deposit(account, 5000, key=key)
    second = deposit(account, 5000, key=key)
    assert not first.replayed and second.replayed
    assert second.entry.pk == first.entry.pk
    account.refresh_from_db()
    assert account.balance_fen == 5000
    assert account.entries.count() == 1


def test_the_idempotency_key_is_unique_in_the_database(village_code):
    account = open_account(village_code)
    entry = deposit(account, 5000).entry
    with pytest.raises(IntegrityError):
        LedgerEntry.objects.create(account=account, kind=EntryKind.DEPOSIT, amount_fen=1, balance_after_fen=5001,
                                   fund_type="tekun", entry_date=OPENED, idempotency_key=entry.idempotency_key)


def test_a_reversal_names_the_entry_and_restores_the_balance(village_code):
    account = open_account(village_code)
    deposit(account, 5000)
    wrong = withdraw(account, 3000).entry
    reversal = actions.ledger_reverse(entry=wrong, reason="金额录错", entry_date=TODAY, idempotency_key=uuid.uuid4(),
                                      actor=None, today=TODAY).entry
    assert reversal.reverses == wrong
    assert reversal.amount_fen == 3000
    account.refresh_from_db()
    assert account.balance_fen == 5000
    with pytest.raises(ValidationError, match="已被冲正过"):
        actions.ledger_reverse(entry=wrong, reason="再冲", entry_date=TODAY, idempotency_key=uuid.uuid4(), actor=None,
                               today=TODAY)
    with pytest.raises(ValidationError, match="冲正记录不能再被冲正"):
        actions.ledger_reverse(entry=reversal, reason="再冲", entry_date=TODAY, idempotency_key=uuid.uuid4(),
                               actor=None, today=TODAY)


def test_reversing_a_deposit_already_spent_is_refused(village_code):
    account = open_account(village_code)
    dep = deposit(account, 5000).entry
    withdraw(account, 4000)
    with pytest.raises(ValidationError, match="余额不足"):
        actions.ledger_reverse(entry=dep, reason="错", entry_date=TODAY, idempotency_key=uuid.uuid4(), actor=None,
                               today=TODAY)


def test_the_database_refuses_update_of_a_ledger_row(village_code):
    account = open_account(village_code)
    entry = deposit(account, 5000).entry
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_fen=500000)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE custody_ledgerentry SET note = 'x' WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.amount_fen == 5000


def test_the_database_refuses_delete_of_a_ledger_row(village_code):
    account = open_account(village_code)
    entry = deposit(account, 5000).entry
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM custody_ledgerentry WHERE id = %s", [entry.pk])
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_the_database_refuses_to_change_a_signed_check(village_code):
    account = open_account(village_code)
    check = actions.check_sign(account=account, period_start=OPENED, period_end=TODAY, result="normal", issues="",
                               actor=account.opened_by, today=TODAY)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerCheck.objects.filter(pk=check.pk).update(result="abnormal", issues="改")


def test_the_database_refuses_a_negative_balance(village_code):
    account = open_account(village_code)
    with pytest.raises(IntegrityError), transaction.atomic():
        CustodyAccount.objects.filter(pk=account.pk).update(balance_fen=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(account=account, kind=EntryKind.WITHDRAWAL, amount_fen=-1, balance_after_fen=-1,
                                   purpose="food", entry_date=OPENED)


def test_a_withdrawal_in_the_future_is_refused(village_code):
    account = open_account(village_code)
    deposit(account, 500)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        withdraw(account, 100, on=TODAY + dt.timedelta(days=1))


# Operations: ("d", fen) deposit, ("w", fen) withdrawal, ("r", k) reverse the k-th earlier entry.
operations = st.lists(
    st.one_of(
        st.tuples(st.just("d"), st.integers(min_value=1, max_value=500_000)),
        st.tuples(st.just("w"), st.integers(min_value=1, max_value=500_000)),
        st.tuples(st.just("r"), st.integers(min_value=0, max_value=50)),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_balance_is_the_sum_of_entries_and_never_negative(village_code, ops):
    with transaction.atomic():
        account = open_account(village_code)
        expected = 0
        for op, value in ops:
            try:
                if op == "d":
                    deposit(account, value)
                elif op == "w":
                    withdraw(account, value)
                else:
                    entries = list(account.entries.order_by("id"))
                    if not entries:
                        continue
                    actions.ledger_reverse(entry=entries[value % len(entries)], reason="更正", entry_date=TODAY,
                                           idempotency_key=uuid.uuid4(), actor=None, today=TODAY)
            except ValidationError:
                pass
            total = sum(account.entries.values_list("amount_fen", flat=True))
            account.refresh_from_db()
            assert account.balance_fen == total >= 0
            expected = total
        rows = list(queries.statement_entries(account))
        assert all(r.running_fen == r.balance_after_fen >= 0 for r in rows)
        assert (rows[-1].running_fen if rows else 0) == expected
        transaction.set_rollback(True)
