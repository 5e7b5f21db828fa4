"""Proposals carry the day their source fact took effect (issue 24 §12): a move away or turning 18
typed by the proposer, a department's list day for a change found in a list, a death's date; the
decision applies from that day (the exit's date, the tier decision's date), not the decision's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from beneficiaries.actions import quarterly_review_start
from beneficiaries.models import Classification, Household
from exchange.actions import proposal_create, proposal_decide, source_date
from exchange.models import Proposal
from tests.conftest import COUNTY, TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, area, user_with_role

from .test_crosscheck import TODAY, run
from .test_crosscheck import county as county  # noqa: F401 (fixture)
from .test_crosscheck import roster as roster  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def township():
    return user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xj_eff")


def test_a_move_away_exits_on_the_day_of_the_move(township, county):  # noqa: F811
    household = HouseholdFactory()
    PersonFactory(household=household, name="杨秀英")
    p = proposal_create(actor=township, kind="exit", household=household, reason="moved_out",
                        effective_on=dt.date(2026, 2, 20), today=TODAY)
    assert p.effective_on == dt.date(2026, 2, 20) and source_date(p) == dt.date(2026, 2, 20)
    proposal_decide(actor=county, proposal=p, accept=True, reason="已核实迁往外省", today=TODAY)
    household.refresh_from_db()
    assert household.status == "exited" and household.exited_on == dt.date(2026, 2, 20)


def test_without_a_date_the_decision_day_and_a_future_date_is_refused(township, county):  # noqa: F811
    household = HouseholdFactory()
    with pytest.raises(ValidationError) as exc:
        proposal_create(actor=township, kind="exit", household=household, reason="moved_out",
                        effective_on=TODAY + dt.timedelta(days=1), today=TODAY)
    assert "effective_on" in exc.value.message_dict
    p = proposal_create(actor=township, kind="exit", household=household, reason="income_improved", today=TODAY)
    assert p.effective_on is None
    proposal_decide(actor=county, proposal=p, accept=True, reason="收入超过标准", today=TODAY)
    assert Household.objects.get(pk=household.pk).exited_on == TODAY


def test_the_propose_page_takes_the_date_of_the_fact(client, township):
    household = HouseholdFactory()
    client.force_login(township)
    url = reverse("exchange:propose", args=[household.pk, "exit"])
    assert "事实发生日期" in client.get(url).content.decode()
    response = client.post(url, {"reason": "no_longer_eligible", "reason_text": "", "effective_on": "2026-03-01"})
    assert response.status_code == 302
    assert Proposal.objects.get(household=household).effective_on == dt.date(2026, 3, 1)


def test_a_department_change_is_effective_from_the_list_day_and_the_tier_decision_keeps_it(roster, county):  # noqa: F811
    for source in ("disability", "death"):
        run(source, county)
    tier = Proposal.objects.get(kind="tier_change")
    assert tier.effective_on == TODAY  # the day the department's list said so
    assert Proposal.objects.get(kind="exit").effective_on == dt.date(2026, 2, 10)  # the date of death
    later = TODAY + dt.timedelta(days=20)
    review = quarterly_review_start(actor=county, county=area(COUNTY), today=later)
    proposal_decide(actor=county, proposal=tier, accept=True, reason="残联证件核实无误", review=review, today=later)
    raised = Household.objects.get(pk=roster["raised"].pk)
    decision = Classification.objects.filter(household=raised).latest("id")
    assert (decision.tier, decision.effective_on, raised.tier_since) == ("B", TODAY, TODAY)
