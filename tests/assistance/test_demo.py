"""The demo step: limits, a funded reserve, applications in every state and an ended flood; a
second run adds nothing."""

import io

import pytest

from accounts import demo as accounts_demo
from assistance.demo import seed_assistance
from assistance.models import ApplicationStatus, AssistanceApplication, Emergency, ReserveFund
from beneficiaries.demo import seed_roster

pytestmark = pytest.mark.django_db


def test_demo_seeding_covers_every_state_and_is_idempotent():
    accounts_demo.seed_users()
    seed_roster(households=60, seed=1, stdout=io.StringIO())
    out = io.StringIO()
    assert seed_assistance(stdout=out) == 4, out.getvalue()
    statuses = set(AssistanceApplication.objects.values_list("status", flat=True))
    assert statuses == {ApplicationStatus.SUBMITTED, ApplicationStatus.FAST_PAID, ApplicationStatus.TOWNSHIP_APPROVED,
                        ApplicationStatus.PAID}
    fund = ReserveFund.objects.get()
    assert fund.balance_fen == 5_000_000 - 150_000 - 80_000 == sum(fund.entries.values_list("amount_fen", flat=True))
    dates = list(fund.entries.order_by("id").values_list("entry_date", flat=True))
    assert dates == sorted(dates)  # the ledger reads in date order
    assert Emergency.objects.get().roll_calls.count() == 4
    assert seed_assistance(stdout=out) == 0
    assert AssistanceApplication.objects.count() == 4


def test_demo_seeding_without_users_does_nothing():
    assert seed_assistance(stdout=io.StringIO()) == 0
    assert not AssistanceApplication.objects.exists()
