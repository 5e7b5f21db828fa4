"""Journey (issue 25): a county officer downloads the roster of a county too big to write within
the request — the click lands on the export's page, which shows the progress while the file is
written and then the download link, valid for 24 hours."""

import os
from pathlib import Path

import pytest
from django.core.cache import cache

from accounts.models import Role
from imports import exports
from imports.jobs import _progress_key
from imports.models import ExportJob, ExportStatus
from tests.conftest import COUNTY
from tests.factories import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/care-shots"))


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_big_roster_download_becomes_a_job_with_a_link(page, live_server, login, monkeypatch):
    user_with_role(Role.COUNTY, COUNTY, username="leishan_wang", real_name="雷山县 王科长")
    for _ in range(4):
        PersonFactory()
    monkeypatch.setattr(exports, "INLINE_ROWS", {"csv": 3, "xlsx": 3})  # the live server runs in this process
    login(page, "leishan_wang")
    page.goto(f"{live_server.url}/roster/")
    page.get_by_role("link", name="导出特殊困难群体关爱台账").click()
    page.wait_for_url("**/imports/exports/**")
    link = page.get_by_test_id("export-download")
    link.wait_for()
    assert "下载链接有效至" in page.content()
    _shot(page, "export-ready-1366")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.startswith("特殊困难群体关爱台账_")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "export-ready-390")


def test_the_export_page_shows_progress_then_the_link(phone_page, live_server, login):
    page = phone_page
    user = user_with_role(Role.COUNTY, COUNTY, username="leishan_wang", real_name="雷山县 王科长")
    PersonFactory()
    job = ExportJob.objects.create(kind="roster", title="特殊困难群体关爱台账", created_by=user, fmt="csv",
                                   filename="特殊困难群体关爱台账_20260615.csv", params={"query": "format=csv"})
    cache.set(_progress_key(job.pk), {"percent": 42, "phase": "正在写入名单"}, 600)
    login(page, "leishan_wang")
    page.goto(f"{live_server.url}/imports/exports/{job.pk}/")
    progress = page.get_by_test_id("job-progress")
    assert "42%" in progress.inner_text() and "正在写入名单" in progress.inner_text()
    _shot(page, "export-progress-390")
    exports.run(job.pk)
    page.get_by_test_id("export-download").wait_for()  # the poll saw the end and reloaded the page
    assert ExportJob.objects.get(pk=job.pk).status == ExportStatus.DONE
