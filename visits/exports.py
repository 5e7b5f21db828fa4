"""Files counties use: the overdue report (CSV, UTF-8 with BOM for Excel) and the visit ledger
探视走访工作台账 (xlsx). The callers audit the export."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

from django.db.models import QuerySet

from accounts import sheets
from beneficiaries.models import Household

from .models import Visit
from .queries import OVERDUE_REPORT_HEADERS, overdue_report, with_area_names


def overdue_report_csv(households: QuerySet[Household], on: dt.date, out: io.TextIOBase) -> int:
    """Write the report to a text stream; returns the number of rows."""
    count, rows = overdue_report(households, on)
    for chunk in sheets.csv_stream(OVERDUE_REPORT_HEADERS, with_area_names(rows)):
        out.write(chunk.decode("utf-8"))
    return count


def overdue_report_stream(households: QuerySet[Household], on: dt.date) -> tuple[int, Iterator[bytes]]:
    """The number of rows and the CSV as byte chunks, for a StreamingHttpResponse (the rows are
    computed chunk by chunk as the response goes out)."""
    count, rows = overdue_report(households, on)
    return count, sheets.csv_stream(OVERDUE_REPORT_HEADERS, with_area_names(rows))


LEDGER_HEADERS = [
    "户编号", "村(居)", "户主姓名", "类别", "走访日期", "走访方式", "是否计入有效走访", "走访人", "见到的人",
    "健康情况", "衣食住行医", "享受社会保障待遇", "赡养扶养义务履行", "房屋和水电气暖安全", "服务需求",
    "本人意愿", "走访记录", "发现问题数", "补录说明",
]


def _grouped(v: Visit, items: tuple[tuple[str, str], ...], groups: tuple[tuple[str, str], ...], ok: str) -> str:
    """"有困难：住；未询问：行" — the items by answer; `ok` when every answered item is fine."""
    values = [(label, getattr(v, f)) for label, f in items]
    parts = []
    for value, text in groups:
        labels = [label for label, answer in values if answer == value]
        if labels:
            parts.append(f"{text}：" + "、".join(labels))
    if parts:
        return "；".join(parts)
    return ok if any(answer for _, answer in values) else ""


def _living(v: Visit) -> str:
    text = _grouped(v, (("食", "food"), ("衣", "clothing"), ("住", "housing"), ("行", "transport"), ("医", "medical")),
                    (("difficult", "有困难"), ("not_asked", "未询问")), "正常")
    return f"{text} {v.living_note}".strip()


def _safety(v: Visit) -> str:
    names = (("房屋", "house_safety"), ("水", "water_safety"), ("电", "power_safety"), ("气", "gas_safety"),
             ("暖", "heating_safety"))
    fixed = set(v.hazards_fixed)
    open_hazards = tuple((label, f) for label, f in names if f not in fixed)
    text = _grouped(v, open_hazards, (("hazard", "有隐患"), ("not_asked", "未询问")), "安全")
    removed = [label for label, f in names if f in fixed]
    if removed:
        text = "；".join(x for x in (text if text != "安全" else "", "当场已排除：" + "、".join(removed)) if x)
    return text


LEDGER_WIDTHS = (16, 12, 10, 6, 12, 8, 10, 10, 10, 14, 20, 20, 12, 16, 14, 20, 30, 8, 16)


def visit_ledger_rows(visits: QuerySet[Visit]) -> Iterator[list]:
    """One row per visit, streamed from the database in chunks."""
    from .models import Benefit, Need

    benefit_labels, need_labels = dict(Benefit.choices), dict(Need.choices)
    for v in visits.iterator(chunk_size=2000):
        yield [
            v.household.code, v.household.village.short_name, v.head_name or "", v.household.tier,
            v.visited_on, v.get_mode_display(), "是" if v.counted else "否", v.visitor_name, v.met_with,
            " ".join(x for x in (v.get_health_display() if v.health else "", v.health_note) if x),
            _living(v), "、".join(str(benefit_labels.get(b, b)) for b in v.benefits),
            v.get_family_support_display() if v.family_support else "", _safety(v),
            "、".join(str(need_labels.get(n, n)) for n in v.needs), v.wishes or ("未询问" if v.wishes_not_asked else ""), v.notes, v.finding_count, v.late_reason,
        ]


def visit_ledger_file(visits: QuerySet[Visit], title: str, rows=None):
    """探视走访工作台账 in openpyxl's write-only mode, into a temporary file (memory stays flat)."""
    return sheets.xlsx_file([sheets.Sheet(
        title="探视走访工作台账", headers=LEDGER_HEADERS, rows=visit_ledger_rows(visits) if rows is None else rows,
        title_row=title,
        widths=dict(zip(LEDGER_HEADERS, LEDGER_WIDTHS, strict=True)), text_columns=("户编号",),
    )])


def visit_ledger_xlsx(visits: QuerySet[Visit], title: str) -> bytes:
    with visit_ledger_file(visits, title) as fh:
        return fh.read()


def ledger_title(area, month) -> str:
    return f"{area.name} 探视走访工作台账 {month:%Y年%m月}"


def ledger_chunks(job, progress):
    """imports.exports writer (issue 25): the ledger of the job's area and month, as its requester
    asked for it (the request checked the area against the user's scope; the query is scoped again)."""
    import datetime as dt

    from django.utils.translation import gettext as _

    from accounts.models import Area
    from imports.exports import counted

    from . import queries

    area = Area.objects.get(code=job.params["area"])
    month = dt.datetime.strptime(job.params["month"], "%Y-%m").date()
    visits = queries.ledger_visits(job.created_by, area, month)
    total = visits.count()
    rows = counted(visit_ledger_rows(visits), total, progress, _("正在写入走访记录"))
    return total, [visit_ledger_file(visits, ledger_title(area, month), rows=rows)]
