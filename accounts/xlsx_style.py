"""Spreadsheets that work in Excel: numbers stored as numbers (money in yuan with two decimals,
so SUM works), dates as dates, a bold frozen header with filters, a totals row where a sum means
something, 序号 from 1, and the names of the county, township and village beside their codes.

The exporters write their rows as before and call these helpers on the sheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"  # a rate stored as a fraction (0.825), shown 82.5%, averaged and charted as a number
HEADER_FILL = PatternFill("solid", start_color="FFF1F3F5", end_color="FFF1F3F5")
TOTAL_LABEL = "合计"


def money(fen: int | None) -> Decimal | None:
    """Fen (integer) → yuan as an exact Decimal with two places; Excel stores it as a number."""
    if fen is None:
        return None
    return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


def header(ws: Worksheet, row: int = 1, *, widths: Sequence[float] | None = None) -> None:
    """Bold, shaded, wrapped header on `row`; rows above and the header stay frozen; filters on."""
    for cell in ws[row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = f"A{row + 1}"
    if ws.max_column:
        ws.auto_filter.ref = f"A{row}:{get_column_letter(ws.max_column)}{max(ws.max_row, row)}"
    if widths:
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width


def auto_widths(ws: Worksheet, *, minimum: float = 8, maximum: float = 40) -> None:
    """Column widths from the longest value of each column (a CJK character counts two)."""
    widest: dict[int, float] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            text = str(cell.value)
            width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text) + 2
            widest[cell.column] = max(widest.get(cell.column, 0), width)
    for col, width in widest.items():
        ws.column_dimensions[get_column_letter(col)].width = max(minimum, min(maximum, width))


def formats(ws: Worksheet, *, first_row: int, money_cols: Iterable[int] = (), date_cols: Iterable[int] = (),
            last_row: int | None = None) -> None:
    """Number formats by column (1-based): money with two decimals, dates as yyyy-mm-dd."""
    last = last_row or ws.max_row
    for col in money_cols:
        for (cell,) in ws.iter_rows(min_row=first_row, max_row=last, min_col=col, max_col=col):
            cell.number_format = MONEY_FORMAT
    for col in date_cols:
        for (cell,) in ws.iter_rows(min_row=first_row, max_row=last, min_col=col, max_col=col):
            if isinstance(cell.value, dt.datetime):
                cell.number_format = DATETIME_FORMAT
            elif isinstance(cell.value, dt.date):
                cell.number_format = DATE_FORMAT


def totals(ws: Worksheet, *, first_row: int, last_row: int, sum_cols: Iterable[int], label_col: int = 1,
           money_cols: Iterable[int] = ()) -> int:
    """Append a bold 合计 row with the sum of `sum_cols` over the data rows (values, not formulas:
    what a reader of the file sees is what was summed). Returns the row number."""
    row = ws.max_row + 1
    ws.cell(row=row, column=label_col, value=TOTAL_LABEL)
    money_cols = set(money_cols)
    for col in sum_cols:
        total = Decimal(0)
        for (cell,) in ws.iter_rows(min_row=first_row, max_row=last_row, min_col=col, max_col=col):
            if isinstance(cell.value, (int, float, Decimal)) and not isinstance(cell.value, bool):
                total += Decimal(str(cell.value))
        target = ws.cell(row=row, column=col, value=total.quantize(Decimal("0.01")) if col in money_cols else int(total))
        if col in money_cols:
            target.number_format = MONEY_FORMAT
    for cell in ws[row]:
        cell.font = Font(bold=True)
    return row


def area_names(codes: Iterable[str]) -> dict[str, tuple[str, str, str]]:
    """{village code: (county name, township name, village name)} in one query."""
    from accounts.models import Area

    codes = {c for c in codes if c}
    wanted = set(codes)
    for code in codes:
        wanted |= {code[:6] + "000000", code[:9] + "000"}
    names = dict(Area.objects.filter(code__in=wanted).values_list("code", "name"))
    return {c: (names.get(c[:6] + "000000", ""), names.get(c[:9] + "000", ""), names.get(c, "")) for c in codes}


def add_area_sheet(wb: Workbook, codes: Iterable[str], title: str = "区划对照") -> Worksheet:
    """A sheet naming every village code used in the workbook: 村级区划代码, 县(市), 乡镇(街道), 村(居)."""
    ws = wb.create_sheet(title)
    ws.append(["村级区划代码", "县(市)", "乡镇(街道)", "村(居)"])
    for code, (county, township, village) in sorted(area_names(codes).items()):
        ws.append([code, county, township, village])
    header(ws, widths=(16, 14, 16, 24))
    return ws
