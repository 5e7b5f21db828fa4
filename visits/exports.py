"""Files counties use: the overdue report (CSV, UTF-8 with BOM for Excel) and the visit ledger
探视走访工作台账 (xlsx). The callers audit the export."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from accounts import xlsx_style
from beneficiaries.models import Household

from .models import Visit
from .queries import OVERDUE_REPORT_HEADERS, overdue_report_rows


def overdue_report_csv(households: QuerySet[Household], on: dt.date, out: io.TextIOBase) -> int:
    """Write the report to a text stream; returns the number of rows."""
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(OVERDUE_REPORT_HEADERS)
    rows = overdue_report_rows(households, on)
    writer.writerows(rows)
    return len(rows)


LEDGER_HEADERS = [
    "户编号", "村(居)", "户主姓名", "类别", "走访日期", "走访方式", "是否计入有效走访", "走访人", "见到的人",
    "健康情况", "衣食住行医", "享受社会保障待遇", "赡养扶养义务履行", "房屋和水电气暖安全", "服务需求",
    "本人意愿", "走访记录", "发现问题数", "补录说明",
]


def _living(v: Visit) -> str:
    parts = [(label, getattr(v, f)) for label, f in (("食", "food"), ("衣", "clothing"), ("住", "housing"),
                                                      ("行", "transport"), ("医", "medical"))]
    bad = [label for label, value in parts if value == "difficult"]
    text = ("有困难：" + "、".join(bad)) if bad else ("正常" if any(value for _, value in parts) else "")
    return f"{text} {v.living_note}".strip()


def _safety(v: Visit) -> str:
    names = (("房屋", "house_safety"), ("水", "water_safety"), ("电", "power_safety"), ("气", "gas_safety"),
             ("暖", "heating_safety"))
    bad = [label for label, f in names if getattr(v, f) == "hazard"]
    if bad:
        return "有隐患：" + "、".join(bad)
    return "安全" if any(getattr(v, f) for _, f in names) else ""


def visit_ledger_xlsx(visits: QuerySet[Visit], title: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "探视走访工作台账"
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(LEDGER_HEADERS)
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
    from .models import Benefit, Need

    benefit_labels, need_labels = dict(Benefit.choices), dict(Need.choices)
    for v in visits:
        ws.append([
            v.household.code, v.household.village.short_name, v.head_name or "", v.household.tier,
            v.visited_on, v.get_mode_display(), "是" if v.counted else "否", v.visitor_name, v.met_with,
            " ".join(x for x in (v.get_health_display() if v.health else "", v.health_note) if x),
            _living(v), "、".join(str(benefit_labels.get(b, b)) for b in v.benefits),
            v.get_family_support_display() if v.family_support else "", _safety(v),
            "、".join(str(need_labels.get(n, n)) for n in v.needs), v.wishes, v.notes, v.finding_count, v.late_reason,
        ])
    for row in ws.iter_rows(min_row=3, min_col=5, max_col=5):
        for cell in row:
            cell.number_format = "yyyy-mm-dd"
    xlsx_style.header(ws, row=2)  # frozen header with filters under the title row
    for col, width in zip("ABCDEFGHIJKLMNOPQRS", (16, 12, 10, 6, 12, 8, 10, 10, 10, 14, 20, 20, 12, 16, 14, 20, 30, 8, 16),
                          strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
