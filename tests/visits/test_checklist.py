"""Visits that mean something: the §3 core items answered ("未询问" is an answer), hazards open
findings at once per the one finding policy, phone visits outside a special period are recorded
but not counted, and everybody is told so."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from services.finding_link import REFERABLE_KINDS, suggested_field_code
from tests.conftest import COUNTY
from tests.factories import user_with_role
from visits import actions, checklist
from visits.actions import FindingInput, VisitInput, visit_record
from visits.models import Finding, FindingKind, Visit, VisitSource

from .factories import answered, form_answers, visit_input

pytestmark = pytest.mark.django_db
D = dt.date
NOW = dt.datetime(2026, 6, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_a_blank_visit_is_refused_naming_every_missing_item(paired):
    household, cadre = paired
    with pytest.raises(ValidationError) as exc:
        visit_record(actor=cadre, household=household, data=VisitInput(visited_on=D(2026, 6, 20)), today=D(2026, 6, 20))
    message = exc.value.message_dict["__all__"][0]
    for label in ("健康情况", "食", "衣", "住", "行", "医", "享受社会保障待遇", "赡养扶养义务履行", "房屋安全", "用水安全",
                  "用电安全", "用气安全", "取暖安全", "服务需求", "本人意愿"):
        assert label in message
    assert "未询问" in message
    assert not Visit.objects.exists()


def test_one_missing_item_is_named_alone(paired):
    household, cadre = paired
    data = visit_input(visited_on=D(2026, 6, 20))
    del data.checklist["heating_safety"]
    with pytest.raises(ValidationError) as exc:
        visit_record(actor=cadre, household=household, data=data, today=D(2026, 6, 20))
    assert exc.value.message_dict["__all__"] == ["以下必答项尚未作答（没有问到的请选“未询问”）：取暖安全。"]
    assert set(exc.value.message_dict) == {"__all__", "heating_safety"}


def test_not_asked_is_an_explicit_answer(paired):
    household, cadre = paired
    all_not_asked = {i.name: (["not_asked"] if i.kind == checklist.MULTI else "not_asked")
                     for i in checklist.ITEMS if i.required}
    visit = visit_record(actor=cadre, household=household,
                         data=VisitInput(visited_on=D(2026, 6, 20), checklist=all_not_asked, wishes_not_asked=True),
                         today=D(2026, 6, 20))
    visit.refresh_from_db()
    assert (visit.health, visit.needs, visit.wishes_not_asked) == ("not_asked", ["not_asked"], True)
    assert visit.get_health_display() == "未询问"


def test_none_or_not_asked_stand_alone_in_a_multi_choice(paired):
    household, cadre = paired
    with pytest.raises(ValidationError) as exc:
        visit_record(actor=cadre, household=household,
                     data=visit_input(visited_on=D(2026, 6, 20), checklist={"benefits": ["none", "dibao"]}),
                     today=D(2026, 6, 20))
    assert "不能再选其他项" in exc.value.message_dict["benefits"][0]


def test_a_paper_ledger_import_is_not_held_to_the_checklist(paired):
    household, cadre = paired
    visit = visit_record(actor=cadre, household=household, data=VisitInput(visited_on=D(2026, 6, 19)),
                         source=VisitSource.IMPORT, today=D(2026, 6, 20))
    assert visit.source == "import"


def test_each_ticked_hazard_opens_a_finding_with_the_policy_due_date(paired):
    household, cadre = paired
    visit = visit_record(
        actor=cadre, household=household,
        data=visit_input(visited_on=D(2026, 6, 20), checklist={"house_safety": "hazard", "power_safety": "hazard",
                                                               "gas_safety": "hazard"},
                         hazards_fixed=["gas_safety"]),
        findings=[FindingInput(kind=FindingKind.HAZARD, description="墙体开裂，电线老化")], today=D(2026, 6, 20))
    findings = list(visit.findings.order_by("description"))
    assert [f.description for f in findings] == ["房屋安全有隐患：墙体开裂，电线老化", "用电安全有隐患：墙体开裂，电线老化"]
    assert {(f.kind, f.due_on, f.owner_id, f.status) for f in findings} == {
        ("hazard", D(2026, 6, 20) + dt.timedelta(days=checklist.FINDING_POLICY["hazard"].due_days), cadre.pk, "open")}
    assert visit.hazards_fixed == ["gas_safety"]


def test_a_hazard_fixed_on_the_spot_opens_nothing(paired):
    household, cadre = paired
    visit = visit_record(actor=cadre, household=household,
                         data=visit_input(visited_on=D(2026, 6, 20), checklist={"water_safety": "hazard"},
                                          hazards_fixed=["water_safety", "house_safety"]),
                         today=D(2026, 6, 20))
    assert not Finding.objects.exists()
    assert visit.hazards_fixed == ["water_safety"]  # only what was ticked as a hazard


def test_a_free_text_hazard_without_a_tick_still_opens_one_finding(paired):
    household, cadre = paired
    visit_record(actor=cadre, household=household, data=visit_input(visited_on=D(2026, 6, 20)),
                 findings=[FindingInput(kind=FindingKind.HAZARD, description="院坝积水")], today=D(2026, 6, 20))
    assert list(Finding.objects.values_list("description", flat=True)) == ["院坝积水"]


def test_the_finding_policy_is_read_by_the_referral_link():
    assert REFERABLE_KINDS == {"hazard": "housing", "service_need": "social-participation", "benefit": "basic-living"}
    assert suggested_field_code(Finding(kind=FindingKind.SPECIAL)) == "basic-living"
    assert suggested_field_code(Finding(kind=FindingKind.HAZARD)) == "housing"


def test_a_phone_visit_outside_a_special_period_warns_then_is_recorded_not_counted(client, paired):
    household, cadre = paired
    client.force_login(cadre)
    url = reverse("visits:record", args=[household.pk])
    with time_machine.travel(NOW, tick=False):
        form = client.get(url).content.decode()
        assert 'data-testid="remote-warning"' in form and "不计入有效走访" in form
        response = client.post(url, form_answers(visited_on="2026-06-20", mode="phone"), HTTP_ACCEPT="application/json")
        body = response.json()
        timeline = client.get(reverse("visits:household", args=[household.pk])).content.decode()
    assert response.status_code == 201 and body["counted"] is False
    assert "电话走访不在特殊时期，已记录但不计入有效走访" in body["message"]
    assert Visit.objects.get().counted is False
    assert "不计入" in timeline


def test_inside_a_special_period_a_video_visit_counts_and_no_warning_shows(client, paired):
    household, cadre = paired
    actions.special_period_declare(actor=user_with_role(Role.COUNTY, COUNTY), area=household.village.parent.parent,
                                   kind="epidemic", starts_on=D(2026, 6, 1), ends_on=D(2026, 6, 30), reason="疫情",
                                   today=D(2026, 6, 1))
    client.force_login(cadre)
    url = reverse("visits:record", args=[household.pk])
    with time_machine.travel(NOW, tick=False):
        assert 'data-testid="remote-warning"' not in client.get(url).content.decode()
        body = client.post(url, form_answers(visited_on="2026-06-20", mode="video"),
                           HTTP_ACCEPT="application/json").json()
    assert body["counted"] is True and "计入有效走访。" in body["message"]


def test_the_html_form_shows_missing_items_and_keeps_what_was_typed(client, paired):
    household, cadre = paired
    client.force_login(cadre)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("visits:record", args=[household.pk]),
                               {"visited_on": "2026-06-20", "mode": "in_person", "health": "poor", "notes": "老人卧床"})
    page = response.content.decode()
    assert response.status_code == 200 and "以下必答项尚未作答" in page and "老人卧床" in page
    assert 'value="poor" id="id_health_2" checked' in page
    assert page.count('class="checklist-item is-missing') == 13  # 14 core items less health


def test_my_households_labels_the_monthly_progress(client, paired):
    household, cadre = paired
    actions.schedule_refresh(households=type(household).objects.all(), today=D(2026, 6, 20))
    client.force_login(cadre)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("visits:mine")).content.decode()
    assert '<span class="text-muted">本月有效走访</span> <strong>0/3</strong>' in page


def test_answered_matches_the_checklist_definition():
    assert set(answered()) == {i.name for i in checklist.ITEMS if i.required}


def test_the_visit_ledger_tells_not_asked_and_fixed_hazards_apart(paired):
    from visits.exports import _living, _safety

    household, cadre = paired
    visit = visit_record(actor=cadre, household=household, data=visit_input(
        visited_on=D(2026, 6, 20), checklist={"housing": "difficult", "transport": "not_asked", "house_safety": "hazard",
                                              "gas_safety": "hazard", "heating_safety": "not_asked"},
        hazards_fixed=["gas_safety"], wishes="", wishes_not_asked=True), today=D(2026, 6, 20))
    assert _living(visit) == "有困难：住；未询问：行"
    assert _safety(visit) == "有隐患：房屋；未询问：暖；当场已排除：气"
    fine = Visit(food="ok", clothing="ok", housing="ok", transport="ok", medical="ok", house_safety="safe")
    assert (_living(fine), _safety(fine)) == ("正常", "安全")
    assert (_living(Visit()), _safety(Visit())) == ("", "")
