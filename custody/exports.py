"""xlsx statements. Column headers are part of the contract with the village committee and the
township: keep them as they are."""

from __future__ import annotations

from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from accounts import sheets, xlsx_style
from accounts.xlsx_style import money

from .models import CustodyAccount

STATEMENT_HEADERS = ["序号", "发生日期", "类型", "资金类型/用途", "摘要", "收入(元)", "支出(元)", "余额(元)",
                     "票据号", "冲正记录", "代管人", "照料护理人", "记账人", "记账时间"]
SUMMARY_HEADERS = ["代管对象", "户编号", "状态", "期初余额(元)", "本期收入(元)", "本期支出(元)", "期末余额(元)",
                   "当前余额(元)", "最近检查", "异常提示"]


def statement_xlsx(account: CustodyAccount, entries) -> bytes:
    """序号 from 1 (reversals refer to it), money as numbers, a 合计 row, the place written out."""
    wb, ws = sheets.workbook(_("收支财务台账"), STATEMENT_HEADERS)
    seq = {e.pk: i for i, e in enumerate(entries, start=1)}
    for e in entries:
        ws.append([
            seq[e.pk], e.entry_date, e.get_kind_display(), e.get_fund_type_display() or e.get_purpose_display(), e.note,
            money(e.income_fen) if e.income_fen else None, money(e.expense_fen) if e.expense_fen else None,
            money(e.running_fen), e.receipt_number,
            (_("冲正第%(n)s号") % {"n": seq.get(e.reverses_id, e.reverses_id)}) if e.reverses_id else
            ((_("已被第%(n)s号冲正") % {"n": seq.get(e.reversed_by_id, e.reversed_by_id)}) if e.reversed_by_id else ""),
            e.custodian_on_date or "", e.caregiver_on_date or "",
            str(e.posted_by) if e.posted_by else "", localtime(e.posted_at).strftime("%Y-%m-%d %H:%M"),
        ])
    last = ws.max_row
    xlsx_style.formats(ws, first_row=2, money_cols=(6, 7, 8), date_cols=(2,))
    xlsx_style.header(ws, widths=(6, 12, 8, 16, 24, 12, 12, 12, 12, 16, 10, 10, 12, 16))
    if entries:
        xlsx_style.totals(ws, first_row=2, last_row=last, sum_cols=(6, 7), money_cols=(6, 7))
        ws.cell(row=ws.max_row, column=8, value=money(account.balance_fen)).number_format = xlsx_style.MONEY_FORMAT
    ws.append([])
    ws.append([_("代管对象"), account.person.name, _("身份证号"), account.person.id_masked, _("当前余额(元)"),
               money(account.balance_fen)])
    ws.cell(row=ws.max_row, column=6).number_format = xlsx_style.MONEY_FORMAT
    county, township, village = xlsx_style.area_names([account.person.household.village_id]).get(
        account.person.household.village_id, ("", "", ""))
    ws.append([_("县(市)"), county, _("乡镇(街道)"), township, _("村(居)"), village])
    return sheets.workbook_bytes(wb)


def summary_xlsx(rows, flags_of) -> bytes:
    wb, ws = sheets.workbook(_("村级代管汇总"), SUMMARY_HEADERS)
    for a in rows:
        ws.append([
            a.person.name, a.person.household.code, a.get_status_display(), money(a.opening_fen), money(a.income_fen),
            money(a.expense_fen), money(a.closing_fen), money(a.balance_fen), a.last_checked_on or "",
            "、".join(flags_of(a)),
        ])
    last = ws.max_row
    xlsx_style.formats(ws, first_row=2, money_cols=(4, 5, 6, 7, 8), date_cols=(9,))
    xlsx_style.header(ws, widths=(12, 16, 8, 14, 14, 14, 14, 14, 12, 24))
    if rows:
        xlsx_style.totals(ws, first_row=2, last_row=last, sum_cols=(4, 5, 6, 7, 8), money_cols=(4, 5, 6, 7, 8))
        village = rows[0].person.household.village_id
        county, township, name = xlsx_style.area_names([village]).get(village, ("", "", ""))
        ws.append([])
        ws.append([_("县(市)"), county, _("乡镇(街道)"), township, _("村(居)"), name, _("区划代码"), village])
    return sheets.workbook_bytes(wb)
