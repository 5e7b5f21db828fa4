"""The review's proposals section and the data-quality page cost the same number of queries for
two rows as for twelve."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from beneficiaries.actions import quarterly_review_start
from exchange.actions import proposal_create
from tests.conftest import COUNTY, TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, area, id_number_for, user_with_role

pytestmark = pytest.mark.django_db


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _add(township, n, start):
    today = dt.date.today()
    for i in range(n):
        h = HouseholdFactory()
        born = today.replace(year=today.year - 9) - dt.timedelta(days=start + i)
        PersonFactory(household=h, birth_date=born, id_number=id_number_for(start + i, born), work_capacity="able")
        proposal_create(actor=township, kind="exit", household=h, reason="death", today=today)


def test_review_and_quality_pages_do_not_grow_with_rows(client):
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP)
    county = user_with_role(Role.COUNTY, COUNTY)
    review = quarterly_review_start(actor=county, county=area(COUNTY), today=dt.date.today())
    client.force_login(county)
    review_url = reverse("beneficiaries:review_detail", args=[review.pk])
    quality_url = reverse("exchange:quality") + "?list=child_able"
    _add(township, 2, 0)
    few = (_count(client, review_url), _count(client, quality_url))
    _add(township, 10, 100)
    many = (_count(client, review_url), _count(client, quality_url))
    assert many[1] == few[1]
    # The review's own lists (beneficiaries) plus ours: ours add nothing per row.
    assert many[0] - few[0] <= 0
