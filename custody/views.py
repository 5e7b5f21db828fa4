"""Thin HTTP layer of fund custody: fetch in scope (404 outside), call one action, redirect."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.actions import audit_record
from accounts.files import upload_response
from accounts.models import Area, AreaLevel, AuditAction, Role
from accounts.permissions import apply_form_errors, require_role
from accounts.repeat import already_done
from accounts.scoping import get_object_for_user, has_role, prefix_q, scope_queryset

from . import actions, exports, forms, queries, rules
from .models import (
    AccountStatus,
    Caregiver,
    Custodian,
    CustodyAccount,
    CustodyPolicy,
    DutyRole,
    EvaluatorLevel,
    LedgerEntry,
    Replacement,
    SpotCheck,
    SpotCheckSample,
    VillageMeeting,
    supervisor_prefixes,
)

MANAGERS = (Role.VILLAGE_COMMITTEE, Role.TOWNSHIP)


def _require(request: HttpRequest, *roles: str) -> None:
    """The row is in scope (else 404 already); this role may look but not act on it."""
    require_role(request.user, *roles)


_form_error = apply_form_errors  # the one form-error helper (accounts/permissions.py)


def _account(request: HttpRequest, pk: int, today: date) -> CustodyAccount:
    return queries.get_account_for_user(request.user, pk, today)


def _villages(request: HttpRequest):
    return scope_queryset(request.user, Area.objects.filter(level=AreaLevel.VILLAGE)).order_by("code")


# --- accounts --------------------------------------------------------------------------------


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    village = request.GET.get("village", "")
    status = request.GET.get("status", AccountStatus.OPEN)
    if status not in AccountStatus.values and status != "all":
        status = AccountStatus.OPEN
    flagged = request.GET.get("flagged") == "1"
    rows = list(queries.accounts_for_user(request.user, today, village=village,
                                          status="" if status == "all" else status, flagged=flagged))
    for row in rows:
        row.flags = queries.flags_of(row)
    villages = _villages(request).filter(code__in={r.person.household.village_id for r in rows} | {village})
    return render(request, "custody/account_list.html", {
        "rows": rows, "villages": villages, "village": village, "status": status, "flagged": flagged,
        "can_manage": request.user.is_superuser or has_role(request.user, *MANAGERS),
        "can_set_policy": request.user.is_superuser or has_role(request.user, Role.PREFECTURE),
        "due_count": queries.due_evaluations(request.user, today).count() if has_role(request.user, Role.TOWNSHIP) else 0,
        "sample": queries.sample_view(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def account_open(request: HttpRequest) -> HttpResponse:
    _require(request, *MANAGERS)
    today = timezone.localdate()
    people = queries.eligible_people_for_user(request.user)
    form = forms.AccountOpenForm(request.POST or None, people=people, initial={"opened_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            account = actions.account_open(person=form.cleaned_data["person"], opened_on=form.cleaned_data["opened_on"],
                                           reason=form.cleaned_data["reason"], actor=request.user, today=today,
                                           request=request)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已为 %(name)s 开设代管账户。") % {"name": account.person.name})
            return redirect("custody:account_detail", pk=account.pk)
    return render(request, "custody/form.html", {"form": form, "title": _("开设代管账户"), "back": reverse("custody:account_list")})


@login_required
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    account = _account(request, pk, today)
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=account, request=request)
    entries = list(queries.statement_entries(account).order_by("-id")[:20])
    user = request.user
    return render(request, "custody/account_detail.html", {
        "account": account,
        "person": account.person,
        "flags": queries.flags_of(account),
        "entries": entries,
        "custodians": Custodian.objects.filter(account=account).select_related("meeting"),
        "caregivers": Caregiver.objects.filter(account=account),
        "checks": account.checks.select_related("checker")[:10],
        "evaluations": account.evaluations.select_related("evaluated_by", "custodian", "caregiver")[:10],
        "replacements": Replacement.objects.filter(account=account, closed_on__isnull=True),
        "samples": scope_queryset(user, SpotCheckSample.objects.filter(account=account)).select_related("spot_check"),
        "can_manage": account.is_open and (user.is_superuser or has_role(user, *MANAGERS)),
        "can_check": user.is_superuser or has_role(user, Role.VILLAGE_COMMITTEE),
        "can_evaluate": account.is_open and (user.is_superuser or has_role(user, *MANAGERS)),
    })


@login_required
@require_http_methods(["GET", "POST"])
def account_close(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    account = _account(request, pk, today)
    _require(request, *MANAGERS)
    if not account.is_open:  # a second press of 销户: the account's page, closed
        return already_done(request, "custody:account_detail", pk=account.pk, detail=_("账户已于 %(d)s 销户。") % {
            "d": account.closed_on.isoformat() if account.closed_on else ""})
    form = forms.AccountCloseForm(request.POST or None, initial={"closed_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            actions.account_close(account=account, closed_on=form.cleaned_data["closed_on"],
                                  reason=form.cleaned_data["reason"], actor=request.user, today=today, request=request)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("账户已销户，销户时余额 %(b)s 元。") % {"b": rules.yuan(account.balance_fen)})
            return redirect("custody:account_detail", pk=account.pk)
    return _account_form(request, account, form, _("销户"))


def _account_form(request, account, form, title, template="custody/form.html", **extra) -> HttpResponse:
    return render(request, template, {"form": form, "account": account, "title": title,
                                      "back": reverse("custody:account_detail", args=[account.pk]), **extra})


# --- meetings, custodians, caregivers --------------------------------------------------------


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    return render(request, "custody/meeting_list.html", {
        "meetings": queries.meetings_for_user(request.user),
        "can_manage": request.user.is_superuser or has_role(request.user, *MANAGERS),
    })


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    _require(request, *MANAGERS)
    today = timezone.localdate()
    form = forms.MeetingForm(request.POST or None, request.FILES or None, villages=_villages(request),
                             initial={"held_on": today})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            meeting = actions.meeting_record(village=d["village"], held_on=d["held_on"], attendance=d["attendance"],
                                             attendees=d["attendees"], resolution=d["resolution"], minutes=d["minutes"],
                                             actor=request.user, today=today, request=request)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("村民会议已记录。"))
            return redirect("custody:meeting_detail", pk=meeting.pk)
    return render(request, "custody/form.html", {"form": form, "title": _("记录村民会议"), "multipart": True,
                                                 "back": reverse("custody:meeting_list")})


@login_required
@require_http_methods(["GET", "POST"])
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting, the custodians elected at it, and the form that records an election."""
    today = timezone.localdate()
    meeting = get_object_for_user(request.user, VillageMeeting.objects.select_related("village", "recorded_by"), pk=pk)
    can_manage = request.user.is_superuser or has_role(request.user, *MANAGERS)
    accounts = scope_queryset(request.user, CustodyAccount.objects.select_related("person__household")).filter(
        status=AccountStatus.OPEN, person__household__village=meeting.village).order_by("person__name")
    form = forms.CustodianForm(request.POST or None, accounts=accounts,
                               initial={"started_on": meeting.held_on, "account": request.GET.get("account")})
    if request.method == "POST":
        _require(request, *MANAGERS)
        if form.is_valid():
            d = form.cleaned_data
            try:
                actions.custodian_elect(account=d["account"], meeting=meeting, candidate=form.candidate(),
                                        phone=d["phone"], started_on=d["started_on"], actor=request.user, today=today,
                                        request=request)
            except ValidationError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("已记录推选结果：%(name)s 任 %(person)s 的保障资金代管人。")
                                 % {"name": d["name"], "person": d["account"].person.name})
                return redirect("custody:account_detail", pk=d["account"].pk)
    elected = Custodian.objects.filter(meeting=meeting).select_related("account__person")
    if request.method == "GET":
        audit_record(actor=request.user, action=AuditAction.VIEW, obj=meeting, request=request)
    return render(request, "custody/meeting_detail.html", {"meeting": meeting, "form": form, "elected": elected,
                                                           "can_manage": can_manage})


