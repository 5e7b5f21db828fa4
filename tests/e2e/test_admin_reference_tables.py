"""Journey: a county officer exports the county's cadre list from the admin, corrects a work unit
in the spreadsheet, imports it back, checks the preview and confirms; the change is audited."""

import io
from pathlib import Path

import openpyxl
import pytest

from accounts.models import AuditEvent
from beneficiaries.models import Cadre
from tests.adminio.helpers import admin_user
from tests.factories import CadreFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = Path(__file__).resolve().parents[2] / "test-results" / "admin-reference-tables"


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (390, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def test_county_officer_exports_and_reimports_the_cadre_list(page, live_server, login, tmp_path):
    admin_user("county", "522634000000", "cadre", username="ls-county", real_name="雷山县 王科长")
    cadre = CadreFactory(name="杨光明", work_unit="西江镇政府")
    CadreFactory(name="吴春花")

    login(page, "ls-county")
    page.goto(f"{live_server.url}/admin/beneficiaries/cadre/")
    page.get_by_role("link", name="导出").click()
    page.get_by_label("格式").select_option(label="xlsx")
    shoot(page, "1-export")
    with page.expect_download() as download:
        page.get_by_role("button", name="提交").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert rows[0][:5] == ["编号", "姓名", "联系电话", "干部类型", "工作单位"]
    row = next(r for r in rows if r[1] == "杨光明")
    book.active.cell(row=rows.index(row) + 1, column=5, value="雷山县民政局")
    upload = tmp_path / "帮扶干部.xlsx"
    book.save(upload)

    page.goto(f"{live_server.url}/admin/beneficiaries/cadre/")
    page.get_by_role("link", name="导入").click()
    page.get_by_label("导入文件").set_input_files(str(upload))
    page.get_by_label("格式").select_option(label="xlsx")
    page.get_by_role("button", name="提交").click()
    confirm = page.get_by_role("button", name="确认导入")
    confirm.wait_for()
    preview = page.locator("table.import-preview").inner_text()
    assert "更新" in preview and "雷山县民政局" in preview and "忽略" in preview
    shoot(page, "2-preview")
    cadre.refresh_from_db()
    assert cadre.work_unit == "西江镇政府"  # nothing written before 确认导入

    page.set_viewport_size({"width": 1366, "height": 900})
    confirm.click()
    page.wait_for_url(f"{live_server.url}/admin/beneficiaries/cadre/")
    assert "导入成功，新增0条记录，更新1条记录" in page.get_by_text("导入成功").inner_text()
    shoot(page, "3-done")
    assert Cadre.objects.get(pk=cadre.pk).work_unit == "雷山县民政局"
    event = AuditEvent.objects.get(action="change", object_type="beneficiaries.cadre", object_id=str(cadre.pk))
    assert event.actor.username == "ls-county"
    assert AuditEvent.objects.filter(action="export", object_type="beneficiaries.cadre",
                                     actor__username="ls-county").exists()
