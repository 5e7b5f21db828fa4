"""Spreadsheets in and out, in one place: every import reads through `read_table`, every export
writes through `csv_stream` / `xlsx_file` / `xlsx_bytes`, and every written cell passes `guard`.

Reading (.xlsx or .csv as Excel saves it here: UTF-8 with or without BOM, or GB18030):
- bounded before the work starts: file size, rows, columns and cell length, each refused with a
  Chinese message (`SheetError`); an .xlsx is checked for its unpacked size and its declared
  dimension before the rows are parsed, and read in openpyxl's read-only mode;
- never a 500: whatever the bytes, the reader returns rows or raises `SheetError`;
- header contracts: `header_index` finds the header row, refuses repeated and missing headers.

Writing: CSV is streamed with a BOM (Excel on Windows then reads the Chinese text correctly);
xlsx is built in openpyxl's write-only mode from an iterator into a temporary file, so memory
stays flat whatever the number of rows. `guard` is the formula-injection guard: a text cell that
starts with = + - @, a tab or a carriage return is written with a leading apostrophe, so no
spreadsheet program evaluates it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Limits for an uploaded sheet. A county's roster is a few tens of thousands of rows; 200,000
# leaves room for a prefecture-wide visit ledger while keeping a hostile file cheap to refuse.
MAX_BYTES = 30 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 60
MAX_CELL_CHARS = 2_000
# An .xlsx is a zip: its unpacked size and its first sheet's rows are read before it is parsed
# (`preflight_xlsx`). 256 MB holds 200,000 rows of 30 columns as openpyxl or Excel write them.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_ERRORS_SHOWN = 200

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# csv raises "field larger than field limit" past 131,072 characters; we check our own (much
# smaller) limit per cell, so let the csv module read any cell and report it ourselves.
csv.field_size_limit(MAX_BYTES)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


class SheetError(ValidationError):
    """The file as a whole cannot be read: one Chinese message, nothing else to report."""


@dataclass
class RowError:
    """A bad cell or row: the row number as Excel shows it, the column header, a Chinese reason."""

    row: int
    column: str
    message: str


# --- reading -----------------------------------------------------------------------------------


def read_table(content: bytes, filename: str, *, max_rows: int = MAX_ROWS, max_columns: int = MAX_COLUMNS,
               max_cell: int = MAX_CELL_CHARS) -> list[list[str]]:
    """Rows of stripped strings (header row first) from an .xlsx or .csv upload, within the limits.
    Raises SheetError with a Chinese message for anything it cannot or will not read."""
    if len(content) > MAX_BYTES:
        raise _too_big(len(content))
    name = (filename or "").lower()
    try:
        if name.endswith(".xlsx"):
            rows = _read_xlsx(content, max_rows=max_rows, max_columns=max_columns)
        elif name.endswith(".csv"):
            rows = _read_csv(content, max_rows=max_rows)
        else:
            raise SheetError(_("只支持.xlsx或.csv文件。"))
    except SheetError:
        raise
    except Exception as exc:  # a damaged file may raise anything from zipfile, lxml, openpyxl or csv
        raise SheetError(_("无法读取该文件，请确认是.xlsx或.csv格式且未损坏。")) from exc
    for number, row in enumerate(rows, start=1):
        if len(row) > max_columns and any(row[max_columns:]):
            raise SheetError(_("第%(r)d行超过%(m)d列，请删除多余的列后再导入。") % {"r": number, "m": max_columns})
        del row[max_columns:]
        for col, value in enumerate(row, start=1):
            if value[:1] == "'" and value[1:2] and value[1] in FORMULA_PREFIXES:
                row[col - 1] = value = value[1:]  # what `guard` wrote comes back as it was typed
            if len(value) > max_cell:
                raise SheetError(_("第%(r)d行第%(c)d列的内容过长（%(n)d个字符），每格不能超过%(m)d个字符。")
                                 % {"r": number, "c": col, "n": len(value), "m": max_cell})
    return rows


def _too_many_rows(max_rows: int) -> SheetError:
    return SheetError(_("文件超过%(m)d行，请分批导入。") % {"m": max_rows})


def _read_csv(content: bytes, *, max_rows: int) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError(_("无法识别CSV文件的编码，请另存为UTF-8编码。"))
    if "\x00" in text:
        raise SheetError(_("CSV文件中含有不可识别的字符，请确认是文本格式的CSV文件。"))
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            if len(rows) > max_rows:  # the header row plus max_rows data rows
                raise _too_many_rows(max_rows)
            rows.append([c.strip() for c in row])
    except csv.Error as exc:
        raise SheetError(_("CSV文件格式有误（%(e)s），请用Excel另存为CSV后再导入。") % {"e": exc}) from exc
    return rows


def _too_big(size: int) -> SheetError:
    return SheetError(_("文件过大（%(s).1f MB），单个文件不能超过 %(m)d MB，请分批导入。")
                      % {"s": size / 1024 / 1024, "m": MAX_BYTES // 1024 // 1024})


def check_upload(upload) -> None:
    """The first check of every upload form (roster, visit ledger, holiday table, cross-check): one
    limit for all of them, refused in the request before a job or a worker sees the file — the
    size, and for an .xlsx its unpacked size and its row count (`preflight_xlsx`)."""
    if upload.size > MAX_BYTES:
        raise _too_big(upload.size)
    if (upload.name or "").lower().endswith(".xlsx"):
        upload.seek(0)
        try:
            preflight_xlsx(upload.read())
        except SheetError as exc:
            if exc.code != "unreadable":  # a damaged file is the job's to report, row errors and all
                raise
        finally:
            upload.seek(0)


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_SCAN_CHUNK = 1024 * 1024


def _first_sheet_part(archive: zipfile.ZipFile) -> str | None:
    """The zip member of the workbook's first worksheet (the one read_table reads), from
    workbook.xml and its relationships; the usual name when those cannot be followed."""
    names = set(archive.namelist())
    try:
        book = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
        first = re.search(rb"<(?:\w+:)?sheet\b[^>]*?\br:id=\"([^\"]+)\"", book) or re.search(
            rb"<(?:\w+:)?sheet\b[^>]*?:id=\"([^\"]+)\"", book)
        if first:
            for rel in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
                tag = rel.group(0)
                if re.search(rb'\bId="' + re.escape(first.group(1)) + rb'"', tag):
                    target = re.search(rb'\bTarget="([^"]+)"', tag).group(1).decode()
                    path = target.lstrip("/") if target.startswith("/") else "xl/" + target
                    if path in names:
                        return path
    except (KeyError, AttributeError, UnicodeDecodeError):
        pass
    return "xl/worksheets/sheet1.xml" if "xl/worksheets/sheet1.xml" in names else None


def preflight_xlsx(content: bytes, *, max_rows: int = MAX_ROWS) -> None:
    """Refuse an .xlsx bomb before openpyxl parses a row: 1. the zip's declared unpacked size;
    2. the first worksheet's rows, counted by streaming its XML in 1 MB pieces and stopping as
    soon as there are too many (a 235 KB file that unpacks to 300,000 rows is refused in well
    under a second, where parsing it held a worker for a minute)."""
    if len(content) > MAX_BYTES:
        raise _too_big(len(content))
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        unpacked = sum(i.file_size for i in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise SheetError(_("无法读取该Excel文件，请确认是.xlsx格式且未损坏。"), code="unreadable") from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise SheetError(_("Excel文件解压后过大（%(s)d MB，不能超过 %(m)d MB），请分批导入。")
                         % {"s": unpacked // 1024 // 1024, "m": MAX_UNPACKED_BYTES // 1024 // 1024})
    part = _first_sheet_part(archive)
    if part is None:
        return  # openpyxl will say what is wrong with it
    limit = max_rows + 1 + 1000  # the header row, and blank rows Excel keeps formatted
    rows, tail, read = 0, b"", 0
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(_SCAN_CHUNK):
                read += len(chunk)
                if read > MAX_UNPACKED_BYTES:  # a member whose header lies about its size
                    raise SheetError(_("Excel文件解压后过大，请分批导入。"))
                data = tail + chunk
                # a tag cut at the chunk's end is counted with the next chunk
                cut = data.rfind(b"<", max(len(data) - 64, 0))
                cut = len(data) if cut == -1 else cut
                rows += len(_ROW_TAG.findall(data, 0, cut))
                tail = data[cut:]
                if rows > limit:
                    raise _too_many_rows(max_rows)
            rows += len(_ROW_TAG.findall(tail))
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, zlib.error) as exc:
        raise SheetError(_("无法读取该Excel文件，请确认是.xlsx格式且未损坏。"), code="unreadable") from exc
    if rows > limit:
        raise _too_many_rows(max_rows)


def _read_xlsx(content: bytes, *, max_rows: int, max_columns: int) -> list[list[str]]:
    import openpyxl

    preflight_xlsx(content, max_rows=max_rows)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:
        raise SheetError(_("无法读取该Excel文件，请确认是.xlsx格式且未损坏。")) from exc
    try:
        if not wb.worksheets:
            raise SheetError(_("Excel文件中没有工作表。"))
        ws = wb.worksheets[0]
        # The declared dimension (<dimension ref="A1:Z300000"/>) costs nothing to read: a file
        # that says it is too big is refused before a single row is parsed.
        declared = ws.max_row if isinstance(getattr(ws, "max_row", None), int) else None
        if declared is not None and declared > max_rows + 1 + 1000:
            raise _too_many_rows(max_rows)
        rows: list[list[str]] = []
        for values in ws.iter_rows(values_only=True, max_col=max_columns + 1):
            if len(rows) > max_rows:
                raise _too_many_rows(max_rows)
            row = [cell_text(v) for v in values]
            while row and not row[-1]:  # read-only mode pads rows to the declared width
                row.pop()
            rows.append(row)
        # Trailing empty rows Excel keeps in the dimension are not data.
        while rows and not any(rows[-1]):
            rows.pop()
        return rows
    finally:
        wb.close()


def cell_text(value: Any) -> str:
    """One cell as the text a person sees: whole numbers without '.0', dates as 2026-06-01."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):  # Excel keeps dates as datetimes at midnight
        value = value.date() if value.time() == dt.time(0) else value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return str(value).strip()


EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(text: str) -> dt.date:
    """A date as people type it into a sheet: 2026-06-01, 2026/6/1, 2026.6.1, 2026年6月1日,
    20260601, or an Excel serial number (46174) when a date column was saved as a number.
    Raises ValueError."""
    value = (text or "").strip()
    if not value:
        raise ValueError("empty")
    if value.isdigit() and len(value) == 8:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    if value.isdigit() and 20000 <= int(value) <= 80000:
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    value = value.split(" ")[0].replace("年", "-").replace("月", "-").replace("日", "")
    for sep in ("/", "."):
        value = value.replace(sep, "-")
    parts = value.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(value)
    return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))


def header_index(table: Sequence[Sequence[str]], required: Sequence[str], *, search_rows: int = 5,
                 anchor: Sequence[str] | None = None) -> tuple[int, dict[str, int]]:
    """Find the header row (among the first `search_rows`, the first that holds every `anchor`
    header, by default all required ones) and map each required header to its column.
    Raises SheetError for a missing header row, missing headers or a header named twice."""
    anchor = list(anchor or required)
    at = next((i for i, r in enumerate(table[:search_rows]) if all(a in r for a in anchor)), None)
    if at is None:
        raise SheetError(_("找不到表头：第一行应为模板中的列名（%(h)s）。") % {"h": "、".join(list(required)[:6])})
    header = [h.strip() for h in table[at]]
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if not h:
            continue
        if h in seen:
            raise SheetError(_("表头“%(h)s”出现了两次（第%(a)d列和第%(b)d列），请删除重复的列。")
                             % {"h": h, "a": seen[h] + 1, "b": i + 1})
        seen[h] = i
    missing = [h for h in required if h not in seen]
    if missing:
        raise SheetError(_("缺少必需的列：%(c)s。") % {"c": "、".join(missing)})
    return at, {h: seen[h] for h in required}