@login_required
def meeting_minutes(request: HttpRequest, pk: int) -> FileResponse:
    meeting = get_object_for_user(request.user, VillageMeeting, pk=pk)
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=meeting, request=request, details={"file": "minutes"})
    return upload_response(meeting.minutes, f"meeting-minutes-{meeting.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def caregiver_appoint(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    account = _account(request, pk, today)
    _require(request, *MANAGERS)
    form = forms.CaregiverForm(request.POST or None, initial={"started_on": today})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.caregiver_appoint(account=account, name=d["name"], id_number=d["id_number"], phone=d["phone"],
                                      relation=d["relation"], started_on=d["started_on"], actor=request.user,
                                      today=today, request=request)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("照料护理人已登记。"))
            return redirect("custody:account_detail", pk=account.pk)
    return _account_form(request, account, form, _("指定照料护理人"))


# --- the ledger ------------------------------------------------------------------------------


def _posted(request, account, posting, what: str):
    if posting.replayed:
        messages.info(request, _("此操作已完成：该笔已经记账，重复提交没有重复记账。"))
    else:
        messages.success(request, _("%(what)s已记账，当前余额 %(b)s 元。")
                         % {"what": what, "b": rules.yuan(posting.entry.balance_after_fen)})
    return redirect("custody:account_detail", pk=account.pk)


