"""Start pages answer "what needs me today"; every number links to the list behind it."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Role
from tests.conftest import COUNTY, TOWNSHIP
from tests.factories import HouseholdFactory, user_with_role
from tests.visits.factories import VisitFactory, visit_input
from visits.actions import FindingInput, visit_record

pytestmark = pytest.mark.django_db
TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 6, 20, 9, tzinfo=TZ)


@pytest.fixture
def paired(db):
    from beneficiaries.models import Classification
    from tests.factories import PairingFactory, PersonFactory, cadre_user

    user, cadre = cadre_user("cadre_home")
    household = HouseholdFactory(tier="A", tier_since=dt.date(2026, 1, 1))
    Classification.objects.create(household=household, tier="A", criteria=["A1"], effective_on=dt.date(2026, 1, 1))
    PersonFactory(household=household, name="王阿婆")
    PairingFactory(household=household, cadre=cadre, started_on=dt.date(2026, 5, 1))
    return household, user


@pytest.fixture
def township_user(db):
    return user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xijiang_home")


def _board_numbers_are_links(html: str) -> None:
    board = html[html.index('data-testid="area-board"'):html.index("</tbody>", html.index('data-testid="area-board"'))]
    cells = re.findall(r'<td class="text-end">(.*?)</td>', board, re.S)
    assert cells and all(c.strip().startswith("<a href=") for c in cells), cells[:3]


def test_prefecture_sees_all_sixteen_counties_by_name_side_by_side(client):
    HouseholdFactory(tier="A")
    client.force_login(user_with_role(Role.PREFECTURE, "522600000000"))
    response = client.get(reverse("home"))
    board = response.context["board"]
    assert len(board) == 16 and all(not r.area.name.isdigit() for r in board)
    html = response.content.decode()
    assert "雷山县" in html and "凯里市" in html and COUNTY not in re.sub(r'(href|data-code)="[^"]*"', "", html)
    leishan = next(r for r in board if r.area.code == COUNTY)
    assert leishan.households == 1
    _board_numbers_are_links(html)
    assert f'href="/roster/?area={COUNTY}"' in html


def test_county_sees_townships_with_visits_findings_referrals_and_review(client, paired):
    household, cadre = paired
    with time_machine.travel(NOW, tick=False):
        VisitFactory(household=household, visited_on=dt.date(2026, 6, 3))
        client.force_login(user_with_role(Role.COUNTY, COUNTY))
        response = client.get(reverse("home"))
    board = response.context["board"]
    xijiang = next(r for r in board if r.area.code == TOWNSHIP)
    assert (xijiang.households, xijiang.visits_month) == (1, 1)
    html = response.content.decode()
    _board_numbers_are_links(html)
    assert "动态调整" in html and 'data-testid="review-status"' in html
    assert f"/visits/desk/?area={TOWNSHIP}" in html
    assert f"/services/inbox/?area={TOWNSHIP}&amp;status=open" in html


def test_township_sees_urgent_reports_on_top_with_an_unread_badge(client, paired, township_user):
    household, cadre = paired
    with time_machine.travel(NOW, tick=False):
        visit_record(actor=cadre, household=household, data=visit_input(visited_on=dt.date(2026, 6, 20)),
                     findings=[FindingInput(kind="special", description="老人突发重病，无人照看")],
                     today=dt.date(2026, 6, 20))
        client.force_login(township_user)
        response = client.get(reverse("home"))
    html = response.content.decode()
    t = response.context["township"]
    assert t["special_count"] == 1 and t["unread_count"] == 1
    assert html.index('data-testid="home-escalations"') < html.index('data-testid="home-overdue"')
    escalations = html[html.index('data-testid="home-escalations"'):html.index('data-testid="home-overdue"')]
    assert "未读" in escalations and household.code in escalations


def test_supervisor_sees_open_samples(client):
    client.force_login(user_with_role(Role.FINANCIAL_SUPERVISOR, COUNTY))
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="home-samples"' in html and "有异常提示的代管账户" in html


def test_referral_inbox_narrows_to_an_area_in_scope_and_404_outside(client):
    client.force_login(user_with_role(Role.TOWNSHIP, TOWNSHIP))
    assert client.get(reverse("services:inbox"), {"area": TOWNSHIP}).status_code == 200
    assert client.get(reverse("services:inbox"), {"area": "522634100000"}).status_code == 404


def test_village_and_township_boards_name_each_households_village(client, paired):
    """Both short lists show the village by its short name (西江社区, not the committee's full name)."""
    from beneficiaries.models import Household

    household, _cadre = paired
    village = household.village
    Household.objects.filter(pk=household.pk).update(next_due_on=dt.date(2026, 6, 18))
    short = village.short_name
    assert short and short != village.name
    for role, code, testid in ((Role.VILLAGE_COMMITTEE, village.code, "home-due-soon"),
                               (Role.TOWNSHIP, TOWNSHIP, "home-overdue")):
        client.force_login(user_with_role(role, code, username=f"board_{role}"))
        with time_machine.travel(NOW, tick=False):
            html = client.get(reverse("home")).content.decode()
        items = html[html.index(f'data-testid="{testid}"'):html.index("</ul>", html.index(f'data-testid="{testid}"'))]
        assert "王阿婆" in items and f'<span class="text-muted">{short} · ' in items, items
