"""Import jobs: a large file is checked and committed by Celery tasks with progress; the commit
is all or nothing; the job page polls, then shows the result; stale uploads are purged."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent
from beneficiaries.models import Household, Person
from imports import jobs
from imports.models import ImportJob, ImportStatus
from tests.beneficiaries.factories import county_officer, roster_sheet, twenty_households

pytestmark = pytest.mark.django_db
NOW = "2026-06-15 09:00 +0800"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def big_roster(village_code, households=200) -> bytes:
    rows = []
    for start in range(0, households, 20):
        rows += twenty_households(village_code, start=start)
    return roster_sheet(rows, "csv")


def upload(client, content, name="roster.csv"):
    response = client.post(reverse("beneficiaries:roster_import"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302, response.content.decode()
    return ImportJob.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def test_a_large_roster_is_checked_and_committed_by_tasks_with_progress(
    client, village_code, django_capture_on_commit_callbacks, monkeypatch
):
    officer = county_officer()
    client.force_login(officer)
    seen = []
    real = jobs.Reporter.__call__

    def spy(self, done, total, phase):
        real(self, done, total, phase)
        seen.append((phase, jobs.progress_of(ImportJob.objects.get(pk=self.job_id))["percent"]))

    monkeypatch.setattr(jobs.Reporter, "__call__", spy)
    content = big_roster(village_code)
    assert len(content) > jobs.ASYNC_BYTES  # goes to the tasks
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = upload(client, content)
    # The request only stored the file: the check waits for the task.
    assert job.status == ImportStatus.CHECKING
    page = client.get(reverse("imports:job", args=[job.pk]))
    assert b'hx-trigger="every 1s"' in page.content and b'data-testid="job-progress"' in page.content
    for callback in callbacks:
        callback()  # the task (eager in tests) runs the check
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED and job.rows == 400
    assert job.summary["counts"] == {"households": 200, "people": 400, "new": 200}
    assert Household.objects.count() == 0
    poll = client.get(reverse("imports:progress", args=[job.pk]))
    assert poll["HX-Refresh"] == "true"  # finished: the page reloads to show the result

    seen.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:confirm", args=[job.pk]))
    assert response["Location"] == reverse("imports:job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.summary
    assert Household.objects.count() == 200 and Person.objects.count() == 400
    # Progress was visible while the commit ran, and rose to the end.
    percents = [p for _phase, p in seen]
    assert percents == sorted(percents) and percents[-1] == 100 and len({ph for ph, _p in seen}) >= 4
    assert "导入成功：200户，400人" in client.get(reverse("imports:job", args=[job.pk])).content.decode()
    # Confirming again changes nothing.
    client.post(reverse("imports:confirm", args=[job.pk]))
    assert Household.objects.count() == 200


def test_the_commit_task_is_all_or_nothing(village_code, monkeypatch):
    officer = county_officer()
    job = jobs.start(kind="roster", user=officer, filename="roster.csv", content=big_roster(village_code, 40))
    jobs.run_check(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED

    def boom(**kwargs):  # the last step of the commit fails: households and people are already written
        assert Household.objects.count() == 40
        raise RuntimeError("schedule refresh failed")

    monkeypatch.setattr("visits.actions.schedule_refresh", boom)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING)
    audits = AuditEvent.objects.count()
    with pytest.raises(RuntimeError):
        jobs.run_commit(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "未写入任何数据" in job.summary["message"]
    assert Household.objects.count() == 0 and Person.objects.count() == 0
    assert AuditEvent.objects.count() == audits


def test_the_bulk_commit_uses_a_constant_number_of_queries(village_code, django_assert_max_num_queries):
    from beneficiaries import roster_io

    officer = county_officer()
    rows = []
    for start in range(0, 100, 20):
        rows += twenty_households(village_code, start=start)
    for i, row in enumerate(rows):
        if i % 2 == 0:
            row[roster_io.HEADERS.index("结对干部姓名")] = f"干部{i % 7}"
            row[roster_io.HEADERS.index("结对干部电话")] = f"1390855{i % 7:04d}"
            row[roster_io.HEADERS.index("结对干部类型")] = "驻村干部"
            row[roster_io.HEADERS.index("结对关系")] = "就近"
    with django_assert_max_num_queries(60):
        result = roster_io.roster_import(actor=officer, content=roster_sheet(rows, "csv"), filename="r.csv",
                                         today=dt.date(2026, 6, 15))
    assert result.ok, result.errors[:3]
    assert Household.objects.count() == 100 and Household.objects.filter(pairings__isnull=False).count() == 100


def test_the_page_shows_200_errors_and_the_download_holds_all(client, village_code):
    from beneficiaries import roster_io

    client.force_login(county_officer())
    rows = []
    for start in range(0, 140, 20):
        rows += twenty_households(village_code, start=start)
    for row in rows:
        row[roster_io.HEADERS.index("自理能力")] = "还行"
        row[roster_io.HEADERS.index("残疾等级")] = "9"
    job = upload(client, roster_sheet(rows, "xlsx"), "roster.xlsx")
    assert job.status == ImportStatus.INVALID and job.error_count == 560
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert page.count('data-testid="error-row"') == 200 and "下表列出前 200 处" in page
    body = b"".join(client.get(reverse("imports:errors", args=[job.pk])).streaming_content).decode("utf-8-sig")
    assert len(body.splitlines()) == 561
    assert not jobs.upload_path(job).exists()  # a refused file is not kept


def test_random_bytes_uploaded_are_a_chinese_message_not_a_500(client, village_code):
    client.force_login(county_officer())
    for name, content in (("a.xlsx", os.urandom(5000)), ("a.csv", os.urandom(5000)), ("a.csv", b"\x00" * 100),
                          ("a.xlsx", b"PK\x03\x04" + os.urandom(200))):
        job = upload(client, content, name)
        assert job.status == ImportStatus.INVALID
        page = client.get(reverse("imports:job", args=[job.pk]))
        assert page.status_code == 200 and 'data-testid="error-row"' in page.content.decode()


def test_unconfirmed_uploads_are_deleted_after_24_hours(village_code):
    officer = county_officer()
    old = jobs.start(kind="roster", user=officer, filename="old.csv", content=roster_sheet(twenty_households(village_code), "csv"))
    young = jobs.start(kind="roster", user=officer, filename="new.csv", content=roster_sheet(twenty_households(village_code), "csv"))
    assert old.status == young.status == ImportStatus.CHECKED
    ImportJob.objects.filter(pk=old.pk).update(created_at=dt.datetime(2026, 6, 13, 23, tzinfo=dt.UTC))
    day_old = dt.datetime(2026, 6, 14, 0, tzinfo=dt.UTC).timestamp()  # 25 hours before "now"
    os.utime(jobs.upload_path(old), (day_old, day_old))
    from imports.tasks import purge_stale_uploads

    assert purge_stale_uploads.delay().get() >= 1
    assert not jobs.upload_path(old).exists() and jobs.upload_path(young).exists()
    old.refresh_from_db()
    assert old.status == ImportStatus.EXPIRED


def test_a_commit_whose_process_died_shows_failed_and_runs_again_once(client, village_code, monkeypatch):
    """The process that took the commit is gone (its advisory lock with it): the job page shows
    it failed with nothing written, and 重新导入 commits it once. tests/ops/test_faults.py kills a
    real worker; here the death is a started job whose lock nobody holds."""
    officer = county_officer()
    client.force_login(officer)
    job = upload(client, big_roster(village_code, 40))
    assert job.status == ImportStatus.CHECKED
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.COMMITTING, started_at=dt.datetime(2026, 6, 15, 1, tzinfo=dt.UTC))
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "导入中断" in page and 'data-testid="job-retry"' in page
    assert Household.objects.count() == 0
    client.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.summary
    assert Household.objects.count() == 40
    # A task delivered again later (the dead worker's message) finds the job done.
    assert jobs.run_commit(job.pk).status == ImportStatus.DONE and Household.objects.count() == 40


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_file_is_parsed_once_from_check_to_commit(client, village_code, monkeypatch, fmt,
                                                       django_capture_on_commit_callbacks):
    from accounts import sheets

    reads = []
    real = sheets.read_table
    monkeypatch.setattr(sheets, "read_table", lambda *a, **kw: reads.append(a[1]) or real(*a, **kw))
    monkeypatch.setattr("beneficiaries.roster_io.read_table", sheets.read_table)
    rows = []
    for start in range(0, 60, 20):
        rows += twenty_households(village_code, start=start)
    client.force_login(county_officer())
    with django_capture_on_commit_callbacks(execute=True):
        job = upload(client, roster_sheet(rows, fmt), name=f"roster.{fmt}")
        job.refresh_from_db()
        assert job.status == ImportStatus.CHECKED
        assert jobs.table_path(job).exists()
        client.post(reverse("imports:confirm", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.summary
    assert Household.objects.count() == 60 and Person.objects.count() == 120
    assert reads == [f"roster.{fmt}"]  # read by the check only; the commit used what it kept
    assert not jobs.table_path(job).exists() and not jobs.upload_path(job).exists()


def test_a_file_that_cannot_be_read_is_reported_as_before(client):
    client.force_login(county_officer())
    job = upload(client, b"PK\x03\x04 not really a workbook", name="roster.xlsx")
    assert job.status == ImportStatus.INVALID
    assert "无法读取该" in job.summary["errors"][0][2]
    assert not jobs.table_path(job).exists()