@login_required
@require_http_methods(["GET", "POST"])
def deposit(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    account = _account(request, pk, today)
    _require(request, *MANAGERS)
    form = forms.DepositForm(request.POST or None, initial={"entry_date": today})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            posting = actions.ledger_deposit(account=account, amount_fen=d["amount"], fund_type=d["fund_type"],
                                             entry_date=d["entry_date"], note=d["note"],
                                             idempotency_key=d["idempotency_key"], actor=request.user, today=today,
                                             request=request)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            return _posted(request, account, posting, _("存入"))
    return _account_form(request, account, form, _("存入保障资金"))


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    account = _account(request, pk, today)
    _require(request, *MANAGERS)
    form = forms.WithdrawalForm(request.POST or None, request.FILES or None, initial={"entry_date": today})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            posting = actions.ledger_withdraw(account=account, amount_fen=d["amount"], purpose=d["purpose"],
                                              entry_date=d["entry_date"], receipt_number=d["receipt_number"],
                                              receipt_photo=d["receipt_photo"], note=d["note"],
                                              idempotency_key=d["idempotency_key"], actor=request.user, today=today,
                                              request=request)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            return _posted(request, account, posting, _("支取"))
    caregiver = Caregiver.objects.filter(account=account, ended_on__isnull=True).first()
    return _account_form(request, account, form, _("照料护理人支取"), multipart=True,
                         lead=_("支取人：%(c)s") % {"c": caregiver.name} if caregiver else _("尚未指定照料护理人。"))


@login_required
@require_http_methods(["GET", "POST"])
def reverse_entry(request: HttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    today = timezone.localdate()
    account = _account(request, pk, today)
    entry = get_object_for_user(request.user, LedgerEntry.objects.filter(account=account), pk=entry_pk)
    _require(request, *MANAGERS)
    if request.method == "POST" and LedgerEntry.objects.filter(reverses=entry).exists():
        # Reversed already (this form sent twice from two pages): the ledger, not an error.
        return already_done(request, "custody:account_detail", pk=account.pk,
                            detail=_("第 %(n)s 号记录已冲正。") % {"n": entry.pk})
    form = forms.ReverseForm(request.POST or None, initial={"entry_date": today})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            posting = actions.ledger_reverse(entry=entry, reason=d["reason"], entry_date=d["entry_date"],
                                             idempotency_key=d["idempotency_key"], actor=request.user, today=today,
                                             request=request)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            return _posted(request, account, posting, _("冲正"))
    lead = _("冲正第 %(n)s 号记录：%(kind)s %(amount)s 元（%(d)s）。原记录保留，另记一笔相反金额。") % {
        "n": entry.pk, "kind": entry.get_kind_display(), "amount": rules.yuan(abs(entry.amount_fen)), "d": entry.entry_date}
    return _account_form(request, account, form, _("冲正"), lead=lead)


@login_required
def receipt_photo(request: HttpRequest, pk: int, entry_pk: int) -> FileResponse:
    entry = get_object_for_user(request.user, LedgerEntry.objects.filter(account_id=pk), pk=entry_pk)
    if not entry.receipt_photo:
        raise Http404
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=entry, request=request, details={"file": "receipt"})
    return upload_response(entry.receipt_photo, f"receipt-{entry.pk}")


# --- statements ------------------------------------------------------------------------------


@login_required
def statement(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable ledger of one account with its running balance."""
    today = timezone.localdate()
    account = _account(request, pk, today)
    entries = list(queries.statement_entries(account))
    seq = {e.pk: i for i, e in enumerate(entries, start=1)}  # 序号 from 1; reversals refer to it
    for e in entries:
        e.seq, e.reversed_by_seq = seq[e.pk], seq.get(e.reversed_by_id, e.reversed_by_id)
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=account, request=request,
                 details={"page": "statement", "entries": len(entries)})
    return render(request, "custody/statement.html", {
        "account": account, "person": account.person, "entries": entries, "printed_on": today,
        "custodians": Custodian.objects.filter(account=account).order_by("started_on", "id"),
        "caregivers": Caregiver.objects.filter(account=account).order_by("started_on", "id"),
    })


@login_required
def statement_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    account = _account(request, pk, today)
    entries = list(queries.statement_entries(account))
    audit_record(actor=request.user, action=AuditAction.EXPORT, obj=account, request=request,
                 details={"report": "custody_statement", "rows": len(entries)})
    response = HttpResponse(exports.statement_xlsx(account, entries),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="custody-statement-{account.pk}.xlsx"'
    return response


def _period(request: HttpRequest, today: date) -> queries.Period:
    raw = request.GET.get("month", "")
    try:
        year, month = (int(x) for x in raw.split("-"))
        start = date(year, month, 1)
    except (ValueError, TypeError):
        start = rules.month_start(today)
    return queries.Period(start, rules.add_months(start, 1) - timedelta(days=1))


@login_required
def village_summary(request: HttpRequest, code: str) -> HttpResponse:
    today = timezone.localdate()
    village = get_object_for_user(request.user, Area.objects.filter(level=AreaLevel.VILLAGE), code=code)
    period = _period(request, today)
    rows = list(queries.village_summary(request.user, village, period, today))
    for row in rows:
        row.flags = queries.flags_of(row)
    if request.GET.get("format") == "xlsx":
        audit_record(actor=request.user, action=AuditAction.EXPORT, object_type="custody.village_summary",
                     object_id=village.code, object_repr=village.name, request=request,
                     details={"month": f"{period.start:%Y-%m}", "rows": len(rows)})
        response = HttpResponse(exports.summary_xlsx(rows, queries.flags_of),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="custody-{village.code}-{period.start:%Y-%m}.xlsx"'
        return response
    audit_record(actor=request.user, action=AuditAction.VIEW, object_type="custody.village_summary",
                 object_id=village.code, object_repr=village.name, request=request,
                 details={"month": f"{period.start:%Y-%m}"})
    totals = {k: sum(getattr(r, k) for r in rows) for k in ("opening_fen", "income_fen", "expense_fen", "closing_fen")}
    return render(request, "custody/village_summary.html", {"village": village, "period": period, "rows": rows,
                                                            "totals": totals})


# --- checks and evaluations ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def check_sign(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    account = _account(request, pk, today)
    _require(request, Role.VILLAGE_COMMITTEE)
    start = max(account.last_checked_on or account.opened_on, account.opened_on)
    form = forms.CheckForm(request.POST or None, initial={"period_start": start, "period_end": today})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.check_sign(account=account, period_start=d["period_start"], period_end=d["period_end"],
                               result=d["result"], issues=d["issues"], actor=request.user, today=today, request=request)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("定期检查已签字。"))
            return redirect("custody:account_detail", pk=account.pk)
    return _account_form(request, account, form, _("定期检查"),
                         lead=_("当前余额 %(b)s 元。") % {"b": rules.yuan(account.balance_fen)})


@login_required
@require_http_methods(["GET", "POST"])
def evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    account = _account(request, pk, today)
    _require(request, *MANAGERS)
    # A township official evaluates as the township; a village committee member as the village.
    township = has_role(request.user, Role.TOWNSHIP) and not has_role(request.user, Role.VILLAGE_COMMITTEE)
    level = EvaluatorLevel.TOWNSHIP if township else EvaluatorLevel.VILLAGE
    initial = {"role": DutyRole.CAREGIVER if township else request.GET.get("role", DutyRole.CUSTODIAN)}
    form = forms.EvaluationForm(request.POST or None, initial=initial)
    if township:
        form.fields["role"].choices = [(DutyRole.CAREGIVER, DutyRole.CAREGIVER.label)]
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            evaluation = actions.evaluation_record(account=account, role=d["role"], level=level, result=d["result"],
                                                   notes=d["notes"], actor=request.user, today=today, request=request)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            if hasattr(evaluation, "replacement"):
                messages.warning(request, _("评估不称职，已启动更换%(role)s。") % {"role": evaluation.get_role_display()})
            else:
                messages.success(request, _("履职评估已记录。"))
            return redirect("custody:account_detail", pk=account.pk)
    return _account_form(request, account, form, _("履职评估（%(level)s）") % {"level": EvaluatorLevel(level).label})


@login_required
def evaluations_due(request: HttpRequest) -> HttpResponse:
    """The township's monthly list: caregivers of disabled tier-A persons not yet evaluated."""
    today = timezone.localdate()
    rows = queries.due_evaluations(request.user, today)
    return render(request, "custody/evaluations_due.html", {"rows": rows, "month": rules.month_start(today)})


# --- spot checks -----------------------------------------------------------------------------


def _supervisor_areas(request: HttpRequest):
    prefixes = supervisor_prefixes(request.user)
    q = prefix_q("code", prefixes)
    if q is None:
        return Area.objects.none()
    return Area.objects.filter(q, level__in=[AreaLevel.COUNTY, AreaLevel.TOWNSHIP]).order_by("code")


@login_required
def spot_check_list(request: HttpRequest) -> HttpResponse:
    return render(request, "custody/spot_check_list.html", {
        "spot_checks": queries.spot_checks_for_user(request.user),
        "can_draw": request.user.is_superuser or has_role(request.user, Role.FINANCIAL_SUPERVISOR),
    })


@login_required
@require_http_methods(["GET", "POST"])
def spot_check_create(request: HttpRequest) -> HttpResponse:
    _require(request, Role.FINANCIAL_SUPERVISOR)
    today = timezone.localdate()
    form = forms.SpotCheckForm(request.POST or None, areas=_supervisor_areas(request))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            spot_check = actions.spot_check_draw(area=d["area"], percent=d["percent"], seed=d["seed"], note=d["note"],
                                                 actor=request.user, today=today, request=request)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("已抽取 %(n)s 个账户。") % {"n": spot_check.samples.count()})
            return redirect("custody:spot_check_detail", pk=spot_check.pk)
    return render(request, "custody/form.html", {"form": form, "title": _("抽取抽查样本"),
                                                 "back": reverse("custody:spot_check_list")})


@login_required
def spot_check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    spot_check = get_object_for_user(request.user, SpotCheck.objects.select_related("area", "supervisor"), pk=pk)
    samples = list(queries.samples_of(request.user, spot_check, today))
    audit_record(actor=request.user, action=AuditAction.VIEW, obj=spot_check, request=request)
    return render(request, "custody/spot_check_detail.html", {
        "spot_check": spot_check, "samples": samples, "form": forms.FindingForm(),
        "reproduced": rules.draw_sample(spot_check.population_ids, spot_check.percent, spot_check.seed),
        "can_record": request.user.is_superuser or has_role(request.user, Role.FINANCIAL_SUPERVISOR),
    })


@login_required
@require_http_methods(["POST"])
def sample_finding(request: HttpRequest, pk: int, sample_pk: int) -> HttpResponse:
    today = timezone.localdate()
    sample = get_object_for_user(request.user, SpotCheckSample.objects.filter(spot_check_id=pk), pk=sample_pk)
    _require(request, Role.FINANCIAL_SUPERVISOR)
    form = forms.FindingForm(request.POST)
    if form.is_valid():
        try:
            actions.sample_finding_record(sample=sample, result=form.cleaned_data["result"],
                                          finding=form.cleaned_data["finding"], actor=request.user, today=today,
                                          request=request)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("抽查发现已记录。"))
    else:
        messages.error(request, _("请选择抽查结果。"))
    return redirect("custody:spot_check_detail", pk=pk)


