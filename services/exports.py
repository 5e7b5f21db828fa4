"""The referral ledger as xlsx (转介台账). ID numbers are masked; the caller audits the export."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from accounts import sheets, xlsx_style
from accounts.phones import phone_for
from beneficiaries.idnumber import mask

from .models import Referral

REFERRAL_HEADERS = [
    "转介编号", "提交时间", "户编号", "村(居)", "姓名", "身份证号", "联系电话", "帮扶领域", "受理部门", "急难",
    "困难和诉求", "状态", "办理期限", "是否超期", "办理结果", "不予受理理由", "办结时间", "超期上报",
    "乡镇(街道)", "县(市)", "村级区划代码",
]


def _local(value: dt.datetime | None) -> dt.datetime | None:
    """A time as Excel keeps one: the local (Asia/Shanghai) date and time, to the minute."""
    return timezone.localtime(value).replace(tzinfo=None, second=0, microsecond=0) if value else None


def referral_rows(referrals: QuerySet[Referral], *, now: dt.datetime) -> list[list]:
    out = []
    for r in referrals:
        out.append([
            r.pk, _local(r.submitted_at), r.household.code, r.household.village.short_name, r.subject_name or "",
            mask(r.subject_id_number) if r.subject_id_number else "", phone_for(None, r.contact, export=True), r.field.name, r.department.name,
            "是" if r.urgent else "否", r.problem, r.get_status_display(), _local(r.due_at),
            "是" if r.is_overdue else "否", r.outcome, r.decline_reason, _local(r.closed_at),
            f"{_local(r.escalated_at):%Y-%m-%d %H:%M} {r.escalated_to.name}" if r.escalated_to_id else "",
        ])
    return out


def referrals_xlsx(referrals: QuerySet[Referral], *, now: dt.datetime) -> bytes:
    referrals = list(referrals)
    names = xlsx_style.area_names(r.household.village_id for r in referrals)
    wb, ws = sheets.workbook("转介台账", REFERRAL_HEADERS)
    for r, row in zip(referrals, referral_rows(referrals, now=now), strict=True):
        county, township, _village = names.get(r.household.village_id, ("", "", ""))
        ws.append(row + [township, county, r.household.village_id])
    # 提交时间, 办理期限, 办结时间 as Excel date-times (sortable, filterable), not text.
    xlsx_style.formats(ws, first_row=2, date_cols=(2, 13, 17))
    xlsx_style.header(ws)
    xlsx_style.auto_widths(ws)
    return sheets.workbook_bytes(wb)
