"""Oversight spreadsheets: a dashboard panel as shown (headers, rows, totals)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from accounts import sheets, xlsx_style
from accounts.models import Area

from .models import AssessmentKind


def _plain(cell) -> object:
    """A cell's value for a spreadsheet: numbers stay numbers, a rate is its fraction (shown as a
    percentage by the cell's format), a rate without a base is empty."""
    if cell.ratio is not None:
        return cell.ratio
    value = cell.value
    if value == "—":
        return None
    return value if isinstance(value, int | float) else str(value)


def panel_xlsx(area: Area, on: dt.date, panel) -> bytes:
    """The panel as on the page: a frozen, filtered header, rates as numeric percentages (their
    counts "41/50" as a note on the cell), the totals row in bold, columns wide enough to read."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    wb, ws = sheets.workbook(panel.title, [str(h) for h in panel.headers])
    for cells in [*panel.rows, *([panel.footer] if panel.footer else [])]:
        ws.append([_plain(c) for c in cells])
        for target, c in zip(ws[ws.max_row], cells, strict=False):
            if c.ratio is not None or (c.value == "—" and c.note):
                target.number_format = xlsx_style.PERCENT_FORMAT
                if c.note:
                    target.comment = Comment(c.note, "")
    last_data = ws.max_row
    if panel.footer:
        for target in ws[last_data]:
            target.font = Font(bold=True)
    xlsx_style.header(ws)
    ws.auto_filter.ref = f"A1:{ws.cell(row=1, column=ws.max_column).column_letter}{last_data}"
    ws.append([])
    ws.append([_("区划"), area.name, _("统计日期"), on])
    ws.cell(row=ws.max_row, column=4).number_format = xlsx_style.DATE_FORMAT
    if panel.explain:
        ws.append([_("口径"), str(panel.explain)])
    xlsx_style.auto_widths(ws)
    return sheets.workbook_bytes(wb)


def inspection_xlsx(inspection, report) -> bytes:
    """The inspection report: households checked, problems and their rectification, per township."""
    from .inspections import CHECK_LABELS

    def yn(v):
        return "" if v is None else (_("是") if v else _("否"))

    wb, ws = sheets.workbook(_("抽查家庭"), [_("乡镇(街道)"), _("户编号"), _("户主"), *CHECK_LABELS.values(), _("检查情况"),
                                     _("检查人"), _("检查时间")])
    for s in report.samples:
        ws.append([s.township.name, s.household.code, s.head_name or "", *[yn(getattr(s, k)) for k in CHECK_LABELS],
                   s.note, str(s.checked_by or ""), s.checked_at.strftime("%Y-%m-%d") if s.checked_at else ""])
    ws2 = wb.create_sheet(_("发现问题"))
    ws2.append([_("乡镇(街道)"), _("户编号"), _("问题描述"), _("严重问题"), _("整改责任人"), _("整改期限"), _("状态"),
                _("整改完成日期")])
    for p in report.problems:
        ws2.append([p.area.name, p.household.code if p.household else "", p.description, yn(p.serious),
                    p.owner.display_name, p.due_on.isoformat(), p.get_status_display(),
                    p.closed_on.isoformat() if p.closed_on else ""])
    ws3 = wb.create_sheet(_("汇总"))
    ws3.append([_("乡镇(街道)"), _("抽查户数"), _("已检查"), *[f"{v}不符合" for v in CHECK_LABELS.values()],
                _("发现问题"), _("未整改")])
    for t in report.townships:
        ws3.append([t.name, t.sampled, t.checked, *[t.failed.get(k, 0) for k in CHECK_LABELS], t.problems,
                    t.open_problems])
    ws3.append([])
    ws3.append([_("检查名称"), inspection.title, _("随机种子"), inspection.seed or ""])
    if inspection.summary:
        ws3.append([_("检查总结"), inspection.summary])
    return sheets.workbook_bytes(wb)


def assessment_xlsx(county, year, kind, sheet, setting, signoff) -> bytes:
    from .assessment import INDICATORS

    keys = list(sheet[0].figures) if sheet else list(INDICATORS)
    headers = [_("名次"), _("单位/干部"), _("得分"), _("等次")]
    for k in keys:
        headers += [f"{INDICATORS[k]}", f"{INDICATORS[k]}(分子/分母)"]
    wb, ws = sheets.workbook(_("考核得分"), headers)
    for i, r in enumerate(sheet, start=1):
        row = [i, r.name, r.score if r.score is not None else "", r.grade]
        for k in keys:
            f = r.figures[k]
            row += [f.rate / 100 if f.rate is not None else None, f"{f.num}/{f.den}"]
        ws.append(row)
        for col in range(5, len(row) + 1, 2):  # each indicator's rate: a number shown as a percentage
            ws.cell(row=ws.max_row, column=col).number_format = xlsx_style.PERCENT_FORMAT
    ws.append([])
    ws.append([_("县(市)"), county.name, _("年度"), year, _("考核类型"), str(dict(AssessmentKind.choices).get(kind, kind))])
    if setting:
        ws.append([_("指标设置"), f"{setting.set_by.display_name} {setting.set_at:%Y-%m-%d %H:%M}",
                   _("优秀"), setting.excellent, _("合格"), setting.passing])
        ws.append([_("权重"), *[f"{INDICATORS[k]} {w}" for k, w in setting.weights.items()]])
    if signoff:
        ws.append([_("审核签发"), signoff.signed_by.display_name, signoff.signed_at.strftime("%Y-%m-%d %H:%M"),
                   signoff.opinion])
    return sheets.workbook_bytes(wb)
