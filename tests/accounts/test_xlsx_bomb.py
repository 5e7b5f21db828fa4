"""Issue 21: a small .xlsx that unpacks to 300,000 rows held a worker for about a minute before
the error. Every import (roster, visit ledger, cross-check, holiday table) now reads the zip's
unpacked size and the first sheet's row count before parsing, with one shared limit, and refuses
in the request in under two seconds; nothing is created."""

import io
import re
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from accounts import sheets
from accounts.models import Role
from accounts.sheets import SheetError
from imports.models import ImportJob
from tests.conftest import COUNTY, TOWNSHIP
from tests.factories import user_with_role

ROWS = 300_000


def bomb(rows: int = ROWS, *, dimension: bool = False) -> bytes:
    """An .xlsx of a few hundred KB whose first sheet holds `rows` rows (no declared dimension)."""
    wb = Workbook()
    wb.active.append(["户编号"])
    plain = io.BytesIO()
    wb.save(plain)
    src = zipfile.ZipFile(io.BytesIO(plain.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n)
                                for n in range(1, rows + 1))
                data = re.sub(rb"<sheetData>.*</sheetData>|<sheetData\s*/>", b"<sheetData>" + body + b"</sheetData>",
                              data, flags=re.S)
                if not dimension:
                    data = re.sub(rb"<dimension[^>]*/>", b"", data)
            dst.writestr(item.filename, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def the_bomb() -> bytes:
    content = bomb()
    assert len(content) < 2 * 1024 * 1024
    return content


def test_the_reader_refuses_the_bomb_before_parsing_it(the_bomb):
    started = time.monotonic()
    with pytest.raises(SheetError, match="超过"):
        sheets.read_table(the_bomb, "bomb.xlsx")
    assert time.monotonic() - started < 2


def test_a_sheet_under_the_row_limit_is_read(the_bomb):
    rows = sheets.read_table(bomb(1200), "ok.xlsx", max_rows=2000)
    assert len(rows) == 1200
    with pytest.raises(SheetError, match="超过1000行"):
        sheets.preflight_xlsx(bomb(2300), max_rows=1000)


def test_a_zip_that_unpacks_past_the_limit_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        dst.writestr("xl/worksheets/sheet1.xml", b" " * (sheets.MAX_UNPACKED_BYTES + 1))
    started = time.monotonic()
    with pytest.raises(SheetError, match="解压后过大"):
        sheets.read_table(out.getvalue(), "zip.xlsx")
    assert time.monotonic() - started < 2


@pytest.mark.django_db
@pytest.mark.parametrize("route, role, area, data", [
    ("beneficiaries:roster_import", Role.TOWNSHIP, TOWNSHIP, {}),
    ("visits:import", Role.TOWNSHIP, TOWNSHIP, {}),
    ("exchange:cross_checks", Role.COUNTY, COUNTY, {"source": "death", "area": COUNTY}),
    ("services:holiday_year", Role.PREFECTURE, "522600000000", {"source": "国办发明电"}),
])
def test_every_import_refuses_the_bomb_in_the_request_in_under_two_seconds(client, the_bomb, route, role, area,
                                                                             data):
    client.force_login(user_with_role(role, area))
    url = reverse(route, args=[2027]) if route == "services:holiday_year" else reverse(route)
    field = "upload" if route == "services:holiday_year" else "file"
    started = time.monotonic()
    response = client.post(url, {**data, field: SimpleUploadedFile("名单.xlsx", the_bomb)})
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.status_code
    assert "超过200000行" in response.content.decode()
    assert elapsed < 2, elapsed
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_every_import_shares_one_size_limit(client):
    big = SimpleUploadedFile("big.csv", b"a\n" * (sheets.MAX_BYTES // 2 + 1))
    client.force_login(user_with_role(Role.TOWNSHIP, TOWNSHIP))
    assert "单个文件不能超过 30 MB" in client.post(reverse("visits:import"), {"file": big}).content.decode()
    big.seek(0)
    client.force_login(user_with_role(Role.COUNTY, COUNTY))
    page = client.post(reverse("exchange:cross_checks"), {"source": "death", "area": COUNTY, "file": big})
    assert "单个文件不能超过 30 MB" in page.content.decode()


@pytest.mark.django_db
def test_the_holiday_upload_refuses_a_binary_file_in_chinese(client):
    client.force_login(user_with_role(Role.PREFECTURE, "522600000000"))
    page = client.post(reverse("services:holiday_year", args=[2027]), {
        "source": "国办发明电", "upload": SimpleUploadedFile("notice.txt", b"\x89PNG\r\n\x1a\n\x00\x00junk")})
    assert "请上传文本文件" in page.content.decode()
