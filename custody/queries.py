"""Read side of fund custody: scoped, annotated, set-based querysets. Anomaly flags are SQL
annotations over all accounts at once (no per-row loops)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.areacodes import AncestorCode
from accounts.models import Area, User
from accounts.scoping import get_object_for_user, scope_queryset
from beneficiaries.models import Person, SelfCare

from . import rules
from .models import (
    AccountStatus,
    Caregiver,
    Custodian,
    CustodyAccount,
    CustodyPolicy,
    DutyEvaluation,
    EntryKind,
    EvaluatorLevel,
    LedgerCheck,
    LedgerEntry,
    Replacement,
    SpotCheck,
    SpotCheckSample,
    VillageMeeting,
)


class MonthsBefore(Func):
    """date − n months, as PostgreSQL computes it (clamped to the month's last day)."""

    template = "((%(expressions)s) - make_interval(months => %(months)d))::date"
    output_field = DateField()

    def __init__(self, expression, months: int):
        super().__init__(expression, months=int(months))


FLAG_LABELS = {
    "flag_no_receipt": _("支取无票据"),
    "flag_large_withdrawal": _("单笔支取超过前两个月存入"),
    "flag_no_deposit": _("两个月未存入"),
    "flag_over_ceiling": _("余额超过上限"),
    "flag_check_overdue": _("超过3个月未检查"),
}


def _holder_on(model, day_ref) -> Subquery:
    """Name of the custodian/caregiver of the outer account who held the role on `day_ref`."""
    return Subquery(
        model.objects.filter(account=OuterRef("account_id"), started_on__lte=day_ref)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day_ref))
        .order_by("-started_on", "-id")
        .values("name")[:1],
        output_field=CharField(),
    )


def _live_withdrawals(since: date):
    """Withdrawals of the outer account on or after `since` that were not reversed."""
    return LedgerEntry.objects.filter(
        account=OuterRef("pk"), kind=EntryKind.WITHDRAWAL, entry_date__gte=since, reversed_by__isnull=True
    )


def with_flags(qs: QuerySet[CustodyAccount], today: date) -> QuerySet[CustodyAccount]:
    """Annotate the anomaly flags of SPEC issue 5(8) and the dates behind them."""
    recent = rules.recent_since(today)
    deposits_before = (
        LedgerEntry.objects.filter(
            account=OuterRef("account_id"), kind=EntryKind.DEPOSIT, reversed_by__isnull=True,
            entry_date__lte=OuterRef("entry_date"),
            entry_date__gt=MonthsBefore(OuterRef("entry_date"), rules.LARGE_WITHDRAWAL_MONTHS),
        )
        .order_by()
        .values("account_id")
        .annotate(total=Sum("amount_fen"))
        .values("total")
    )
    large = (
        _live_withdrawals(recent)
        .annotate(drawn=-F("amount_fen"), covered=Coalesce(Subquery(deposits_before, output_field=BigIntegerField()), 0))
        .filter(drawn__gt=F("covered"))
    )
    last_deposit = (
        LedgerEntry.objects.filter(account=OuterRef("pk"), kind=EntryKind.DEPOSIT, reversed_by__isnull=True)
        .order_by("-entry_date").values("entry_date")[:1]
    )
    last_check = LedgerCheck.objects.filter(account=OuterRef("pk")).order_by("-checked_on").values("checked_on")[:1]
    ceiling = CustodyPolicy.objects.filter(
        county_id=AncestorCode(OuterRef("person__household__village_id"), "county")
    ).values("balance_ceiling_fen")[:1]
    is_open = Q(status=AccountStatus.OPEN)
    return qs.annotate(
        last_deposit_on=Subquery(last_deposit, output_field=DateField()),
        last_checked_on=Subquery(last_check, output_field=DateField()),
        ceiling_fen=Coalesce(Subquery(ceiling, output_field=BigIntegerField()), Value(rules.DEFAULT_BALANCE_CEILING_FEN)),
    ).annotate(
        # A receipt is a receipt number or a photo of it; a withdrawal with neither is flagged.
        flag_no_receipt=Exists(_live_withdrawals(recent).filter(receipt_number="", receipt_photo="")),
        flag_large_withdrawal=Exists(large),
        flag_no_deposit=Case(
            When(is_open & Q(opened_on__lt=rules.no_deposit_cutoff(today), last_deposit_on__isnull=True), then=True),
            When(is_open & Q(last_deposit_on__lt=rules.no_deposit_cutoff(today)), then=True),
            default=False,
        ),
        flag_over_ceiling=ExpressionWrapper(Q(balance_fen__gt=F("ceiling_fen")), output_field=BooleanField()),
        flag_check_overdue=Case(
            When(is_open & Q(last_checked_on__isnull=True, opened_on__lt=rules.check_cutoff(today)), then=True),
            When(is_open & Q(last_checked_on__lt=rules.check_cutoff(today)), then=True),
            default=False,
        ),
    )


