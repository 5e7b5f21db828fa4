"""The demo step: three accounts in the demo village, created even on an empty roster; a second
run adds nothing (postings replay their fixed idempotency keys)."""

import io

import pytest

from accounts import demo as accounts_demo
from custody.demo import seed_custody
from custody.models import CustodyAccount, LedgerEntry, VillageMeeting

pytestmark = pytest.mark.django_db


def test_demo_seeding_creates_accounts_and_is_idempotent():
    accounts_demo.seed_users()
    out = io.StringIO()
    seed_custody(households=0, seed=1, stdout=out)
    village = accounts_demo.demo_village()
    accounts = CustodyAccount.objects.filter(person__household__village=village)
    assert accounts.count() == 3, out.getvalue()
    entries = LedgerEntry.objects.count()
    assert entries > 0
    assert all(a.custodians.filter(ended_on__isnull=True).exists() for a in accounts)
    assert all(a.caregivers.filter(ended_on__isnull=True).exists() for a in accounts)
    assert all(a.balance_fen == sum(a.entries.values_list("amount_fen", flat=True)) for a in accounts)

    seed_custody(households=0, seed=1, stdout=out)
    assert accounts.count() == 3
    assert LedgerEntry.objects.count() == entries
    assert VillageMeeting.objects.filter(village=village).count() == 1


def test_demo_seeding_without_users_does_nothing_harmful():
    seed_custody(households=0, seed=1, stdout=io.StringIO())
    assert CustodyAccount.objects.count() == 0
    assert VillageMeeting.objects.count() == 0
