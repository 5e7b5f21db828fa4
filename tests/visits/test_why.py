"""为什么: the due date explained — inputs (last counted visit, clock start, pauses, tier change,
the policy that set the interval) and the rule, on a page the household's users can open."""

import datetime as dt
import random

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Role
from beneficiaries.models import Classification
from tests.factories import user_with_role
from visits import rules
from visits.models import Pause, VisitPolicy

from .factories import VisitFactory

D = dt.date


def test_the_explanation_gives_the_rule_s_date_for_any_history():
    rng = random.Random(7)
    for _ in range(500):
        start = D(2026, 1, 1) + dt.timedelta(days=rng.randrange(60))
        visits = [start + dt.timedelta(days=rng.randrange(150)) for _ in range(rng.randrange(4))]
        changes = [rules.TierChange(start, rng.choice("ABC"))]
        if rng.random() < 0.5:
            changes.append(rules.TierChange(start + dt.timedelta(days=rng.randrange(150)), rng.choice("ABC")))
        pauses = []
        if rng.random() < 0.5:
            p0 = start + dt.timedelta(days=rng.randrange(150))
            pauses.append(rules.Period(p0, None if rng.random() < 0.2 else p0 + dt.timedelta(days=rng.randrange(20))))
        history = rules.History(changes, visits, pauses, start)
        today = start + dt.timedelta(days=rng.randrange(200))
        why = rules.explain_next_due(history, rules.DEFAULT_POLICY, today)
        assert why.due == rules.next_due(history, rules.DEFAULT_POLICY, today)
        dues = [s.due for s in why.steps]
        assert why.due == (None if not dues or None in dues else min(dues))


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 6, 20, 9), tick=False)
def test_the_why_page_shows_visit_pause_tier_change_and_the_county_policy(client, paired, township_user):
    household, cadre = paired
    county = user_with_role(Role.COUNTY, "522634000000")
    VisitPolicy.objects.create(county_id="522634000000", tier="B", interval_days=12, monthly_minimum=2,
                               effective_on=D(2026, 6, 1), reason="山区路远，县里调整", set_by=county)
    VisitFactory(household=household, visited_on=D(2026, 6, 5))
    Pause.objects.create(household=household, kind="hospital", starts_on=D(2026, 6, 8), ends_on=D(2026, 6, 10),
                         reason="住院", created_by=township_user)
    Classification.objects.create(household=household, tier="B", criteria=["B1"], effective_on=D(2026, 6, 12))
    # A: 6-05 + 10 days + 3 paused days = 6-18; B from 6-12: 6-12 + 12 = 6-24. The earlier wins: 6-18.
    client.force_login(cadre)
    response = client.get(reverse("visits:why_due", args=[household.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    why = response.context["why"]
    assert why.explanation.due == D(2026, 6, 18)
    steps = [(s.base_kind, s.base, s.tier, s.interval_days, s.paused, s.due) for s in why.explanation.steps]
    assert steps == [("visit", D(2026, 6, 5), "A", 10, 3, D(2026, 6, 18)),
                     ("tier_change", D(2026, 6, 12), "B", 12, 0, D(2026, 6, 24))]
    assert "2026-06-18" in page and "暂停 3 天" in page and "山区路远，县里调整" in page
    assert "实施方案§7" in page  # tier A's interval is the default
    assert "已逾期" in page


@pytest.mark.django_db
def test_the_why_page_is_scoped(client, paired):
    household, _ = paired
    client.force_login(user_with_role(Role.TOWNSHIP, "522634100000"))
    assert client.get(reverse("visits:why_due", args=[household.pk])).status_code == 404


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 6, 20, 9), tick=False)
def test_the_desk_s_overdue_rows_link_to_the_why_page(client, paired, township_user):
    from beneficiaries.models import Household
    from visits import actions

    household, _ = paired
    VisitFactory(household=household, visited_on=D(2026, 6, 1))
    actions.schedule_refresh(households=Household.objects.filter(pk=household.pk), today=D(2026, 6, 20))
    client.force_login(township_user)
    page = client.get(reverse("visits:desk")).content.decode()
    assert reverse("visits:why_due", args=[household.pk]) in page
