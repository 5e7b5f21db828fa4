"""Assistance applications: the township → county chain with per-county limits, the fast track,
and the reserve fund they draw on."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from accounts.models import Area, AuditEvent, Role
from assistance import actions, rules
from assistance.models import ApplicationStatus, ReserveEntry, ReserveFund
from tests.assistance.factories import TODAY, funded, household, officials, raise_app
from tests.conftest import COUNTY, OTHER_TOWNSHIP
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(village_code):
    return officials(village_code)


def test_within_the_township_limit_the_township_approval_is_final(people, village_code):
    funded(people["county"])
    app = raise_app(people["village"], household(village_code), amount_fen=80_000)
    assert app.status == ApplicationStatus.SUBMITTED
    app = actions.application_township_approve(application=app, actor=people["township"])
    assert app.status == ApplicationStatus.APPROVED
    app = actions.application_pay(application=app, actor=people["township"], paid_on=TODAY, channel="bank",
                                  today=TODAY)
    assert app.status == ApplicationStatus.PAID
    assert ReserveFund.objects.get(county_id=COUNTY).balance_fen == 1_000_000 - 80_000
    assert list(app.events.values_list("action", flat=True)) == ["submit", "township_approve", "pay"]


def test_above_the_limit_the_county_decides_and_a_county_limit_overrides_the_default(people, village_code):
    app = raise_app(people["village"], household(village_code), amount_fen=rules.DEFAULT_TOWNSHIP_LIMIT_FEN + 1)
    app = actions.application_township_approve(application=app, actor=people["township"])
    assert app.status == ApplicationStatus.TOWNSHIP_APPROVED
    with pytest.raises(PermissionDenied):
        actions.application_county_approve(application=app, actor=people["township"])
    app = actions.application_county_approve(application=app, actor=people["county"], approved_amount_fen=90_000)
    assert (app.status, app.approved_amount_fen) == (ApplicationStatus.APPROVED, 90_000)

    actions.policy_set(county=Area.objects.get(code=COUNTY), township_limit_fen=300_000, fast_track_limit_fen=200_000,
                       actor=people["county"])
    bigger = raise_app(people["village"], household(village_code), amount_fen=250_000)
    assert actions.application_township_approve(application=bigger, actor=people["township"]).status == "approved"


def test_the_approved_amount_cannot_exceed_the_request(people, village_code):
    app = raise_app(people["village"], household(village_code), amount_fen=50_000)
    with pytest.raises(ValidationError):
        actions.application_township_approve(application=app, actor=people["township"], approved_amount_fen=60_000)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED


def test_fast_track_pays_at_once_within_the_limit_and_the_county_reviews_after(people, village_code):
    funded(people["county"], 200_000)
    app = raise_app(people["village"], household(village_code), amount_fen=100_000, kind="urgent")
    app = actions.application_fast_pay(application=app, actor=people["township"], paid_on=TODAY, channel="cash",
                                       today=TODAY)
    assert app.status == ApplicationStatus.FAST_PAID and app.fast_track
    assert ReserveFund.objects.get(county_id=COUNTY).balance_fen == 100_000
    with pytest.raises(ValidationError):  # a disagreement needs its reason
        actions.application_review(application=app, actor=people["county"], agreed=False, note="")
    app = actions.application_review(application=app, actor=people["county"], agreed=True, note="情况属实")
    assert app.status == ApplicationStatus.REVIEWED
    assert app.events.last().note == "复核同意：情况属实"


def test_fast_track_is_refused_above_the_limit_for_other_kinds_and_for_villages(people, village_code):
    funded(people["county"])
    over = raise_app(people["village"], household(village_code), amount_fen=rules.DEFAULT_FAST_TRACK_LIMIT_FEN + 1)
    with pytest.raises(ValidationError, match="先行救助不能超过本县限额"):
        actions.application_fast_pay(application=over, actor=people["township"], paid_on=TODAY, channel="cash",
                                     today=TODAY)
    charity = raise_app(people["village"], household(village_code), amount_fen=10_000, kind="charity")
    with pytest.raises(ValidationError, match="只有临时救助、急难型救助"):
        actions.application_fast_pay(application=charity, actor=people["township"], paid_on=TODAY, channel="cash",
                                     today=TODAY)
    urgent = raise_app(people["village"], household(village_code), amount_fen=10_000)
    with pytest.raises(PermissionDenied):
        actions.application_fast_pay(application=urgent, actor=people["village"], paid_on=TODAY, channel="cash",
                                     today=TODAY)
    assert ReserveFund.objects.get(county_id=COUNTY).balance_fen == 1_000_000


def test_a_payment_never_takes_the_fund_below_zero_and_changes_nothing_when_refused(people, village_code):
    funded(people["county"], 50_000)
    app = raise_app(people["village"], household(village_code), amount_fen=60_000)
    with pytest.raises(ValidationError, match="备用金余额不足"):
        actions.application_fast_pay(application=app, actor=people["township"], paid_on=TODAY, channel="bank",
                                     today=TODAY)
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED
    assert ReserveEntry.objects.count() == 1
    assert ReserveFund.objects.get(county_id=COUNTY).balance_fen == 50_000


def test_paying_without_a_fund_says_so(people, village_code):
    app = raise_app(people["village"], household(village_code), amount_fen=10_000)
    with pytest.raises(ValidationError, match="尚未建立救助备用金"):
        actions.application_fast_pay(application=app, actor=people["township"], paid_on=TODAY, channel="bank",
                                     today=TODAY)


def test_a_retried_payment_form_pays_once(people, village_code):
    funded(people["county"])
    app = raise_app(people["village"], household(village_code), amount_fen=10_000)
    key = uuid.uuid4()
    for _ in range(3):
        actions.application_fast_pay(application=app, actor=people["township"], paid_on=TODAY, channel="bank",
                                     today=TODAY, idempotency_key=key)
    assert ReserveEntry.objects.filter(application=app).count() == 1
    assert ReserveFund.objects.get(county_id=COUNTY).balance_fen == 1_000_000 - 10_000


def test_the_ledger_is_append_only_and_corrections_are_reversals(people, village_code):
    entry = funded(people["county"], 30_000)
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 - the database refuses
        ReserveEntry.objects.filter(pk=entry.pk).update(amount_fen=1)
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017
        ReserveEntry.objects.filter(pk=entry.pk).delete()
    rev = actions.reserve_reverse(entry=entry, reason="拨入金额录错", entry_date=TODAY, actor=people["county"])
    assert rev.amount_fen == -30_000 and rev.balance_after_fen == 0
    with pytest.raises(ValidationError, match="已经冲正过"):
        actions.reserve_reverse(entry=entry, reason="再次", entry_date=TODAY, actor=people["county"])
    fund = ReserveFund.objects.get(county_id=COUNTY)
    assert fund.balance_fen == 0 == sum(fund.entries.values_list("amount_fen", flat=True))


def test_the_database_refuses_a_negative_balance_even_around_the_actions(people):
    funded(people["county"], 100)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReserveFund.objects.filter(county_id=COUNTY).update(balance_fen=-1)


def test_the_balance_moves_only_through_the_ledger(people):
    """As for custody accounts: a bare balance update, or an entry whose running balance is not
    the sum of the ledger, is refused by the database even where the CHECKs would pass."""
    entry = funded(people["county"], 30_000)
    with pytest.raises(IntegrityError, match="differs from the sum"), transaction.atomic():
        ReserveFund.objects.filter(county_id=COUNTY).update(balance_fen=130_000)
    with pytest.raises(IntegrityError, match="running total"), transaction.atomic():
        ReserveEntry.objects.create(fund=entry.fund, kind="allocation", amount_fen=100, balance_after_fen=999_999,
                                    entry_date=TODAY, recorded_by=people["county"])
    assert ReserveFund.objects.get(county_id=COUNTY).balance_fen == 30_000


def test_only_the_county_allocates_and_a_township_of_another_county_cannot_raise(people, village_code):
    with pytest.raises(PermissionDenied):
        actions.reserve_allocate(county=Area.objects.get(code=COUNTY), amount_fen=100, entry_date=TODAY, note="",
                                 actor=people["township"])
    other = user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP)
    with pytest.raises(PermissionDenied):
        raise_app(other, household(village_code))


def test_a_rejection_needs_a_reason_and_is_recorded_by_level(people, village_code):
    app = raise_app(people["village"], household(village_code))
    with pytest.raises(ValidationError):
        actions.application_reject(application=app, actor=people["township"], note=" ")
    with pytest.raises(PermissionDenied):  # the county does not skip the township's step
        actions.application_reject(application=app, actor=people["county"], note="不符合条件")
    app = actions.application_reject(application=app, actor=people["township"], note="家庭收入超过标准")
    assert app.status == ApplicationStatus.REJECTED
    with pytest.raises(ValidationError, match="不能办理此操作"):
        actions.application_township_approve(application=app, actor=people["township"])
    assert AuditEvent.objects.filter(object_type="assistance.assistanceapplication", object_id=str(app.pk)).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_fast_track_payments_draw_exactly_what_the_fund_holds(village_code):
    from tests.custody.test_concurrency import run_in_threads

    people = officials(village_code)
    funded(people["county"], 7 * 10_000)
    apps = [raise_app(people["village"], household(village_code), amount_fen=10_000) for _ in range(12)]

    def pay(i):
        return actions.application_fast_pay(application=apps[i], actor=people["township"], paid_on=TODAY,
                                            channel="bank", today=TODAY)

    results = run_in_threads(12, pay)
    paid = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert (len(paid), len(refused)) == (7, 5), results
    fund = ReserveFund.objects.get(county_id=COUNTY)
    assert fund.balance_fen == 0
    after = list(fund.entries.order_by("id").values_list("balance_after_fen", flat=True))
    assert after == [70_000, 60_000, 50_000, 40_000, 30_000, 20_000, 10_000, 0]
    connection.close()