# --- settings --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def policy(request: HttpRequest) -> HttpResponse:
    _require(request, Role.PREFECTURE)
    counties = scope_queryset(request.user, Area.objects.filter(level=AreaLevel.COUNTY)).order_by("code")
    form = forms.PolicyForm(request.POST or None, counties=counties)
    if request.method == "POST" and form.is_valid():
        try:
            actions.policy_set(county=form.cleaned_data["county"], balance_ceiling_fen=form.cleaned_data["ceiling"],
                               actor=request.user, request=request)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("余额上限已更新。"))
            return redirect("custody:policy")
    policies = {p.county_id: p for p in scope_queryset(request.user, CustodyPolicy.objects.all())}
    rows = [(c, policies.get(c.code)) for c in counties]
    return render(request, "custody/policy.html", {"form": form, "rows": rows,
                                                   "default_fen": rules.DEFAULT_BALANCE_CEILING_FEN})


def household_tab_context(request: HttpRequest, household) -> dict:
    """The 资金代管 tab of the roster's household page: the members' custody accounts the user
    may see, with balance, custodian, caregiver and flags (one query)."""
    today = timezone.localdate()
    accounts = queries.accounts_for_user(request.user, today, status="").filter(person__household=household)
    return {"accounts": list(accounts), "household": household}