def errors_csv(errors: Iterable[RowError]) -> bytes:
    """Every error of an import as a CSV a person can open in Excel (the page shows the first 200)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["行号", "列", "问题"])
    for e in errors:
        w.writerow(guard_row([e.row or "", e.column, e.message]))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- writing -----------------------------------------------------------------------------------


def guard(value: Any) -> Any:
    """The export guard against formula injection: text starting with = + - @, tab or CR is
    written as text with a leading apostrophe. Numbers and dates pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def guard_row(row: Iterable[Any]) -> list[Any]:
    return [guard(v) for v in row]


SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")


def sheet_title(title: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of \\ / ? * [ ] :."""
    return SHEET_TITLE_FORBIDDEN.sub("-", str(title))[:31] or "Sheet1"


def workbook(title: str, headers: Sequence[str]):
    """An in-memory workbook for a bounded, formatted report (a statement, a panel, a checklist),
    where the exporter adds totals and styles afterwards: a bold header row frozen at the top,
    and every row appended — headers included — passes the formula guard. Row sets that grow
    with the roster go through `xlsx_file` (write-only, flat memory) instead."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(title)
    plain_append = ws.append

    def guarded_append(row):
        return plain_append(guard_row(row))

    ws.append = guarded_append
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    return wb, ws


def workbook_bytes(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(headers: Sequence[str], rows: Iterable[Iterable[Any]], *, bom: bool = True) -> Iterator[bytes]:
    """The CSV, UTF-8 with a BOM, as a stream of byte chunks (for StreamingHttpResponse)."""
    writer = csv.writer(_Echo())
    if bom:
        yield "\ufeff".encode()
    yield writer.writerow(guard_row(headers)).encode("utf-8")
    chunk: list[str] = []
    for row in rows:
        chunk.append(writer.writerow(guard_row(row)))
        if len(chunk) >= 500:
            yield "".join(chunk).encode("utf-8")
            chunk = []
    if chunk:
        yield "".join(chunk).encode("utf-8")


def csv_bytes(headers: Sequence[str], rows: Iterable[Iterable[Any]]) -> bytes:
    return b"".join(csv_stream(headers, rows))


@dataclass
class Sheet:
    """One worksheet to write: its title, header row and rows (any iterable, consumed once).
    `title_row` goes above the headers; `widths` are column widths; `text_columns` are headers
    whose cells are stored as text (ID numbers and codes, so Excel keeps every digit)."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Iterable[Any]]
    title_row: str = ""
    widths: dict[str, float] | None = None
    text_columns: Sequence[str] = ()
    date_format: str = "yyyy-mm-dd"
    trailer: Sequence[Sequence[Any]] = ()


def xlsx_file(sheets: Sequence[Sheet]):
    """Write the workbook in openpyxl's write-only mode into a temporary file and return it,
    positioned at the start (memory stays flat however many rows)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="F3D3D5")
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title[:31])
        for i, h in enumerate(sheet.headers, start=1):
            width = (sheet.widths or {}).get(h) or max(8, min(40, len(str(h)) * 2 + 2))
            ws.column_dimensions[get_column_letter(i)].width = width
        header_at = 2 if sheet.title_row else 1
        # Before the first row: a write-only sheet writes its view (frozen panes) with that row.
        ws.freeze_panes = f"A{header_at + 1}"
        if sheet.title_row:
            cell = WriteOnlyCell(ws, value=guard(sheet.title_row))
            cell.font = Font(bold=True, size=14)
            ws.append([cell])
        header_cells = []
        for h in sheet.headers:
            c = WriteOnlyCell(ws, value=guard(h))
            c.font, c.fill, c.alignment = bold, fill, center
            header_cells.append(c)
        ws.append(header_cells)
        text_cols = {i for i, h in enumerate(sheet.headers) if h in set(sheet.text_columns)}
        for row in sheet.rows:
            out = []
            for i, v in enumerate(row):
                v = guard(v)
                if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
                    c = WriteOnlyCell(ws, value=v)
                    c.number_format = sheet.date_format
                    out.append(c)
                elif i in text_cols and v not in (None, ""):
                    c = WriteOnlyCell(ws, value=str(v))
                    c.number_format = "@"
                    out.append(c)
                else:
                    out.append(v)
            ws.append(out)
        for row in sheet.trailer:
            ws.append(guard_row(row))
    tmp = tempfile.TemporaryFile()
    wb.save(tmp)
    tmp.seek(0)
    return tmp


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    with xlsx_file(sheets) as fh:
        return fh.read()


def file_response(content_or_file, filename: str, fmt: str):
    """An attachment: bytes, an open file (streamed in blocks) or an iterator of byte chunks
    (a CSV stream). The name may be Chinese."""
    from urllib.parse import quote

    from django.http import FileResponse, HttpResponse, StreamingHttpResponse

    ctype = CSV_TYPE if fmt == "csv" else XLSX_TYPE
    if isinstance(content_or_file, bytes):
        response = HttpResponse(content_or_file, content_type=ctype)
    elif hasattr(content_or_file, "read"):
        response = FileResponse(content_or_file, content_type=ctype)
    else:
        response = StreamingHttpResponse(content_or_file, content_type=ctype)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
