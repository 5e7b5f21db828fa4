"""Nightly reconciliation: a balance that differs from the sum of its entries alerts the county once."""

import datetime as dt

import pytest
from django.db import connection

from custody.models import CustodyAccount
from custody.reconcile import balances_reconcile
from custody.tasks import reconcile_balances
from tests.conftest import COUNTY, OTHER_COUNTY
from tests.custody.factories import deposit, open_account
from tests.factories import user_with_role
from visits.models import Notification

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 1)


def tamper(account: CustodyAccount, fen: int) -> None:
    """What only a superuser could do: go around the trigger."""
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        cur.execute("UPDATE custody_custodyaccount SET balance_fen = balance_fen + %s WHERE id = %s", [fen, account.pk])
        cur.execute("SET session_replication_role = origin")


def test_consistent_balances_alert_nobody(village_code):
    county = user_with_role("county", COUNTY)
    account = open_account(village_code)
    deposit(account, 5000)
    assert balances_reconcile(today=DAY) == {"date": "2026-12-01", "mismatched": 0}
    assert not Notification.objects.filter(recipient=county).exists()


def test_a_tampered_balance_alerts_its_county_once_a_day(village_code):
    county = user_with_role("county", COUNTY)
    elsewhere = user_with_role("county", OTHER_COUNTY, username="kaili")
    account = open_account(village_code)
    deposit(account, 5000)
    tamper(account, 100000)
    assert reconcile_balances.delay(DAY.isoformat()).get() == {"date": "2026-12-01", "mismatched": 1}
    balances_reconcile(today=DAY)
    [note] = Notification.objects.filter(recipient=county)
    assert "1050.00" in note.title and "50.00" in note.title and "不符" in note.title
    assert note.url == f"/custody/accounts/{account.pk}/"
    assert not Notification.objects.filter(recipient=elsewhere).exists()
    balances_reconcile(today=DAY + dt.timedelta(days=1))
    assert Notification.objects.filter(recipient=county).count() == 2
