"""Lists and messages name people (issue 24 §1): the household by its head's name (village and
code beside it), at no extra query per row — a list of 3 rows and of 9 rows cost the same."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Notification, Role
from exchange.actions import proposal_create
from tests.assistance.factories import TODAY, officials, raise_app
from tests.conftest import COUNTY, TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


def _heads(village_code: str, n: int, start: int = 0) -> list:
    out = []
    for i in range(start, start + n):
        h = HouseholdFactory(village_id=village_code, code=f"PL-{i:04d}", tier="A")
        PersonFactory(household=h, name=f"户主{i}")
        out.append(h)
    return out


def _queries(client, url: str) -> tuple[int, str]:
    client.get(url)  # the first request stores the login's session
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_the_application_list_names_the_heads_at_no_query_per_row(client, village_code, django_assert_max_num_queries):
    users = officials(village_code)
    client.force_login(users["township"])
    url = reverse("assistance:applications")
    with time_machine.travel(dt.datetime(2026, 11, 30, 10, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        for h in _heads(village_code, 3):
            raise_app(users["village"], h)
        few, page = _queries(client, url)
        assert "户主0" in page and "PL-0000" in page
        for h in _heads(village_code, 6, start=3):
            raise_app(users["village"], h)
        with django_assert_max_num_queries(few):
            page = client.get(url).content.decode()
    assert all(f"户主{i}" in page for i in range(9))
    assert TODAY  # the helpers' day


def test_the_inbox_names_each_messages_household_in_one_query(client, village_code, django_assert_max_num_queries):
    user = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    client.force_login(user)
    url = reverse("visits:inbox")
    for i, h in enumerate(_heads(village_code, 3)):
        Notification.objects.create(recipient=user, key=f"k{i}", title="关爱预警超期未核查，已上报县民政", household=h)
    few, page = _queries(client, url)
    assert 'data-testid="message-household"' in page and "户主0 · " in page
    for i, h in enumerate(_heads(village_code, 6, start=3), start=3):
        Notification.objects.create(recipient=user, key=f"k{i}", title=f"送水逾期：户主{i}", household=h)
    with django_assert_max_num_queries(few):
        page = client.get(url).content.decode()
    assert all(f"户主{i}" in page for i in range(9))


def test_the_proposal_list_names_the_heads_at_no_query_per_row(client, village_code, django_assert_max_num_queries):
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    county = user_with_role(Role.COUNTY, COUNTY)
    today = dt.date(2026, 3, 16)
    for h in _heads(village_code, 3):
        proposal_create(actor=township, kind="exit", household=h, reason="moved_out", today=today)
    client.force_login(county)
    url = reverse("exchange:proposals")
    few, page = _queries(client, url)
    assert "户主0" in page
    for h in _heads(village_code, 6, start=3):
        proposal_create(actor=township, kind="exit", household=h, reason="moved_out", today=today)
    with django_assert_max_num_queries(few):
        page = client.get(url).content.decode()
    assert all(f"户主{i}" in page for i in range(9))


def test_the_household_page_is_headed_by_the_heads_name(client, village_code):
    (h,) = _heads(village_code, 1)
    client.force_login(user_with_role(Role.TOWNSHIP, TOWNSHIP))
    page = client.get(reverse("beneficiaries:household_detail", args=[h.pk])).content.decode()
    heading = page.split('data-testid="household-heading">', 1)[1].split("</h1>", 1)[0]
    assert heading.lstrip().startswith("户主0") and "PL-0000" in heading
    assert "<title>户主0 · " in page
