"""The care record book PDF, read back as text; a village's books built by the task with progress."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Role
from oversight.models import JobStatus, RecordBookJob
from tests.conftest import OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, UserFactory, user_with_role
from tests.visits.factories import VisitFactory
from visits.models import Finding

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _fonts(pdf: bytes) -> set[str]:
    out = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            out.add(str(font.get_object()["/BaseFont"]))
    return out


@pytest.fixture
def household(village_code):
    h = HouseholdFactory(tier="A")
    PersonFactory(household=h, name="吴阿婆")
    PairingFactory(household=h, started_on=dt.date(2026, 1, 1))
    VisitFactory(household=h, visited_on=dt.date(2026, 5, 12), met_with="本人", health="fair", notes="灶台靠近柴堆")
    owner = UserFactory()
    Finding.objects.create(household=h, kind="hazard", description="厨房电线老化裸露", owner=owner, created_by=owner,
                           due_on=dt.date(2026, 5, 19), status="closed", closing_note="已更换电线",
                           closed_on=dt.date(2026, 5, 15))
    return h


def test_the_household_book_pdf_carries_name_visits_and_findings_in_an_embedded_cjk_font(client, household):
    client.force_login(user_with_role(Role.TOWNSHIP, TOWNSHIP))
    response = client.get(reverse("oversight:household_book", args=[household.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = _text(response.content)
    for expected in ("关爱记录册", "吴阿婆", "2026-05-12", "灶台靠近柴堆", "厨房电线老化裸露", "已更换电线"):
        assert expected in text
    assert any("CJK" in f or "Zen" in f or "Ming" in f for f in _fonts(response.content))
    assert household.members.get(name="吴阿婆").id_number not in text  # masked
    client.force_login(user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP))
    assert client.get(reverse("oversight:household_book", args=[household.pk])).status_code == 404


def test_a_villages_books_are_built_by_the_task_with_progress(client, household, village_code, django_capture_on_commit_callbacks):
    other = HouseholdFactory(village_id=village_code)
    PersonFactory(household=other, name="杨阿公")
    client.force_login(user_with_role(Role.TOWNSHIP, TOWNSHIP))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("oversight:village_books_start", args=[village_code]))
    job = RecordBookJob.objects.get()
    assert response.url == reverse("oversight:record_book_job", args=[job.pk])
    assert (job.status, job.done, job.total, job.percent) == (JobStatus.DONE, 2, 2, 100)
    partial = client.get(reverse("oversight:record_book_job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert "100%" in partial.content.decode() and "hx-trigger" not in partial.content.decode()
    pdf = b"".join(client.get(reverse("oversight:record_book_download", args=[job.pk])).streaming_content)
    text = _text(pdf)
    assert "吴阿婆" in text and "杨阿公" in text
