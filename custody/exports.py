"""xlsx statements. Column headers are part of the contract with the village committee and the
township: keep them as they are."""

from __future__ import annotations

from io import BytesIO

from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from accounts import sheets

from .models import CustodyAccount
from .rules import yuan

STATEMENT_HEADERS = ["序号", "发生日期", "类型", "资金类型/用途", "摘要", "收入(元)", "支出(元)", "余额(元)",
                     "票据号", "冲正记录", "代管人", "照料护理人", "记账人", "记账时间"]
SUMMARY_HEADERS = ["代管对象", "户编号", "状态", "期初余额(元)", "本期收入(元)", "本期支出(元)", "期末余额(元)",
                   "当前余额(元)", "最近检查", "异常提示"]


def _book(title: str, headers: list[str]) -> tuple[Workbook, object]:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append = _guarded(ws.append)  # every cell through the formula-injection guard
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    return wb, ws


def _guarded(append):
    def append_guarded(row):
        return append(sheets.guard_row(row))
    return append_guarded


def _bytes(wb: Workbook) -> bytes:
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def statement_xlsx(account: CustodyAccount, entries) -> bytes:
    wb, ws = _book(_("收支财务台账"), STATEMENT_HEADERS)
    for e in entries:
        ws.append([
            e.pk, e.entry_date, e.get_kind_display(), e.get_fund_type_display() or e.get_purpose_display(), e.note,
            yuan(e.income_fen) if e.income_fen else "", yuan(e.expense_fen) if e.expense_fen else "",
            yuan(e.running_fen), e.receipt_number,
            (_("冲正第%(n)s号") % {"n": e.reverses_id}) if e.reverses_id else
            ((_("已被第%(n)s号冲正") % {"n": e.reversed_by_id}) if e.reversed_by_id else ""),
            e.custodian_on_date or "", e.caregiver_on_date or "",
            str(e.posted_by) if e.posted_by else "", localtime(e.posted_at).strftime("%Y-%m-%d %H:%M"),
        ])
    ws.append([])
    ws.append([_("代管对象"), account.person.name, _("身份证号"), account.person.id_masked, _("当前余额(元)"),
               yuan(account.balance_fen)])
    return _bytes(wb)


def summary_xlsx(rows, flags_of) -> bytes:
    wb, ws = _book(_("村级代管汇总"), SUMMARY_HEADERS)
    for a in rows:
        ws.append([
            a.person.name, a.person.household.code, a.get_status_display(), yuan(a.opening_fen), yuan(a.income_fen),
            yuan(a.expense_fen), yuan(a.closing_fen), yuan(a.balance_fen), a.last_checked_on or "",
            "、".join(flags_of(a)),
        ])
    return _bytes(wb)
