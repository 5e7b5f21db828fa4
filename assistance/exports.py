"""Spreadsheets of assistance: the reserve-fund ledger and the emergency report. Money is written
as numbers in yuan with two decimals, with a totals row; place names beside codes; 序号 from 1."""

from __future__ import annotations

from django.utils.timezone import localtime
from openpyxl.styles import Font

from accounts import sheets

MONEY = "#,##0.00"
LEDGER_HEADERS = ["序号", "发生日期", "类型", "救助申请", "户编号", "村(居)", "发放方式", "收入(元)", "支出(元)",
                  "余额(元)", "摘要", "经办人", "记录时间"]
REPORT_HEADERS = ["序号", "乡镇(街道)", "村(居)", "村(居)代码", "户编号", "类别", "核查结果", "核查时间", "说明", "户主"]


def ledger_xlsx(fund, entries) -> bytes:
    wb, ws = sheets.workbook(f"{fund.county.name}救助备用金台账", LEDGER_HEADERS)
    income = spent = 0
    for n, e in enumerate(entries, start=1):
        app = e.application
        ws.append([
            n, e.entry_date, e.get_kind_display(), app.pk if app else None,
            app.household.code if app else "", app.household.village.short_name if app else "",
            e.get_channel_display() if e.channel else "",
            e.amount_fen / 100 if e.amount_fen > 0 else None,
            -e.amount_fen / 100 if e.amount_fen < 0 else None,
            e.balance_after_fen / 100, e.note, e.recorded_by.display_name,
            localtime(e.recorded_at).replace(tzinfo=None),
        ])
        income += max(e.amount_fen, 0)
        spent += max(-e.amount_fen, 0)
    ws.append(["合计", None, None, None, None, None, None, income / 100, spent / 100, fund.balance_fen / 100])
    for row in ws.iter_rows(min_row=2):
        row[1].number_format = "yyyy-mm-dd"
        row[12].number_format = "yyyy-mm-dd hh:mm"
        for cell in row[7:10]:
            cell.number_format = MONEY
    for row in ws.iter_rows(min_row=ws.max_row):
        for cell in row:
            cell.font = Font(bold=True)
    return sheets.workbook_bytes(wb)


def emergency_xlsx(emergency, households, board: dict, status_labels: dict) -> bytes:
    wb, ws = sheets.workbook("点名核查", REPORT_HEADERS)
    for n, h in enumerate(households, start=1):
        township = h.village.parent.name if h.village.parent_id else ""
        ws.append([
            n, township, h.village.short_name, h.village_id, h.code, h.tier,
            str(status_labels.get(h.latest_status, "未核查")),
            localtime(h.latest_at).replace(tzinfo=None) if h.latest_at else None, h.latest_note or "",
            getattr(h, "head_name", "") or "",
        ])
        if h.latest_at:
            ws.cell(row=ws.max_row, column=8).number_format = "yyyy-mm-dd hh:mm"
    summary = wb.create_sheet("按村汇总")
    keys = ["total", "unknown", *status_labels.keys()]
    summary.append(["村(居)", "村(居)代码", "受影响户数", "未核查", *[str(v) for v in status_labels.values()]])
    for v in board["villages"]:
        summary.append([v["village__name"], v["village_id"], *[v[k] for k in keys]])
    summary.append(["合计", None, *[board["totals"][k] for k in keys]])
    for cell in summary[1] + summary[summary.max_row]:
        cell.font = Font(bold=True)
    summary.freeze_panes = "A2"
    return sheets.workbook_bytes(wb)


HOUSING_HEADERS = ["序号", "县(市)", "乡镇(街道)", "村(居)", "村(居)代码", "户编号", "户主", "类别", "来源", "鉴定等级",
                   "鉴定日期", "状态", "改造年度", "说明"]
MEDICAL_HEADERS = ["序号", "乡镇(街道)", "村(居)", "户编号", "姓名", "身份证号(脱敏)", "类别", "救助次数", "救助金额(元)"]


def housing_xlsx(cases) -> bytes:
    """The dilapidated-housing ledger for 住建."""
    wb, ws = sheets.workbook("危房台账", HOUSING_HEADERS)
    for n, c in enumerate(cases, start=1):
        village = c.household.village
        township = village.parent
        county = township.parent if township else None
        ws.append([n, county.name if county else "", township.name if township else "", village.short_name,
                   village.code, c.household.code, getattr(c, "head_name", "") or "",
                   c.household.tier, c.get_source_display(), c.get_grade_display() if c.grade else "待鉴定",
                   c.appraised_on, c.get_status_display(), c.renovation_year, c.note])
        ws.cell(row=ws.max_row, column=11).number_format = "yyyy-mm-dd"
    return sheets.workbook_bytes(wb)


def medical_aid_xlsx(people) -> bytes:
    """The list for 医保: people on the roster with medical aid received and its total."""
    wb, ws = sheets.workbook("医疗救助名单", MEDICAL_HEADERS)
    total_n = total_fen = 0
    for n, p in enumerate(people, start=1):
        village = p.household.village
        ws.append([n, village.parent.name if village.parent_id else "", village.short_name, p.household.code,
                   p.name, p.id_masked, p.household.tier, p.aid_count, p.aid_fen / 100])
        ws.cell(row=ws.max_row, column=9).number_format = MONEY
        total_n += p.aid_count
        total_fen += p.aid_fen
    ws.append(["合计", None, None, None, None, None, None, total_n, total_fen / 100])
    ws.cell(row=ws.max_row, column=9).number_format = MONEY
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    return sheets.workbook_bytes(wb)
