"""The roster-import preview is summarised and paged: counts, the first 50 households, the full
preview (and every error) downloadable as xlsx; nothing is written before the confirmation."""

import io

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from beneficiaries.models import Household

from .factories import roster_sheet, sheet_row, township_official, twenty_households

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-06-15 09:00 +0800", tick=False):
        yield


def upload(client, rows):
    return client.post(reverse("beneficiaries:roster_import"),
                       {"file": SimpleUploadedFile("roster.xlsx", roster_sheet(rows))})


def test_a_long_preview_shows_a_summary_and_50_households_and_downloads_all(client, village_code):
    client.force_login(township_official(username="xj_import"))
    rows = [r for start in (0, 20, 40, 60) for r in twenty_households(village_code, start)]
    response = upload(client, rows)
    html = response.content.decode()
    assert html.count('data-testid="preview-row"') == 50
    assert 'data-testid="import-summary"' in html and "下面显示前 50 户（共 80 户）" in html
    token = response.context["token"]
    xlsx = client.get(reverse("beneficiaries:roster_import_preview"), {"token": token})
    ws = openpyxl.load_workbook(io.BytesIO(xlsx.content))["导入预览"]
    assert ws.max_row == 81 and ws.freeze_panes == "A2"
    assert not Household.objects.exists()


def test_errors_are_listed_with_a_summary_and_downloadable(client, village_code):
    client.force_login(township_official(username="xj_import2"))
    rows = twenty_households(village_code) + [sheet_row("BAD1", "999999999999", "错村", "123")]
    response = upload(client, rows)
    html = response.content.decode()
    assert 'data-testid="import-errors"' in html and 'data-testid="import-summary"' in html
    token = response.context["download_token"]
    wb = openpyxl.load_workbook(io.BytesIO(client.get(reverse("beneficiaries:roster_import_preview"),
                                                      {"token": token}).content))
    errors = list(wb["错误"].iter_rows(values_only=True))
    assert errors[0] == ("行号", "列", "问题") and len(errors) >= 2


def test_another_users_token_is_not_found(client, village_code):
    client.force_login(township_official(username="xj_import3"))
    assert client.get(reverse("beneficiaries:roster_import_preview"), {"token": "999999-abc.xlsx"}).status_code == 404
