"""A dashboard panel's spreadsheet is typed as an Excel user expects: rates are numbers with a
percentage format (their counts as a note), counts are integers, the header is frozen with
filters, the totals row is bold, the date is a date, the columns are wide enough."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from accounts.models import Area
from oversight import exports
from oversight.dashboards import Cell, Panel, _rate_cell
from tests.conftest import COUNTY

pytestmark = pytest.mark.django_db


def test_rates_are_numeric_percentages_and_counts_integers():
    panel = Panel("compliance", "本月走访达标率", ["区划", "A类", "未达标户数"], [
        [Cell("西江镇"), _rate_cell(5, 6, "/x"), Cell(1, "/y")],
        [Cell("丹江镇"), _rate_cell(0, 0), Cell(0)],
    ], footer=[Cell("合计"), _rate_cell(5, 6), Cell(1)])
    wb = load_workbook(io.BytesIO(exports.panel_xlsx(Area.objects.get(code=COUNTY), dt.date(2026, 6, 30), panel)))
    ws = wb.active
    assert [c.value for c in ws[1]][:3] == ["区划", "A类", "未达标户数"]  # the header texts as on the page
    assert ws["D1"].value is None
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:C4"
    rate = ws["B2"]
    assert rate.value == pytest.approx(5 / 6) and rate.number_format == "0.0%" and rate.comment.text == "5/6"
    assert ws["B3"].value is None  # no base: empty, not "—"
    assert ws["C2"].value == 1 and isinstance(ws["C2"].value, int)
    assert ws["A4"].value == "合计" and ws["A4"].font.bold and ws["B4"].number_format == "0.0%"
    assert ws["D6"].value.date() == dt.date(2026, 6, 30) and ws["D6"].number_format == "yyyy-mm-dd"
    assert ws.column_dimensions["C"].width >= 10


def test_the_assessment_sheets_rates_are_numeric_percentages():
    from types import SimpleNamespace

    from oversight.assessment import INDICATORS

    key = next(iter(INDICATORS))
    row = SimpleNamespace(name="西江镇", score=91.5, grade="优秀",
                          figures={key: SimpleNamespace(rate=53.3, num=8, den=15)})
    wb = load_workbook(io.BytesIO(exports.assessment_xlsx(Area.objects.get(code=COUNTY), 2026, "township", [row],
                                                          None, None)))
    ws = wb.active
    assert ws["E2"].value == pytest.approx(0.533) and ws["E2"].number_format == "0.0%" and ws["F2"].value == "8/15"
    assert ws["C2"].value == 91.5
