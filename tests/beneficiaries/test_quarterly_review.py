"""Quarterly dynamic adjustment (动态调整, §5(4)): the five lists of a county's quarter with
frozen dates, scope (county owner, prefecture colleague, another county → 404), completion
once and audited, the masked export, and a page whose query count does not grow with rows."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Area, AuditEvent, Role
from beneficiaries import actions, queries, rules
from beneficiaries.models import Classification, Household, QuarterlyReview
from tests.conftest import COUNTY, OTHER_COUNTY
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, user_with_role

from .factories import county_officer, township_official

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 5, 15)  # second quarter: 2026-04-01 … 2026-06-30
A_FACTS = {"benefit_status": "tekun", "support_mode": "dispersed", "self_care": "none"}  # suggests A1


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


LAST_QUARTER = at(2026, 1, 10, 9)


def household(code: str, *, created: datetime = LAST_QUARTER, tier: str = "A", criteria=("A1",),
              facts: dict | None = None, paired: bool = True, **kw) -> Household:
    """A household registered at `created`, with a head whose facts suggest A by default."""
    with time_machine.travel(created, tick=False):
        hh = HouseholdFactory(code=code, tier=tier, criteria=list(criteria), **kw)
    PersonFactory(household=hh, **(A_FACTS if facts is None else facts))
    if paired:
        PairingFactory(household=hh)
    return hh


def codes(rows) -> list[str]:
    return sorted(r.code for r in rows)


@pytest.fixture
def officer():
    return county_officer(real_name="雷山县民政局 吴科长")


@pytest.fixture
def review(officer):
    return actions.quarterly_review_start(actor=officer, county=Area.objects.get(code=COUNTY), today=TODAY)


def lists_for(user, review):
    with time_machine.travel(at(2026, 5, 15, 10), tick=False):
        return queries.review_lists(user, QuarterlyReview.objects.select_related("county").get(pk=review.pk), TODAY)


def test_quarters_run_from_the_first_of_january_april_july_and_october():
    assert rules.quarter_of(date(2026, 3, 31)) == (2026, 1)
    assert rules.quarter_of(date(2026, 4, 1)) == (2026, 2)
    assert rules.quarter_bounds(2026, 2) == (date(2026, 4, 1), date(2026, 6, 30))
    assert rules.quarter_bounds(2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))
    with pytest.raises(ValueError):
        rules.quarter_bounds(2026, 5)


def test_households_entered_during_the_quarter_are_listed_by_their_local_registration_date(officer, review):
    household("IN-APRIL", created=at(2026, 4, 1, 0, 10))  # March 31st 16:10 UTC: April in Shanghai
    household("IN-JUNE", created=at(2026, 6, 30, 23, 50))
    household("BEFORE", created=at(2026, 3, 31, 23, 50))
    household("AFTER", created=at(2026, 7, 1, 0, 5))
    household("ELSEWHERE", created=at(2026, 4, 20, 9), village=Area.objects.filter(parent__parent_id=OTHER_COUNTY).first())

    assert codes(lists_for(officer, review).entered) == ["IN-APRIL", "IN-JUNE"]


def test_households_exited_during_the_quarter_are_listed_with_their_reasons(officer, review):
    household("LEFT-APRIL", status="exited", exited_on=date(2026, 4, 3), exit_reason="家庭收入改善")
    household("LEFT-MARCH", status="exited", exited_on=date(2026, 3, 30), exit_reason="迁出本县")
    household("STILL-HERE")

    exited = lists_for(officer, review).exited
    assert [(h.code, h.exit_reason) for h in exited] == [("LEFT-APRIL", "家庭收入改善")]


def test_tier_changes_of_the_quarter_show_from_to_reason_and_who(officer, review):
    hh = household("CHANGED", tier="B", criteria=("B4",))
    other = household("OLD-CHANGE", tier="C", criteria=("C2",))
    Classification.objects.create(household=hh, from_tier="C", tier="B", criteria=["B4"], reason="监护照料困难",
                                  effective_on=date(2026, 4, 10), decided_by=officer)
    Classification.objects.create(household=hh, from_tier="B", tier="B", criteria=["B4"], reason="复核不变",
                                  effective_on=date(2026, 5, 2), decided_by=officer)
    Classification.objects.create(household=other, from_tier="B", tier="C", criteria=["C2"], reason="好转",
                                  effective_on=date(2026, 3, 31), decided_by=officer)

    changes = lists_for(officer, review).tier_changes
    assert [(c.household.code, c.from_tier, c.tier, c.reason, c.decided_by.real_name) for c in changes] == [
        ("CHANGED", "C", "B", "监护照料困难", "雷山县民政局 吴科长")
    ]


def test_a_household_whose_tier_differs_from_todays_suggestion_is_listed_until_it_is_confirmed(officer, review):
    hh = household("SUGGESTS-A", tier="C", criteria=("C1",))
    household("MATCHES", tier="A", criteria=("A1",))
    household("UNCLASSIFIED", tier="", criteria=())
    household("GONE", tier="C", criteria=("C1",), status="exited", exited_on=date(2026, 4, 2), exit_reason="死亡")

    mismatched = lists_for(officer, review).mismatched
    assert codes(mismatched) == ["SUGGESTS-A"]
    assert mismatched[0].suggestion.tier == "A" and mismatched[0].head_id_masked.count("*") == 8

    with time_machine.travel(at(2026, 5, 15, 10), tick=False):
        actions.classification_confirm(actor=officer, household=hh, tier="A", criteria=["A1"], reason="", today=TODAY)
    assert lists_for(officer, review).mismatched == []


def test_a_deliberate_override_this_quarter_is_not_listed_again_but_one_from_last_quarter_is(officer, review):
    kept_now = household("KEPT-NOW", tier="C", criteria=("C1",))
    kept_before = household("KEPT-BEFORE", tier="C", criteria=("C1",))
    for hh, on in ((kept_now, date(2026, 4, 12)), (kept_before, date(2026, 2, 12))):
        Classification.objects.create(household=hh, suggested_tier="A", suggested_criteria=["A1"], from_tier="C",
                                      tier="C", criteria=["C1"], reason="家属已接回照料", effective_on=on,
                                      decided_by=officer)

    assert codes(lists_for(officer, review).mismatched) == ["KEPT-BEFORE"]


def test_active_households_never_classified_or_without_a_cadre_are_listed(officer, review):
    household("NO-TIER", tier="", criteria=())
    household("NO-CADRE", paired=False)
    household("FINE")
    household("EXITED-UNPAIRED", paired=False, status="exited", exited_on=date(2026, 1, 5), exit_reason="迁出")

    gaps = lists_for(officer, review).gaps
    assert [(h.code, h.tier, h.unpaired) for h in sorted(gaps, key=lambda h: h.code)] == [
        ("NO-CADRE", "A", True), ("NO-TIER", "", False)
    ]


# --- scope and roles ----------------------------------------------------------------------------


def test_the_review_is_seen_by_its_county_and_the_prefecture_but_is_not_found_for_another_county(client, review):
    household("SUGGESTS-A", tier="C", criteria=("C1",))
    url = reverse("beneficiaries:review_detail", args=[review.pk])
    prefecture = user_with_role(Role.PREFECTURE, "522600000000")
    other_county = user_with_role(Role.COUNTY, OTHER_COUNTY)

    for user in (review.started_by, prefecture):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert 'data-testid="mismatched-row"' in response.content.decode()
    client.force_login(other_county)
    assert client.get(url).status_code == 404
    assert client.get(reverse("beneficiaries:review_export", args=[review.pk])).status_code == 404
    assert client.post(reverse("beneficiaries:review_complete", args=[review.pk]), {"summary": "x"}).status_code == 404
    assert QuarterlyReview.objects.get(pk=review.pk).completed_at is None


def test_a_township_official_may_not_open_reviews(client, review):
    client.force_login(township_official())
    assert client.get(reverse("beneficiaries:review_list")).status_code == 403
    # The county's review lies above the township's area: out of scope, so not found (scope before role).
    assert client.get(reverse("beneficiaries:review_detail", args=[review.pk])).status_code == 404


def test_the_list_offers_the_prefecture_every_county_and_starting_twice_opens_the_same_review(client, officer):
    client.force_login(user_with_role(Role.PREFECTURE, "522600000000"))
    with time_machine.travel(at(2026, 5, 15, 10), tick=False):
        body = client.get(reverse("beneficiaries:review_list")).content.decode()
        assert body.count('data-testid="review-county"') == Area.objects.filter(level="county").count() == 16
        first = client.post(reverse("beneficiaries:review_start"), {"county": COUNTY})
        again = client.post(reverse("beneficiaries:review_start"), {"county": COUNTY})
    review = QuarterlyReview.objects.get()
    assert (review.year, review.quarter, review.county_id) == (2026, 2, COUNTY)
    assert first.url == again.url == reverse("beneficiaries:review_detail", args=[review.pk])
    assert AuditEvent.objects.filter(action="create", object_type="beneficiaries.quarterlyreview").count() == 1
    client.force_login(officer)
    assert client.post(reverse("beneficiaries:review_start"), {"county": OTHER_COUNTY}).status_code == 404


def test_the_database_holds_one_review_per_county_and_quarter(officer, review):
    with pytest.raises(IntegrityError), transaction.atomic():
        QuarterlyReview.objects.create(county_id=COUNTY, year=review.year, quarter=review.quarter, started_by=officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuarterlyReview.objects.create(county_id=COUNTY, year=2026, quarter=5, started_by=officer)


# --- completion ---------------------------------------------------------------------------------


def test_completing_a_review_records_who_when_and_the_summary_once_and_is_audited(client, officer, review):
    household("LEFT", status="exited", exited_on=date(2026, 4, 3), exit_reason="家庭收入改善")
    url = reverse("beneficiaries:review_complete", args=[review.pk])
    client.force_login(officer)
    with time_machine.travel(at(2026, 6, 28, 16), tick=False):
        assert client.post(url, {"summary": ""}).status_code == 200  # no summary: refused, nothing recorded
        assert QuarterlyReview.objects.get(pk=review.pk).completed_at is None
        response = client.post(url, {"summary": "本季度退出1户。"})
    assert response.status_code == 302
    done = QuarterlyReview.objects.get(pk=review.pk)
    assert (done.completed_by, done.completed_at, done.summary) == (officer, at(2026, 6, 28, 16), "本季度退出1户。")
    event = AuditEvent.objects.get(action="change", object_type="beneficiaries.quarterlyreview")
    assert event.actor == officer and event.details["counts"]["exited"] == 1

    colleague = user_with_role(Role.PREFECTURE, "522600000000")
    client.force_login(colleague)
    page = client.post(url, {"summary": "再次完成"}, follow=True).content.decode()
    assert "此操作已完成" in page  # the page of what was done, not an error
    assert "2026年第2季度动态调整已于2026-06-28 16:00由雷山县民政局 吴科长完成。" in page
    assert QuarterlyReview.objects.get(pk=review.pk).summary == "本季度退出1户。"
    assert AuditEvent.objects.filter(action="change", object_type="beneficiaries.quarterlyreview").count() == 1


def test_only_county_and_prefecture_roles_may_complete_a_review(review):
    with pytest.raises(ValidationError, match="只有县"):
        actions.quarterly_review_complete(actor=township_official(), review=review, summary="完成")
    with pytest.raises(ValidationError, match="不在您负责的区域内"):
        actions.quarterly_review_complete(actor=user_with_role(Role.COUNTY, OTHER_COUNTY), review=review, summary="完成")
    assert QuarterlyReview.objects.get(pk=review.pk).completed_at is None


# --- page views and export ----------------------------------------------------------------------


def test_opening_the_review_is_audited_and_shows_no_full_id_number(client, officer, review):
    hh = household("SUGGESTS-A", tier="C", criteria=("C1",))
    number = hh.members.get().id_number
    client.force_login(officer)
    body = client.get(reverse("beneficiaries:review_detail", args=[review.pk])).content.decode()
    assert number not in body and number[:6] in body
    assert AuditEvent.objects.filter(action="view", object_type="beneficiaries.quarterlyreview",
                                     object_id=str(review.pk)).count() == 1


def test_the_export_holds_the_five_lists_with_masked_id_numbers_and_is_audited(client, officer, review):
    hh = household("SUGGESTS-A", tier="C", criteria=("C1",), created=at(2026, 4, 20, 9))
    household("LEFT", status="exited", exited_on=date(2026, 4, 3), exit_reason="家庭收入改善")
    client.force_login(officer)
    with time_machine.travel(at(2026, 5, 15, 10), tick=False):
        response = client.get(reverse("beneficiaries:review_export", args=[review.pk]))
    content = b"".join(response.streaming_content) if response.streaming else response.content
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert wb.sheetnames == ["与系统建议不一致", "本季度新进入", "本季度退出", "本季度类别调整", "待认定或未结对"]
    mismatch = list(wb["与系统建议不一致"].values)
    assert mismatch[0] == ("户编号", "所在乡镇", "所在村(居)", "户主", "身份证号", "当前类别", "系统建议类别", "系统建议标准")
    assert mismatch[1][0] == "SUGGESTS-A" and mismatch[1][5:] == ("C", "A", "A1")
    assert list(wb["本季度退出"].values)[1][-1] == "家庭收入改善"
    full = hh.members.get().id_number
    assert all(full not in str(cell) for ws in wb for row in ws.values for cell in row)
    assert mismatch[1][4].count("*") == 8
    event = AuditEvent.objects.get(action="export", object_type="beneficiaries.quarterlyreview")
    assert event.details["report"] == "季度动态调整清单" and event.details["counts"]["entered"] == 1


def test_the_review_page_needs_as_many_queries_for_many_households_as_for_few(client, officer, review):
    def make(n, start):
        for i in range(n):
            household(f"M{start + i:03d}", tier="C", criteria=("C1",), created=at(2026, 4, 20, 9))
            household(f"X{start + i:03d}", status="exited", exited_on=date(2026, 4, 3), exit_reason="迁出",
                      created=at(2026, 4, 20, 9))
            household(f"G{start + i:03d}", tier="", criteria=(), paired=False)
            Classification.objects.create(household=Household.objects.get(code=f"M{start + i:03d}"), from_tier="B",
                                          tier="C", criteria=["C1"], reason="好转", effective_on=date(2026, 4, 21),
                                          decided_by=officer)

    url = reverse("beneficiaries:review_detail", args=[review.pk])
    client.force_login(officer)
    make(2, 0)
    with time_machine.travel(at(2026, 5, 15, 10), tick=False):
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        make(10, 2)
        with CaptureQueriesContext(connection) as many:
            body = client.get(url).content.decode()
    assert body.count('data-testid="mismatched-row"') == 12
    assert body.count('data-testid="tier-change-row"') == 12
    assert body.count('data-testid="exited-row"') == 12
    assert body.count('data-testid="gap-row"') == 12
    assert len(many) == len(few)


def test_a_judgement_decision_without_a_suggestion_is_not_counted_as_disagreeing_but_a_lapsed_fact_is(
        client, officer, review):
    """The count 与建议不一致 matches its rows: a household decided on a judgement criterion (C2)
    whose facts meet nothing has no suggestion to disagree with; one decided on A1 whose facts no
    longer meet it is listed, and the row says which criterion lapsed."""
    no_facts = {"benefit_status": "none", "self_care": "full"}
    household("JUDGED-C2", tier="C", criteria=("C2",), facts=no_facts)
    household("LAPSED-A1", tier="A", criteria=("A1",), facts=no_facts)
    mismatched = lists_for(officer, review).mismatched
    assert codes(mismatched) == ["LAPSED-A1"] and mismatched[0].unmet == ["A1"]
    client.force_login(officer)
    with time_machine.travel(at(2026, 5, 15, 10), tick=False):
        body = client.get(reverse("beneficiaries:review_detail", args=[review.pk])).content.decode()
    assert body.count('data-testid="mismatched-row"') == 1 and 'data-testid="count-mismatched">1<' in body
    assert "成员情况已不满足A1" in body and "无建议类别" not in body
