"""Concurrent withdrawals on real PostgreSQL: the row lock serialises them, so a balance that
covers exactly 7 withdrawals lets exactly 7 through, whatever the interleaving."""

import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from custody.models import CustodyAccount
from tests.custody.factories import deposit, open_account, withdraw

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(n: int, fn) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_twenty_concurrent_withdrawals_against_a_balance_for_seven_let_exactly_seven_through(village_code):
    account = open_account(village_code)
    deposit(account, 7 * 1500)

    results = run_in_threads(20, lambda i: withdraw(CustodyAccount.objects.get(pk=account.pk), 1500))

    succeeded = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(succeeded) == 7
    assert len(refused) == 13, [r for r in results if isinstance(r, Exception) and not isinstance(r, ValidationError)]
    account.refresh_from_db()
    assert account.balance_fen == 0
    assert account.entries.count() == 8
    assert sorted(account.entries.values_list("balance_after_fen", flat=True)) == [0, 1500, 3000, 4500, 6000, 7500,
                                                                                   9000, 10500]


def test_the_same_form_submitted_concurrently_posts_once(village_code):
    account = open_account(village_code)
    key = uuid.uuid4()

    results = run_in_threads(5, lambda i: deposit(CustodyAccount.objects.get(pk=account.pk), 2000, key=key))

    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(not r.replayed for r in results) == 1
    account.refresh_from_db()
    assert account.balance_fen == 2000
    assert account.entries.count() == 1
