"""The audit page (审计日志): county and prefecture staff read who viewed, revealed, exported or
changed the records of their area — by person (name or household number), user, type and date."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import audit
from .actions import audit_record
from .models import Area, AuditAction
from .scoping import scope_queryset

PAGE_SIZE = 50
MAX_HOUSEHOLDS = 200
# A user refused this many times in DENIAL_DAYS is shown on top of the page (accounts/denials.py):
# a few 404s are typos and stale links; dozens look like ids being tried one after another.
DENIAL_SIGNAL = 10
DENIAL_DAYS = 7


class AuditFilterForm(forms.Form):
    person = forms.CharField(label=gettext_lazy("对象（姓名或户编号）"), max_length=40, required=False)
    user = forms.CharField(label=gettext_lazy("操作人（用户名或姓名）"), max_length=40, required=False)
    action = forms.ChoiceField(label=gettext_lazy("操作"), required=False,
                               choices=[("", gettext_lazy("全部"))] + list(AuditAction.choices))
    type = forms.ChoiceField(label=gettext_lazy("对象类型"), required=False)
    since = forms.DateField(label=gettext_lazy("起始日期"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=gettext_lazy("截止日期"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("全部"))] + audit.type_choices()

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("截止日期不能早于起始日期。"))
        return data


def repeated_denials(user, today: dt.date) -> list[dict]:
    """Users with at least DENIAL_SIGNAL denied requests in the last DENIAL_DAYS days, among the
    events the reader may read; most first. One grouped query."""
    since = today - dt.timedelta(days=DENIAL_DAYS - 1)
    return list(
        audit.events_for(user, action=AuditAction.DENIED, since=since, until=today)
        .filter(actor__isnull=False).order_by()
        .values("actor_id", "actor__username", "actor__real_name")
        .annotate(denials=Count("id"), routes=Count("object_repr", distinct=True), last=Max("at"))
        .filter(denials__gte=DENIAL_SIGNAL).order_by("-denials", "actor__username")[:20]
    )


def _households(user, text: str) -> list[int]:
    from beneficiaries.models import Household

    text = text.strip()
    households = scope_queryset(user, Household.objects.all()).filter(
        Q(code=text) | Q(members__name__contains=text)).values_list("pk", flat=True).distinct()
    return list(households[:MAX_HOUSEHOLDS])


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    if not audit.can_read(request.user):
        raise Http404
    form = AuditFilterForm(request.GET or None)
    events = None
    person_matches = None
    if not request.GET:
        today = timezone.localdate()
        form = AuditFilterForm(initial={"since": today - dt.timedelta(days=30), "until": today})
        events = audit.events_for(request.user, since=today - dt.timedelta(days=30), until=today)
    elif form.is_valid():
        data = form.cleaned_data
        household_ids = None
        if data["person"]:
            household_ids = _households(request.user, data["person"])
            person_matches = len(household_ids)
        events = audit.events_for(request.user, household_ids=household_ids, actor=data["user"].strip(),
                                  action=data["action"], object_type=data["type"], since=data["since"],
                                  until=data["until"])
        audit_record(actor=request.user, action=AuditAction.VIEW, object_type="accounts.auditevent",
                     object_repr=_("审计日志"), request=request,
                     details={k: str(v) for k, v in data.items() if v})
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page")) if events is not None else None
    events_shown = audit.with_display(list(page or []))
    names = dict(Area.objects.filter(code__in={e.area_code for e in events_shown if e.area_code})
                 .values_list("code", "name"))
    for event in events_shown:
        event.type_label = audit.type_label(event.object_type)
        event.area_name = names.get(event.area_code, event.area_code or "")
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "accounts/audit_log.html", {
        "form": form, "page": page, "events": events_shown, "person_matches": person_matches, "query": query.urlencode(),
        "oldest": audit.oldest_event(), "denials": repeated_denials(request.user, timezone.localdate()),
        "denial_days": DENIAL_DAYS, "denial_since": timezone.localdate() - dt.timedelta(days=DENIAL_DAYS - 1),
    })
