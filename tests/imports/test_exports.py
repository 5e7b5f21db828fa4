"""Background exports (issue 25): a roster above INLINE_ROWS people is written by a task; the
request answers at once with the job's page; the file is the one the request would have sent;
only its requester downloads it, for 24 hours; then it is purged."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditAction, AuditEvent
from imports import exports
from imports.models import ExportJob, ExportStatus
from tests.beneficiaries.factories import county_officer
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db
NOW = "2026-06-15 09:00 +0800"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def roster(db):
    return [PersonFactory() for _ in range(6)]


def _streamed(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_big_roster_goes_to_a_job_whose_file_is_the_streamed_one(client, roster, monkeypatch, fmt,
                                                                   django_capture_on_commit_callbacks):
    client.force_login(county_officer())
    url = reverse("beneficiaries:roster_export")
    inline = _streamed(client.get(url, {"format": fmt}))  # 6 people: streamed in the request

    monkeypatch.setattr(exports, "INLINE_ROWS", {"csv": 5, "xlsx": 5})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url, {"format": fmt})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:export", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.rows == 6 and job.fmt == fmt
    audit = AuditEvent.objects.filter(action=AuditAction.EXPORT, details__job=str(job.pk)).get()
    assert audit.details["rows"] == 6

    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="export-download"' in page and "下载链接有效至 2026-06-16 09:00" in page
    downloaded = _streamed(client.get(reverse("imports:export_download", args=[job.pk])))
    if fmt == "csv":
        assert downloaded == inline
    else:
        rows = [[list(r) for r in load_workbook(io.BytesIO(b)).worksheets[0].iter_rows(values_only=True)]
                for b in (inline, downloaded)]
        assert rows[0] == rows[1] and len(rows[0]) == 1 + 6  # headers, six people
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, details__download=True).count() == 1


def test_only_the_requester_downloads_and_only_for_24_hours(client, roster, monkeypatch,
                                                             django_capture_on_commit_callbacks):
    owner = county_officer()
    client.force_login(owner)
    monkeypatch.setattr(exports, "INLINE_ROWS", {"csv": 5, "xlsx": 5})
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("beneficiaries:roster_export"), {"format": "csv"})
    job = ExportJob.objects.get()
    download = reverse("imports:export_download", args=[job.pk])

    client.force_login(county_officer())
    assert client.get(download).status_code == 404
    assert client.get(reverse("imports:export", args=[job.pk])).status_code == 404

    client.force_login(owner)
    with time_machine.travel(dt.datetime(2026, 6, 16, 9, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        assert client.get(download).status_code == 404
        assert "已超过 24 小时" in client.get(reverse("imports:export", args=[job.pk])).content.decode()
        assert exports.purge_expired() == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED and not exports.file_path(job).exists()


def test_the_job_page_polls_while_the_file_is_written(client, roster):
    user = county_officer()
    client.force_login(user)
    job = exports.start(kind="roster", title="特殊困难群体关爱台账", user=user, params={"query": "format=csv"},
                        fmt="csv", filename="x.csv")  # in a test transaction: the task waits for the commit
    page = client.get(reverse("imports:export", args=[job.pk])).content.decode()
    assert reverse("imports:export_progress", args=[job.pk]) in page and "正在后台生成文件" in page
    assert client.get(reverse("imports:export_download", args=[job.pk])).status_code == 404
    exports.run(job.pk)
    response = client.get(reverse("imports:export_progress", args=[job.pk]))
    assert response["HX-Refresh"] == "true"
    assert client.get(reverse("imports:export_download", args=[job.pk])).status_code == 200


def test_a_big_visit_ledger_goes_to_a_job(client, monkeypatch, django_capture_on_commit_callbacks):
    from tests.conftest import COUNTY
    from tests.visits.factories import VisitFactory

    for person in [PersonFactory() for _ in range(3)]:
        VisitFactory(household=person.household, visited_on=dt.date(2026, 6, 3))
    client.force_login(county_officer())
    url = reverse("visits:ledger")
    inline = client.get(url, {"area": COUNTY, "month": "2026-06"})
    assert inline.status_code == 200 and inline.streaming  # 3 visits: in the request

    monkeypatch.setattr(exports, "INLINE_ROWS", {"csv": 2, "xlsx": 2})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url, {"area": COUNTY, "month": "2026-06"})
    job = ExportJob.objects.get()
    assert response["Location"] == reverse("imports:export", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.rows == 3
    rows = [[list(r) for r in load_workbook(io.BytesIO(b)).worksheets[0].iter_rows(values_only=True)]
            for b in (_streamed(inline), _streamed(client.get(reverse("imports:export_download", args=[job.pk]))))]
    assert rows[0] == rows[1] and len(rows[0]) == 2 + 3  # title row, headers, three visits
