"""accounts.sheets: the one reader and writer of spreadsheets — limits with Chinese messages,
encodings, Excel dates, header contracts, the formula guard, and no exception on any bytes."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import sheets
from accounts.sheets import SheetError


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_guard_quotes_every_formula_prefix_and_leaves_numbers_alone():
    for payload in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","点我")'):
        assert sheets.guard(payload) == "'" + payload
    assert sheets.guard("吴老") == "吴老" and sheets.guard(-5) == -5 and sheets.guard(dt.date(2026, 1, 1))


def test_csv_stream_has_a_bom_and_guards_cells():
    body = sheets.csv_bytes(["姓名", "备注"], [["=1+1", "正常"]])
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").splitlines()[1] == "'=1+1,正常"


def test_a_guarded_cell_reads_back_as_typed():
    content = sheets.xlsx_bytes([sheets.Sheet("t", ["a", "b"], [["=1+1", "@x"]])])
    assert sheets.read_table(content, "t.xlsx") == [["a", "b"], ["=1+1", "@x"]]
    wb = openpyxl.load_workbook(io.BytesIO(content))
    cell = wb.active["A2"]
    assert cell.data_type == "s" and cell.value == "'=1+1"  # text, never a formula


def test_a_formatted_workbook_guards_every_appended_row_and_names_its_sheet_as_excel_allows():
    wb, ws = sheets.workbook("2026/06 台账[雷山]: 汇总*明细?很长很长很长很长很长很长很长", ["姓名", "备注"])
    ws.append(["=cmd|' /C calc'!A0", 12])
    wb2 = openpyxl.load_workbook(io.BytesIO(sheets.workbook_bytes(wb)))
    sheet = wb2.active
    assert len(sheet.title) <= 31 and not re.search(r"[\\/?*\[\]:]", sheet.title)
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert sheet["A2"].data_type == "s" and sheet["A2"].value.startswith("'=") and sheet["B2"].value == 12


def test_gb18030_and_utf8_bom_csv():
    assert sheets.read_table("户编号,姓名\nA1,吴老\n".encode("gb18030"), "x.csv") == [["户编号", "姓名"], ["A1", "吴老"]]
    assert sheets.read_table("\ufeff户编号\nA1\n".encode(), "x.csv") == [["户编号"], ["A1"]]


def test_a_cell_beyond_the_csv_modules_limit_is_a_chinese_error_not_a_500():
    content = ("a,b\n1," + "x" * 140_000 + "\n").encode()
    with pytest.raises(SheetError) as exc:
        sheets.read_table(content, "big.csv")
    assert "内容过长" in exc.value.messages[0]


def test_limits_on_size_rows_and_columns():
    with pytest.raises(SheetError, match="文件过大"):
        sheets.read_table(b"a\n" * (sheets.MAX_BYTES // 2 + 1), "x.csv")
    with pytest.raises(SheetError, match="超过10行"):
        sheets.read_table(b"a\n" + b"1\n" * 11, "x.csv", max_rows=10)
    with pytest.raises(SheetError, match="超过3列"):
        sheets.read_table(b"a,b,c,d\n", "x.csv", max_columns=3)
    assert sheets.read_table(b"a\n" + b"1\n" * 10, "x.csv", max_rows=10)[-1] == ["1"]


def test_an_xlsx_that_declares_too_many_rows_is_refused_before_parsing():
    content = _xlsx([["a"], ["1"]])
    # Rewrite the declared dimension, as a small file expanding to 300k rows would carry it.
    src = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                # (with lxml installed openpyxl writes "<dimension .../>", without it "<dimension ... />")
                data = re.sub(rb'<dimension ref="A1:A2"\s*/>', b'<dimension ref="A1:A300000"/>', data)
                assert b"A1:A300000" in data
            dst.writestr(item, data)
    with pytest.raises(SheetError, match="超过"):
        sheets.read_table(out.getvalue(), "x.xlsx", max_rows=1000)


def test_xlsx_rows_beyond_the_cap_are_refused():
    with pytest.raises(SheetError, match="超过5行"):
        sheets.read_table(_xlsx([["a"]] + [[i] for i in range(10)]), "x.xlsx", max_rows=5)


def test_excel_dates_and_numbers_become_text():
    rows = sheets.read_table(_xlsx([["d", "n"], [dt.datetime(2026, 6, 1), 5.0]]), "x.xlsx")
    assert rows[1] == ["2026-06-01", "5"]
    for text in ("2026-06-01", "2026/6/1", "2026.6.1", "2026年6月1日", "20260601", "46174"):
        assert sheets.parse_date(text) == dt.date(2026, 6, 1), text
    with pytest.raises(ValueError):
        sheets.parse_date("六月一日")


def test_header_contract_refuses_duplicates_and_missing():
    with pytest.raises(SheetError, match="出现了两次"):
        sheets.header_index([["户编号", "姓名", "户编号"]], ["户编号", "姓名"])
    with pytest.raises(SheetError, match="缺少必需的列：姓名"):
        sheets.header_index([["户编号", "x"]], ["户编号", "姓名"], anchor=["户编号"])
    at, index = sheets.header_index([["标题"], ["姓名", "户编号"]], ["户编号", "姓名"])
    assert at == 1 and index == {"户编号": 1, "姓名": 0}


@settings(max_examples=150, deadline=None)
@given(content=st.binary(max_size=3000), ext=st.sampled_from([".csv", ".xlsx", ".xls", ""]))
def test_random_bytes_never_raise_anything_but_a_sheet_error(content, ext):
    try:
        rows = sheets.read_table(content, "f" + ext)
    except SheetError as exc:
        assert exc.messages[0]
    else:
        assert isinstance(rows, list)


_GOOD_XLSX: list[bytes] = []


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_damaged_xlsx_never_raises_anything_but_a_sheet_error(data):
    # One file for every example: an xlsx written twice differs (zip timestamps), and strategy
    # bounds that change between examples make hypothesis report a flaky strategy.
    if not _GOOD_XLSX:
        _GOOD_XLSX.append(_xlsx([["户编号", "姓名"], ["A1", "吴老"]]))
    good = _GOOD_XLSX[0]
    cut = data.draw(st.integers(0, len(good)))
    flip = data.draw(st.integers(0, len(good) - 1))
    damaged = bytearray(good[:cut] if data.draw(st.booleans()) else good)
    if damaged and flip < len(damaged):
        damaged[flip] ^= 0xFF
    try:
        sheets.read_table(bytes(damaged), "x.xlsx")
    except SheetError:
        pass


cell_values = st.one_of(st.none(), st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False),
                        st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40),
                        st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(cell_values, max_size=8), max_size=12))
def test_any_well_formed_xlsx_reads_as_strings(rows):
    try:
        table = sheets.read_table(_xlsx(rows), "x.xlsx")
    except SheetError:
        return
    assert all(isinstance(c, str) for r in table for c in r)