def flags_of(account: CustodyAccount) -> list[str]:
    return [str(label) for name, label in FLAG_LABELS.items() if getattr(account, name, False)]


def accounts_for_user(user: User, today: date, *, village: str = "", status: str = AccountStatus.OPEN,
                      flagged: bool = False) -> QuerySet[CustodyAccount]:
    """The custody accounts the user may see, with current custodian, caregiver and flags."""
    qs = scope_queryset(user, CustodyAccount.objects.all()).select_related("person__household__village")
    if village:
        qs = qs.filter(person__household__village_id=village)
    if status:
        qs = qs.filter(status=status)
    current = Q(ended_on__isnull=True)
    qs = qs.annotate(
        custodian_name=Subquery(Custodian.objects.filter(current, account=OuterRef("pk")).values("name")[:1]),
        caregiver_name=Subquery(Caregiver.objects.filter(current, account=OuterRef("pk")).values("name")[:1]),
        open_replacements=Subquery(
            Replacement.objects.filter(account=OuterRef("pk"), closed_on__isnull=True)
            .order_by().values("account_id").annotate(n=Count("id")).values("n"),
            output_field=IntegerField(),
        ),
    )
    qs = with_flags(qs, today)
    if flagged:
        qs = qs.filter(Q(flag_no_receipt=True) | Q(flag_large_withdrawal=True) | Q(flag_no_deposit=True)
                       | Q(flag_over_ceiling=True) | Q(flag_check_overdue=True))
    return qs.order_by("person__household__village_id", "person__name", "id")


@dataclass
class SampleView:
    """What a financial supervisor sees is a sample: how many accounts it holds, how many the
    areas have in all (a count, not the accounts), and the latest draw (how it was drawn)."""

    areas: list[Area]
    sampled: int
    in_areas: int
    latest: SpotCheck | None


def sample_view(user: User) -> SampleView | None:
    """None for everyone but a financial supervisor (who reaches accounts only through samples)."""
    from accounts.models import Role
    from accounts.scoping import has_role

    from .models import supervisor_prefixes

    if user.is_superuser or not has_role(user, Role.FINANCIAL_SUPERVISOR):
        return None
    prefixes = supervisor_prefixes(user)
    in_areas = sum(len(open_account_ids(p)) for p in prefixes)
    return SampleView(
        areas=list(Area.objects.filter(code__in=[p.ljust(12, "0") for p in prefixes]).order_by("code")),
        sampled=scope_queryset(user, CustodyAccount.objects.all()).count(),
        in_areas=in_areas,
        latest=scope_queryset(user, SpotCheck.objects.all()).order_by("-drawn_on", "-id").first(),
    )


def get_account_for_user(user: User, pk: int, today: date) -> CustodyAccount:
    qs = with_flags(CustodyAccount.objects.select_related("person__household__village"), today)
    return get_object_for_user(user, qs, pk=pk)


def statement_entries(account: CustodyAccount) -> QuerySet[LedgerEntry]:
    """The ledger of one account in posting order, with the running balance (window sum, which
    must equal the stored balance_after_fen) and who held each role on the entry's date."""
    return (
        LedgerEntry.objects.filter(account=account)
        .select_related("reverses", "posted_by")
        .annotate(
            running_fen=Window(Sum("amount_fen"), partition_by=[F("account_id")], order_by=[F("id").asc()]),
            custodian_on_date=_holder_on(Custodian, OuterRef("entry_date")),
            caregiver_on_date=_holder_on(Caregiver, OuterRef("entry_date")),
            reversed_by_id=Subquery(LedgerEntry.objects.filter(reverses=OuterRef("pk")).values("id")[:1]),
        )
        .order_by("id")
    )


