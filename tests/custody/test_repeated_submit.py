"""A second press of a custody form lands on the account's page with "此操作已完成": a deposit
sent twice (same key), a reversal sent from two pages, closing twice — nothing posted twice."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.urls import reverse

from custody.models import CustodyAccount, LedgerEntry
from tests.custody.factories import committee_user, deposit, open_account

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        yield


@pytest.fixture
def owner(village_code):
    return committee_user(village_code, username="owner")


@pytest.fixture
def account(village_code, owner):
    account = open_account(village_code, owner)
    deposit(account, 60000, on=dt.date(2026, 3, 1), actor=owner)
    return account


def test_a_deposit_twice_says_it_was_done(client, account, owner):
    client.force_login(owner)
    data = {"amount": "350.50", "fund_type": "dibao", "entry_date": "2026-03-10", "note": "3月低保",
            "idempotency_key": str(uuid.uuid4())}
    url = reverse("custody:deposit", args=[account.pk])
    client.post(url, data)
    again = client.post(url, data, follow=True)
    assert again.status_code == 200 and "此操作已完成" in again.content.decode()


def test_a_reversal_from_two_pages_posts_once(client, account, owner):
    client.force_login(owner)
    entry = LedgerEntry.objects.get(account=account)
    url = reverse("custody:reverse_entry", args=[account.pk, entry.pk])
    for _ in range(2):  # two pages, two keys
        response = client.post(url, {"reason": "录错金额", "entry_date": "2026-03-16",
                                     "idempotency_key": str(uuid.uuid4())}, follow=True)
        assert response.status_code == 200
    assert "此操作已完成" in response.content.decode()
    assert LedgerEntry.objects.filter(reverses=entry).count() == 1


def test_closing_twice_shows_the_closed_account(client, account, owner):
    client.force_login(owner)
    url = reverse("custody:account_close", args=[account.pk])
    data = {"closed_on": "2026-03-16", "reason": "余额已交由监护人"}
    assert client.post(url, data).status_code == 302
    again = client.post(url, data, follow=True)
    assert again.status_code == 200 and again.redirect_chain[-1][0] == reverse("custody:account_detail",
                                                                               args=[account.pk])
    assert "此操作已完成" in again.content.decode()
    assert CustodyAccount.objects.get(pk=account.pk).status == "closed"
