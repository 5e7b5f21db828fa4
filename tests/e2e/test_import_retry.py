"""Journey: an import whose worker died mid-commit (tests/ops/test_faults.py kills a real one)
shows on its page as failed with nothing written; the official presses 重新导入 and the rows are
stored once."""

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import Workbook

from accounts.models import Role
from imports.models import ImportJob, ImportStatus
from tests.conftest import TOWNSHIP
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, user_with_role
from visits.models import Visit

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/care-shots"))


def test_an_import_cut_off_by_a_dead_worker_is_run_again_from_its_page(phone_page, live_server, login, tmp_path):
    page = phone_page
    user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_wu", real_name="西江镇 吴干事")
    household = HouseholdFactory()
    PersonFactory(household=household, name="王阿婆")
    PairingFactory(household=household)
    day = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    wb = Workbook()
    wb.active.append(["户编号", "走访日期", "走访方式", "走访人", "备注"])
    wb.active.append([household.code, day, "入户", "张敏", "纸质台账"])
    buf = io.BytesIO()
    wb.save(buf)
    ledger = tmp_path / "台账.xlsx"
    ledger.write_bytes(buf.getvalue())

    login(page, "xijiang_wu")
    page.goto(f"{live_server.url}/visits/import/")
    page.locator("input[type=file]").set_input_files(str(ledger))
    page.get_by_role("button", name="上传并预览").click()
    assert "将导入 1 条走访记录" in page.get_by_test_id("import-preview-ok").inner_text()
    job = ImportJob.objects.get()
    # A worker took the commit and died: started, and nobody holds the job's lock any more.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING, started_at=timezone.now())

    page.reload()
    assert "导入失败，未写入任何数据" in page.get_by_test_id("job-status").inner_text()
    assert "导入中断" in page.get_by_test_id("job-message").inner_text()
    assert not Visit.objects.exists()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "import-interrupted-390.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=str(SHOTS / "import-interrupted-1366.png"), full_page=True)
    page.get_by_test_id("job-retry").click()
    page.wait_for_url("**/visits/import/")
    assert Visit.objects.filter(household=household).count() == 1
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
