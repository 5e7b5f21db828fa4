"""Journey: a township official imports a paper visit ledger on a phone — previews, confirms,
imports the same file again and sees every row skipped as already stored; a bad file lists
every error with a download of all of them; a large import shows a progress bar that the page
polls until the result appears."""

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import timezone
from openpyxl import Workbook

from accounts.models import Role
from imports.jobs import _progress_key
from imports.models import ImportJob, ImportStatus
from tests.conftest import TOWNSHIP
from tests.e2e.conftest import wait_js
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, user_with_role
from visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/care-shots"))


def _ledger(rows, path: Path) -> Path:
    wb = Workbook()
    wb.active.append(["户编号", "走访日期", "走访方式", "走访人", "备注"])
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())
    return path


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_ledger_import_twice_stores_once_and_errors_are_listed(phone_page, live_server, login, tmp_path):
    page = phone_page
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_li", real_name="西江镇 李干事")
    household = HouseholdFactory()
    PersonFactory(household=household, name="王阿婆")
    PairingFactory(household=household)
    day = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    good = _ledger([[household.code, day, "入户", "张敏", "纸质台账"], [household.code, day, "电话", "张敏", ""]],
                   tmp_path / "台账.xlsx")

    login(page, "xijiang_li")
    page.goto(f"{live_server.url}/visits/import/")
    assert page.get_by_test_id("visit-import-template").is_visible()
    for attempt in (1, 2):
        page.locator("input[type=file]").set_input_files(str(good))
        page.get_by_role("button", name="上传并预览").click()
        message = page.get_by_test_id("import-preview-ok").inner_text()
        if attempt == 1:
            assert "将导入 2 条走访记录" in message
            assert page.get_by_test_id("preview-row").count() == 2
            _shot(page, "import-preview-390")
        else:
            assert "将导入 0 条" in message and "已存在，跳过 2 条" in message
        page.get_by_role("button", name="确认导入").click()
        page.wait_for_url("**/visits/import/")
        assert Visit.objects.filter(household=household).count() == 2

    bad = _ledger([["NOPE", "明天", "上门", "", ""], [household.code, "2026-13-01", "入户", "张敏", ""]],
                  tmp_path / "错误.xlsx")
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_role("button", name="上传并预览").click()
    assert page.get_by_test_id("error-row").count() == 5
    assert page.get_by_test_id("errors-download").is_visible()
    _shot(page, "import-errors-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    _shot(page, "import-errors-1366")


def test_a_running_import_shows_progress_until_the_result(page, live_server, login):
    user = user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_li", real_name="西江镇 李干事")
    job = ImportJob.objects.create(kind="visits", created_by=user, filename="全镇走访台账.xlsx", size=4_000_000,
                                   status=ImportStatus.COMMITTING, rows=60000)
    cache.set(_progress_key(job.pk), {"percent": 42, "phase": "写入走访记录"}, 600)
    login(page, "xijiang_li")
    page.goto(f"{live_server.url}/imports/{job.pk}/")
    progress = page.get_by_test_id("job-progress")
    assert "42%" in progress.inner_text() and "写入走访记录" in progress.inner_text()
    _shot(page, "import-progress-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "import-progress-390")
    cache.set(_progress_key(job.pk), {"percent": 80, "phase": "重新计算应访日期"}, 600)
    wait_js(page, "document.body.innerText.includes('80%')")
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE,
                                               summary={"message": "已导入 60000 条走访记录。"})
    page.get_by_test_id("job-message").wait_for()  # the poll saw the end and reloaded the page
    assert "已导入 60000 条走访记录" in page.get_by_test_id("job-message").inner_text()
    _shot(page, "import-done-390")
