import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEvent, Role
from services.exports import REFERRAL_HEADERS
from services.models import Referral, ReferralStatus
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import user_with_role
from tests.services.factories import liaison, make_referral, paired_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    household, cadre = paired_household()
    referral = make_referral(actor=cadre, household=household)
    return household, cadre, referral


def _get(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_the_liaison_sees_the_referral_with_only_the_minimum_personal_data(client, case):
    household, _cadre, referral = case
    yibao = liaison()
    head = household.members.get()
    response = _get(client, yibao, reverse("services:referral", args=[referral.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "王阿婆" in html and head.id_masked in html and "13912345678" in html and "疑似符合医疗救助条件" in html
    assert head.id_number not in html
    assert reverse("beneficiaries:household_detail", args=[household.pk]) not in html
    assert AuditEvent.objects.filter(actor=yibao, action="view", object_id=str(referral.pk)).exists()
    # …and not the household file.
    assert _get(client, yibao, reverse("beneficiaries:household_detail", args=[household.pk])).status_code == 404


def test_scoping_liaison_of_another_department_and_outsiders_get_404(client, case):
    household, cadre, referral = case
    url = reverse("services:referral", args=[referral.pk])
    assert _get(client, user_with_role(Role.TOWNSHIP, TOWNSHIP), url).status_code == 200
    assert _get(client, cadre, url).status_code == 200
    for outsider in (liaison("education"), user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP),
                     paired_household("another_cadre")[1]):
        assert _get(client, outsider, url).status_code == 404


def test_the_inbox_lists_only_the_departments_referrals_overdue_first(client, case):
    household, cadre, referral = case
    late = make_referral(actor=cadre, household=household, problem="早前转介", now=referral.submitted_at.replace(year=2025))
    other = make_referral(actor=cadre, household=household, field_code="housing", problem="危房")
    response = _get(client, liaison(), reverse("services:inbox"))
    rows = list(response.context["page"])
    assert rows == [late, referral]
    assert rows[0].is_overdue and other not in rows


def test_the_liaison_accepts_and_resolves_through_the_page(client, case):
    _household, _cadre, referral = case
    client.force_login(liaison())
    url = reverse("services:referral", args=[referral.pk])
    client.post(url, {"form": "transition", "to_status": ReferralStatus.ACCEPTED})
    response = client.post(url, {"form": "transition", "to_status": ReferralStatus.RESOLVED, "note": ""})
    assert "办结时请填写办理结果。" in response.content.decode()
    client.post(url, {"form": "transition", "to_status": ReferralStatus.RESOLVED, "note": "已纳入医疗救助"})
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == (ReferralStatus.RESOLVED, "已纳入医疗救助")


def test_the_liaison_gets_explicit_buttons_and_every_change_is_in_the_history(client, case):
    _household, _cadre, referral = case
    client.force_login(liaison())
    url = reverse("services:referral", args=[referral.pk])
    page = client.get(url).content.decode()
    assert 'value="accepted" data-testid="referral-accept"' in page and 'data-testid="referral-decline"' in page
    assert 'id="id_to_status"' not in page  # no generic 办理 dropdown
    assert 'data-testid="referral-resolve"' not in page  # not before 受理
    client.post(url, {"form": "transition", "to_status": ReferralStatus.ACCEPTED, "note": ""})
    refused = client.post(url, {"form": "transition", "to_status": ReferralStatus.DECLINED, "note": "  "})
    assert "不予受理时请填写理由。" in refused.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    client.post(url, {"form": "transition", "to_status": ReferralStatus.DECLINED, "note": "不属于本部门职责"})
    timeline = client.get(url).context["events"]
    assert [(e.action, e.from_status, e.to_status) for e in timeline] == [
        ("submit", "", "submitted"), ("accept", "submitted", "accepted"), ("decline", "accepted", "declined")]
    html = client.get(url).content.decode()
    assert "已提交 → 已受理" in html and "已受理 → 不予受理" in html and "不属于本部门职责" in html


def test_a_one_department_liaison_is_not_offered_all_departments(client, case):
    response = _get(client, liaison(), reverse("services:inbox"))
    options = [label for _value, label in response.context["form"].fields["department"].choices]
    assert [str(o) for o in options] == ["州医保局"]


def test_a_cadre_refers_from_the_household_and_bad_input_keeps_what_was_typed(client):
    household, cadre = paired_household()
    client.force_login(cadre)
    url = reverse("services:referral_new", args=[household.pk])
    from services.models import Field

    medical = Field.objects.get(code="medical-aid")
    response = client.post(url, {"field": medical.pk, "problem": "", "contact": "13700000000"})
    assert response.status_code == 200 and "13700000000" in response.content.decode()
    assert not Referral.objects.exists()
    response = client.post(url, {"field": medical.pk, "problem": "慢性病门诊费用负担重", "urgent": "on"})
    referral = Referral.objects.get()
    assert response.status_code == 302 and referral.urgent and referral.department.code == "medical-security"


def test_an_outsider_cannot_open_the_referral_form_of_a_household(client):
    household, _cadre = paired_household()
    for outsider in (liaison(), user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP)):
        assert _get(client, outsider, reverse("services:referral_new", args=[household.pk])).status_code == 404


def test_the_household_tab_shows_the_outcome_to_the_cadre(client, case):
    household, cadre, referral = case
    Referral.objects.filter(pk=referral.pk).update(status="resolved", outcome="已办理住院报销", closed_at=referral.due_at)
    response = _get(client, cadre, reverse("beneficiaries:household_detail", args=[household.pk]))
    assert response.status_code == 200 and "已办理住院报销" in response.content.decode()
    partial = client.get(reverse("services:household_referrals", args=[household.pk]), HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "已办理住院报销" in partial.content.decode()


def test_the_xlsx_export_is_scoped_masked_and_audited(client, case):
    household, _cadre, referral = case
    response = _get(client, user_with_role(Role.COUNTY, COUNTY), reverse("services:export") + "?status=")
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == REFERRAL_HEADERS
    assert len(rows) == 2 and rows[1][5] == household.members.get().id_masked
    # times are Excel date-times, not text
    import datetime as dt

    assert isinstance(rows[1][1], dt.datetime) and isinstance(rows[1][12], dt.datetime)
    assert ws.cell(row=2, column=2).number_format == "yyyy-mm-dd hh:mm"
    assert AuditEvent.objects.filter(action="export", object_type="services.referral").exists()
    response = _get(client, user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP), reverse("services:export") + "?status=")
    assert len(list(load_workbook(io.BytesIO(response.content)).active.iter_rows())) == 1


def test_counts_per_department_and_field_are_for_the_county_and_the_bureau(client, case):
    response = _get(client, user_with_role(Role.PREFECTURE, "522600000000"), reverse("services:counts"))
    assert response.status_code == 200
    row = response.context["rows"][0]
    assert (row["department__name"], row["field__name"], row["total"], row["submitted"]) == ("州医保局", "医疗救助", 1, 1)
    assert _get(client, user_with_role(Role.TOWNSHIP, TOWNSHIP), reverse("services:counts")).status_code == 404


def test_the_inbox_query_count_does_not_grow_with_rows(client, case, django_assert_max_num_queries):
    household, cadre, _referral = case
    yibao = liaison()
    client.force_login(yibao)
    for i in range(8):
        make_referral(actor=cadre, household=household, problem=f"问题{i}")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("services:inbox")).status_code == 200


@pytest.mark.parametrize("name", ["services:lists", "services:providers", "services:fields"])
def test_the_township_pages_open(client, name):
    assert _get(client, user_with_role(Role.TOWNSHIP, TOWNSHIP), reverse(name)).status_code == 200


@pytest.mark.parametrize("which", ["education", "water", "winter", "employment", "zero"])
def test_every_policy_list_opens_for_a_township_and_not_for_a_liaison(client, which):
    url = reverse("services:lists") + f"?list={which}"
    assert _get(client, user_with_role(Role.TOWNSHIP, TOWNSHIP), url).status_code == 200
    assert _get(client, liaison(), url).status_code == 404


def test_the_bureau_can_escalate_late_referrals_now_and_others_cannot(client, case):
    bureau = user_with_role(Role.PREFECTURE, "522600000000", username="bureau_now")
    page = _get(client, bureau, reverse("services:counts"))
    assert "立即上报超期转介" in page.content.decode()
    response = client.post(reverse("services:escalate"))
    assert response.status_code == 302
    county = user_with_role(Role.COUNTY, COUNTY, username="county_now")
    client.force_login(county)
    assert "立即上报超期转介" not in client.get(reverse("services:counts")).content.decode()
    assert client.post(reverse("services:escalate")).status_code == 404
