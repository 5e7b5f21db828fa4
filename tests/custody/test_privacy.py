"""Review checks: caregiver and custodian ID numbers stay masked; bad input keeps what was typed."""

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from custody.models import Caregiver, Custodian
from tests.custody.factories import committee_user, open_account, villager_id

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 3, 16, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        yield


def test_caregiver_and_custodian_numbers_are_masked_on_account_pages(client, village_code):
    owner = committee_user(village_code, username="owner")
    account = open_account(village_code, owner)
    client.force_login(owner)
    number = villager_id(dt.date(1975, 2, 3))
    response = client.post(reverse("custody:caregiver_appoint", args=[account.pk]), {
        "name": "李照料", "id_number": number, "phone": "13900002222", "relation": "邻居", "started_on": "2026-03-16"})
    assert response.status_code == 302, response.content.decode()
    custodian = Custodian.objects.filter(account=account).first()
    caregiver = Caregiver.objects.get(account=account, name="李照料")
    sheet = load_workbook(io.BytesIO(client.get(reverse("custody:statement_xlsx", args=[account.pk])).content)).active
    cells = " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)
    for body in (client.get(reverse("custody:account_detail", args=[account.pk])).content.decode(),
                 client.get(reverse("custody:statement", args=[account.pk])).content.decode(), cells):
        assert caregiver.id_number not in body and custodian.id_number not in body
        assert account.person.id_number not in body
    assert account.person.id_masked in cells
    assert caregiver.id_masked in client.get(reverse("custody:account_detail", args=[account.pk])).content.decode()


def test_a_bad_caregiver_id_number_gives_a_chinese_message_and_keeps_the_input(client, village_code):
    owner = committee_user(village_code, username="owner")
    account = open_account(village_code, owner)
    client.force_login(owner)
    response = client.post(reverse("custody:caregiver_appoint", args=[account.pk]), {
        "name": "李照料", "id_number": "123456", "phone": "13900002222", "relation": "邻居", "started_on": "2026-03-16"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "身份证" in body and "李照料" in body and "123456" in body
    assert not Caregiver.objects.filter(account=account, name="李照料").exists()


def test_a_bad_deposit_amount_gives_a_chinese_message_and_keeps_the_input(client, village_code):
    owner = committee_user(village_code, username="owner")
    account = open_account(village_code, owner)
    client.force_login(owner)
    response = client.post(reverse("custody:deposit", args=[account.pk]), {
        "amount": "十二块", "fund_type": "tekun", "entry_date": "2026-13-01", "note": "三月特困金"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "十二块" in body and "三月特困金" in body and "金额" in body
