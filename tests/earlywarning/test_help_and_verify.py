"""The door card's help request (public page, rate limits, revoked tokens), the warning's
verification by the township (three users), escalation, and the lists that show them."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from earlywarning import actions, views
from earlywarning.models import CareWarning, DoorCard, HelpRequest, Signal, Verification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def card(paired, township_user):
    household, _ = paired
    return actions.door_card_issue(actor=township_user, household=household)


def login(client, user):
    client.force_login(user)
    return client


def test_the_public_page_shows_only_the_village_and_the_household_code(client, card):
    response = client.get(reverse("earlywarning:help", args=[card.token]))
    page = response.content.decode()
    assert response.status_code == 200
    assert card.household.code in page and card.household.village.short_name in page
    assert "王阿婆" not in page and "cadre_zhang" not in page and "139" not in page


def test_a_help_request_reaches_the_cadre_and_the_township_at_once_as_urgent(client, card, paired, township_user):
    _household, cadre = paired
    response = client.post(reverse("earlywarning:help", args=[card.token]),
                           {"kinds": ["ill", "alone"], "text": "老人摔倒了", "callback_phone": "13912345678"})
    assert response.status_code == 302 and response["Location"].endswith("/sent/")
    request = HelpRequest.objects.get()
    assert request.kinds == ["ill", "alone"] and request.callback_phone == "13912345678"
    assert Signal.objects.get().kind == "help_request"
    assert CareWarning.objects.get().level == "urgent"
    told = set(Notification.objects.filter(key=f"help-request:{request.pk}").values_list("recipient_id", flat=True))
    assert told == {cadre.pk, township_user.pk}
    mine = login(client, cadre).get(reverse("visits:mine")).content.decode()
    assert 'data-testid="help-request-row"' in mine and card.household.code in mine
    client.logout()
    desk = login(client, township_user).get(reverse("visits:desk")).content.decode()
    assert 'data-testid="help-request-row"' in desk and 'data-testid="warning-row"' in desk


def test_bad_input_changes_nothing_and_keeps_what_was_typed(client, card):
    response = client.post(reverse("earlywarning:help", args=[card.token]), {"text": "屋顶漏雨", "callback_phone": "123"})
    page = response.content.decode()
    assert response.status_code == 200 and "请至少选择一项需要的帮助。" in page and "屋顶漏雨" in page
    assert "请填写11位手机号" in page
    assert not HelpRequest.objects.exists()


def test_requests_from_one_card_are_limited(client, card, monkeypatch):
    url = reverse("earlywarning:help", args=[card.token])
    for _ in range(views.RATE_PER_CARD):
        assert client.post(url, {"kinds": ["food"]}).status_code == 302
    response = client.post(url, {"kinds": ["food"]})
    assert response.status_code == 429 and "提交太频繁" in response.content.decode()
    assert HelpRequest.objects.count() == views.RATE_PER_CARD


def test_requests_from_one_address_are_limited_across_cards(client, township_user, monkeypatch):
    from tests.factories import HouseholdFactory

    monkeypatch.setattr(views, "RATE_PER_ADDRESS", 2)
    cards = [actions.door_card_issue(actor=township_user, household=HouseholdFactory()) for _ in range(3)]
    codes = [client.post(reverse("earlywarning:help", args=[c.token]), {"kinds": ["food"]}).status_code for c in cards]
    assert codes == [302, 302, 429]


def test_a_reprinted_card_revokes_the_old_token(client, card, township_user):
    new = actions.door_card_issue(actor=township_user, household=card.household)
    old = client.post(reverse("earlywarning:help", args=[card.token]), {"kinds": ["food"]})
    assert old.status_code == 404 and "该二维码已失效" in old.content.decode()
    assert client.get(reverse("earlywarning:help", args=[new.token])).status_code == 200
    assert not HelpRequest.objects.exists()
    assert DoorCard.objects.filter(household=card.household, revoked_at__isnull=True).get() == new


def test_a_revoked_card_opens_nothing(client, card, township_user):
    login(client, township_user).post(reverse("earlywarning:door_card", args=[card.household_id]), {"do": "revoke"})
    client.logout()
    assert client.get(reverse("earlywarning:help", args=[card.token])).status_code == 404


def test_the_door_card_page_is_scoped(client, card, paired, other_township_user):
    assert login(client, other_township_user).get(
        reverse("earlywarning:door_card", args=[card.household_id])).status_code == 404


# --- verification ------------------------------------------------------------------------------


@pytest.fixture
def warning(client, card):
    client.post(reverse("earlywarning:help", args=[card.token]), {"kinds": ["ill"]})
    return CareWarning.objects.get()


def test_the_township_verifies_with_an_outcome_and_a_reason(client, warning, township_user):
    url = reverse("earlywarning:warning", args=[warning.pk])
    page = login(client, township_user).get(url).content.decode()
    assert "一键求助：生病/受伤，需要看病" in page and "≥100 分紧急" in page
    response = client.post(url, {"outcome": "helped", "reason": "已上门", "follow_up": ""})
    assert "已核实并帮扶时，请写明" in response.content.decode()
    assert not Verification.objects.exists()
    client.post(url, {"outcome": "helped", "reason": "已上门，送医", "follow_up": "转介县医保局 医疗救助"})
    verification = Verification.objects.get()
    assert verification.in_time and verification.verified_by == township_user


def test_the_cadre_sees_but_cannot_verify_and_an_outsider_gets_404(client, warning, paired, other_township_user):
    _household, cadre = paired
    url = reverse("earlywarning:warning", args=[warning.pk])
    page = login(client, cadre).get(url).content.decode()
    assert 'data-testid="verify-form"' not in page
    client.post(url, {"outcome": "no_help", "reason": "x"})
    assert not Verification.objects.exists()
    client.logout()
    assert login(client, other_township_user).get(url).status_code == 404


def test_an_unverified_urgent_warning_goes_to_the_county_after_24_hours(warning, county_user):
    with time_machine.travel(timezone.now() + dt.timedelta(hours=23), tick=False):
        assert actions.warnings_escalate() == 0
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25), tick=False):
        assert actions.warnings_escalate() == 1
        assert actions.warnings_escalate() == 0
    warning.refresh_from_db()
    assert warning.escalated_to_id == "522634000000"
    assert Notification.objects.filter(recipient=county_user, key=f"care-warning-escalated:{warning.pk}").exists()


def test_a_help_request_is_closed_with_what_was_done(client, warning, paired):
    _household, cadre = paired
    request = HelpRequest.objects.get()
    url = reverse("earlywarning:help_request", args=[request.pk])
    login(client, cadre).post(url, {"outcome": ""})
    request.refresh_from_db()
    assert request.closed_at is None
    client.post(url, {"outcome": "已联系家属，送县医院"})
    request.refresh_from_db()
    assert request.closed_at and request.outcome == "已联系家属，送县医院"


def test_the_desk_figures_count_raised_and_verified_per_township(client, warning, township_user):
    actions.warning_verify(actor=township_user, warning=warning, outcome="no_help", reason="误按")
    response = login(client, township_user).get(reverse("earlywarning:desk") + "?why=figures")
    figures = response.context["figures"]
    assert [(f.area_name, f.raised, f.urgent, f.verified, f.in_time, f.no_help, f.open) for f in figures] == [
        ("西江镇", 1, 1, 1, 1, 1, 0)]
    assert "统计范围" in response.content.decode()


def test_the_demo_step_gives_cards_a_help_request_and_is_idempotent(paired, township_user):
    from earlywarning.demo import demo_load

    household, cadre = paired
    cadre.username = "ganbu"
    cadre.save(update_fields=["username"])
    assert demo_load() == 1
    assert demo_load() == 0
    assert HelpRequest.objects.get().household == household


def test_the_county_sets_its_weights_and_thresholds_and_the_township_only_reads_them(client, county_user,
                                                                                     township_user, paired):
    from earlywarning.models import WarningPolicy
    from earlywarning.rules import DEFAULT_WEIGHTS

    household, _ = paired
    data = {f"w_{k}": v for k, v in DEFAULT_WEIGHTS.items()} | {"w_living_worse": 35, "attention_at": 30,
                                                                 "warning_at": 20, "urgent_at": 100, "window_days": 30,
                                                                 "effective_on": "2026-11-01", "reason": "试点"}
    url = reverse("earlywarning:policy")
    response = login(client, county_user).post(url, data)
    assert "阈值须从关注、预警到紧急依次增大" in response.content.decode() and not WarningPolicy.objects.exists()
    assert 'value="35"' in response.content.decode()  # what was typed is kept
    client.post(url, data | {"warning_at": 60})
    policy = WarningPolicy.objects.get()
    assert (policy.county_id, policy.weights, policy.attention_at) == ("522634000000", {"living_worse": 35}, 30)
    assert "衣食住医变差 35" in client.get(url).content.decode()
    client.logout()
    login(client, township_user)
    assert client.get(url).status_code == 200
    assert client.post(url, data | {"warning_at": 61}).status_code == 404
    assert WarningPolicy.objects.count() == 1


def test_the_roster_s_door_card_prints_the_help_qr_while_the_token_is_valid(client, card, township_user):
    url = reverse("beneficiaries:door_card", args=[card.household_id])
    body = login(client, township_user).get(url).content.decode()
    assert "有困难 扫码求助" in body
    village = client.get(reverse("beneficiaries:door_cards_village", args=[card.household.village_id])).content
    assert "有困难 扫码求助" in village.decode()
    actions.door_card_revoke(actor=township_user, card=card)
    assert "扫码查看（需登录）" in client.get(url).content.decode()


def test_the_panels_probe_finds_open_rows_only_where_the_lists_would(client, card, paired, township_user,
                                                                      other_township_user, county_user):
    """The cadre's list and the desk skip the panel's list queries when `open_kinds` says nothing
    is open (issue 25): it must see every row the lists would show (a superset of the scope)."""
    from earlywarning import queries
    from tests.factories import cadre_user

    _household, cadre = paired
    other_cadre, _ = cadre_user("cadre_li")
    assert queries.open_kinds(cadre, mine=True) == set() == queries.open_kinds(township_user)
    client.post(reverse("earlywarning:help", args=[card.token]), {"kinds": ["ill"], "text": "", "callback_phone": ""})
    assert HelpRequest.objects.count() == 1 and CareWarning.objects.count() == 1
    both = {"warnings", "help_requests"}
    assert queries.open_kinds(cadre, mine=True) == both == queries.open_kinds(cadre)
    assert queries.open_kinds(township_user) == both == queries.open_kinds(county_user)
    assert queries.open_kinds(other_township_user) == set() == queries.open_kinds(other_cadre, mine=True)
    for user in (cadre, township_user):  # where the probe says yes, the lists have the rows
        assert queries.open_warnings(user, mine=user == cadre) and queries.open_help_requests(user, mine=user == cadre)


def test_verifying_or_closing_twice_answers_the_page_of_what_was_done(client, warning, township_user, paired):
    url = reverse("earlywarning:warning", args=[warning.pk])
    data = {"outcome": "helped", "reason": "已上门，送医", "follow_up": "转介县医保局 医疗救助"}
    assert login(client, township_user).post(url, data).status_code == 302
    again = client.post(url, data, follow=True)
    assert again.status_code == 200 and "此操作已完成" in again.content.decode()
    assert Verification.objects.count() == 1
    _household, cadre = paired
    help_url = reverse("earlywarning:help_request", args=[HelpRequest.objects.get().pk])
    client.logout()
    assert login(client, cadre).post(help_url, {"outcome": "已联系家属"}).status_code == 302
    again = client.post(help_url, {"outcome": "已联系家属"}, follow=True)
    assert again.status_code == 200 and "此操作已完成" in again.content.decode()