def eligible_people_for_user(user: User) -> QuerySet[Person]:
    """Candidates for a new account shown in the form: persons of tier A/B households in scope
    without an open account. The rules still decide; this only keeps the list short."""
    open_accounts = CustodyAccount.objects.filter(status=AccountStatus.OPEN).values("person_id")
    return (
        scope_queryset(user, Person.objects.all())
        .filter(household__tier__in=sorted(rules.ELIGIBLE_TIERS), household__status="active")
        .exclude(id__in=open_accounts)
        .select_related("household__village")
        .order_by("household__village_id", "name")
    )


def meetings_for_user(user: User) -> QuerySet[VillageMeeting]:
    return scope_queryset(user, VillageMeeting.objects.select_related("village", "recorded_by")).order_by(
        "-held_on", "-id"
    )


# --- township monthly evaluations -------------------------------------------------------------


def due_evaluations(user: User, today: date) -> QuerySet[CustodyAccount]:
    """Open accounts of disabled tier-A persons whose current caregiver has no township
    evaluation for this month yet — the township's "due this month" list."""
    period = rules.month_start(today)
    current_caregiver = Caregiver.objects.filter(account=OuterRef("pk"), ended_on__isnull=True)
    evaluated = DutyEvaluation.objects.filter(
        account=OuterRef("pk"), level=EvaluatorLevel.TOWNSHIP, period=period,
        caregiver__ended_on__isnull=True,
    )
    return (
        scope_queryset(user, CustodyAccount.objects.select_related("person__household__village"))
        .filter(status=AccountStatus.OPEN, person__household__tier="A",
                person__self_care__in=[SelfCare.NONE, SelfCare.PARTIAL])
        .filter(Exists(current_caregiver))
        .exclude(Exists(evaluated))
        .annotate(caregiver_name=Subquery(current_caregiver.values("name")[:1]))
        .order_by("person__household__village_id", "person__name")
    )


# --- village summary -------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date


def village_summary(user: User, village: Area, period: Period, today: date) -> QuerySet[CustodyAccount]:
    """Per account of the village: balance at the start of the period, money in and out during
    it, balance at its end, the current balance and the flags — one query."""
    before = Q(entries__entry_date__lt=period.start)
    during = Q(entries__entry_date__gte=period.start, entries__entry_date__lte=period.end)
    qs = (
        scope_queryset(user, CustodyAccount.objects.select_related("person__household__village"))
        .filter(person__household__village=village)
        .filter(Q(status=AccountStatus.OPEN) | Q(closed_on__gte=period.start))
        .annotate(
            opening_fen=Coalesce(Sum("entries__amount_fen", filter=before), 0),
            income_fen=Coalesce(Sum("entries__amount_fen", filter=during & Q(entries__amount_fen__gt=0)), 0),
            expense_fen=Coalesce(-Sum("entries__amount_fen", filter=during & Q(entries__amount_fen__lt=0)), 0),
        )
        .annotate(closing_fen=F("opening_fen") + F("income_fen") - F("expense_fen"))
    )
    return with_flags(qs, today).order_by("person__name", "id")


# --- spot checks -----------------------------------------------------------------------------


def spot_checks_for_user(user: User) -> QuerySet[SpotCheck]:
    return scope_queryset(user, SpotCheck.objects.select_related("area", "supervisor")).annotate(
        sample_count=Count("samples"),
    ).order_by("-drawn_on", "-id")


def samples_of(user: User, spot_check: SpotCheck, today: date) -> QuerySet[SpotCheckSample]:
    flagged = with_flags(CustodyAccount.objects.filter(pk=OuterRef("account_id")), today)
    return (
        scope_queryset(user, SpotCheckSample.objects.filter(spot_check=spot_check))
        .select_related("account__person__household__village", "checked_by")
        .annotate(
            balance_fen=F("account__balance_fen"),
            any_flag=Exists(flagged.filter(
                Q(flag_no_receipt=True) | Q(flag_large_withdrawal=True) | Q(flag_no_deposit=True)
                | Q(flag_over_ceiling=True) | Q(flag_check_overdue=True)
            )),
        )
        .order_by("account_id")
    )


def open_account_ids(prefix: str) -> list[int]:
    """The ids of the open accounts under an area prefix (sorted): a spot check's population.
    Read through `care_custody_open_accounts` (custody 0009), which the second lock lets a
    financial supervisor call for the areas of their scope although they see only their sample's
    accounts; it gives ids, nothing else."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM care_custody_open_accounts(%s) AS id ORDER BY id", [prefix])
        return [row[0] for row in cursor.fetchall()]
