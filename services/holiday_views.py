"""Pages of the holiday tables (节假日安排): every year at a glance, one year's days, and — for
the prefecture bureau — entering a year from the State Council's notice (pasted or uploaded)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import sheets

from . import holidays
from .models import HolidayDayKind, HolidayYear, Referral, ReferralStatus

MAX_NOTICE_LINES = 500  # a year's notice is some twenty lines
EXAMPLE = "元旦,2027-01-01,,放假\n春节,2027-02-05,2027-02-13,放假\n春节,2027-02-20,,上班"


class HolidayYearForm(forms.Form):
    source = forms.CharField(label=gettext_lazy("依据"), max_length=200,
                             help_text=gettext_lazy("如：国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）"))
    text = forms.CharField(label=gettext_lazy("节假日安排"), required=False,
                           widget=forms.Textarea(attrs={"rows": 12, "class": "font-monospace"}))
    upload = forms.FileField(label=gettext_lazy("或上传文本文件(.txt/.csv)"), required=False)

    def clean(self):
        data = super().clean()
        upload = data.get("upload")
        if upload:
            sheets.check_upload(upload)  # the one limit of every import
            raw = upload.read()
            if b"\x00" in raw or raw[:2] == b"PK":  # a spreadsheet, an image, a zip: not a text file
                raise ValidationError(_("请上传文本文件(.txt/.csv)，或把通知的节假日安排粘贴到上面的文本框。"))
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    data["text"] = raw.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise ValidationError(_("无法识别文件编码，请另存为UTF-8文本。"))
        if (data.get("text") or "").count("\n") > MAX_NOTICE_LINES:
            raise ValidationError(_("节假日安排不能超过%(n)d行，请只粘贴通知中的放假安排。") % {"n": MAX_NOTICE_LINES})
        if not (data.get("text") or "").strip():
            raise ValidationError(_("请粘贴通知的节假日安排，或上传文本文件。"))
        return data


def _year_rows():
    return HolidayYear.objects.select_related("entered_by").annotate(
        off_days=Count("days", filter=Q(days__kind=HolidayDayKind.OFF)),
        work_days=Count("days", filter=Q(days__kind=HolidayDayKind.WORK)),
    ).order_by("-year")


def _provisional_open() -> int:
    return Referral.objects.filter(due_provisional=True, status__in=[
        ReferralStatus.SUBMITTED, ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS]).count()


@login_required
def holiday_list(request: HttpRequest) -> HttpResponse:
    if not holidays.can_view(request.user):
        raise Http404
    year = request.GET.get("year", "")
    if year.isdigit() and 2000 <= int(year) <= 2100:
        return redirect("services:holiday_year", year=int(year))
    this_year = timezone.localdate().year
    known = set(HolidayYear.objects.values_list("year", flat=True))
    missing = [y for y in (this_year, this_year + 1) if y not in known]
    return render(request, "services/holidays.html", {
        "rows": _year_rows()[:12], "missing": missing, "can_edit": holidays.can_edit(request.user),
        "provisional": _provisional_open(), "next_year": this_year + 1,
    })


@login_required
def holiday_year(request: HttpRequest, year: int) -> HttpResponse:
    if not holidays.can_view(request.user) or not 2000 <= year <= 2100:
        raise Http404
    entry = _year_rows().filter(year=year).first()
    can_edit = holidays.can_edit(request.user)
    form = None
    if can_edit:
        initial = {"source": entry.source_display if entry else "", "text": holidays.notice_text(year) if entry else ""}
        form = HolidayYearForm(request.POST or None, request.FILES or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                _saved, recomputed = holidays.year_save(actor=request.user, year=year, text=form.cleaned_data["text"],
                                                        source=form.cleaned_data["source"], request=request)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                note = _("%(y)s 年节假日安排已保存。") % {"y": year}
                if recomputed:
                    note += _("已按新安排重新计算 %(n)d 件暂定期限的转介。") % {"n": recomputed}
                messages.success(request, note)
                return redirect("services:holiday_year", year=year)
    return render(request, "services/holiday_year.html", {
        "year": year, "entry": entry, "form": form, "runs": holidays.runs_of(year), "example": EXAMPLE,
        "provisional": _provisional_open(),
    })
