"""Oversight spreadsheets: a dashboard panel as shown (headers, rows, totals)."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from accounts.models import Area


def workbook(title: str, headers: list[str]) -> tuple[Workbook, object]:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31].replace("/", "-")
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    return wb, ws


def to_bytes(wb: Workbook) -> bytes:
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _plain(cell) -> object:
    """A cell's value for a spreadsheet: numbers stay numbers; a rate keeps its count beside it."""
    value = cell.value
    if cell.note:
        return f"{value} ({cell.note})"
    return value if isinstance(value, int | float) else str(value)


def panel_xlsx(area: Area, on: dt.date, panel) -> bytes:
    wb, ws = workbook(panel.title, [str(h) for h in panel.headers])
    for row in panel.rows:
        ws.append([_plain(c) for c in row])
    if panel.footer:
        ws.append([_plain(c) for c in panel.footer])
    ws.append([])
    ws.append([_("区划"), area.name, _("统计日期"), on.isoformat()])
    if panel.explain:
        ws.append([_("口径"), str(panel.explain)])
    return to_bytes(wb)
