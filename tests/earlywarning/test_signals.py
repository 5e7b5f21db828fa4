"""Each signal rule (in the app that owns its facts), and each warning level."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from custody.models import DutyEvaluation
from earlywarning import actions, rules
from earlywarning.models import CareWarning, Signal, WarningPolicy
from services.models import Referral
from tests.visits.factories import VisitFactory
from visits.models import Finding

pytestmark = pytest.mark.django_db
D = dt.date


def run(day):
    actions.signals_refresh(since=day - dt.timedelta(days=30), today=day)
    return {s.kind: s for s in Signal.objects.all()}


def words(kind):
    return sorted(Signal.objects.filter(kind=kind).values_list("words", flat=True))


def test_health_one_step_worse_than_the_previous_visit_is_a_signal_in_words(paired):
    household, _ = paired
    VisitFactory(household=household, visited_on=D(2026, 11, 1), health="fair")
    VisitFactory(household=household, visited_on=D(2026, 11, 10), health="not_asked")  # not an answer: skipped
    VisitFactory(household=household, visited_on=D(2026, 11, 20), health="poor")
    signals = run(D(2026, 11, 21))
    assert words("health_worse") == ["健康：一般→较差（11月20日走访）"]
    assert signals["health_worse"].observed_on == D(2026, 11, 20) and signals["health_worse"].source == "走访记录"


def test_a_better_or_equal_answer_is_no_signal(paired):
    household, _ = paired
    VisitFactory(household=household, visited_on=D(2026, 11, 1), health="poor", food="difficult")
    VisitFactory(household=household, visited_on=D(2026, 11, 20), health="fair", food="difficult")
    assert run(D(2026, 11, 21)) == {}


def test_living_and_safety_items_worse_are_one_signal_per_item(paired):
    household, _ = paired
    VisitFactory(household=household, visited_on=D(2026, 11, 1), food="ok", medical="ok", water_safety="safe")
    VisitFactory(household=household, visited_on=D(2026, 11, 20), food="difficult", medical="difficult",
                 water_safety="hazard")
    run(D(2026, 11, 21))
    assert words("living_worse") == ["医：正常→有困难（11月20日走访）", "食：正常→有困难（11月20日走访）"]
    assert words("safety_worse") == ["用水安全：安全→有隐患（11月20日走访）"]


def test_a_rerun_stores_each_signal_once_and_a_later_visit_is_not_seen_on_an_earlier_day(paired):
    household, _ = paired
    VisitFactory(household=household, visited_on=D(2026, 11, 1), health="good")
    VisitFactory(household=household, visited_on=D(2026, 11, 20), health="poor")
    assert actions.signals_refresh(since=D(2026, 11, 1), today=D(2026, 11, 19)) == 0
    assert actions.signals_refresh(since=D(2026, 11, 1), today=D(2026, 11, 21)) == 1
    assert actions.signals_refresh(since=D(2026, 11, 1), today=D(2026, 11, 21)) == 0


def test_a_hazard_open_past_its_deadline_is_a_signal(paired):
    household, user = paired
    Finding.objects.create(household=household, kind="hazard", description="用电：电线老化", owner=user,
                           due_on=D(2026, 11, 10), created_by=user)
    Finding.objects.create(household=household, kind="hazard", description="用水：已修好", owner=user,
                           due_on=D(2026, 11, 10), created_by=user, status="closed", closing_note="修好",
                           closed_on=D(2026, 11, 9))
    run(D(2026, 11, 12))
    assert words("hazard_open") == ["隐患未排除：用电：电线老化（期限11月10日）"]


def test_no_counted_visit_for_twice_the_interval_is_a_signal(paired):
    household, _ = paired
    type(household).objects.filter(pk=household.pk).update(next_due_on=D(2026, 11, 1))  # tier A: every 10 days
    assert run(D(2026, 11, 10)) == {}
    signals = run(D(2026, 11, 11))
    assert signals["visit_gap"].observed_on == D(2026, 11, 11)
    assert "超过两个走访周期" in signals["visit_gap"].words


def test_a_referral_past_its_deadline_is_a_signal(paired):
    from services.models import Field

    household, user = paired
    field = Field.objects.select_related("route_to").get(code="medical-aid")
    submitted = timezone.make_aware(dt.datetime(2026, 11, 2, 9))
    Referral.objects.create(household=household, field=field, department=field.route_to, problem="需要慢病送药",
                            submitted_at=submitted, due_at=submitted + dt.timedelta(days=7), created_by=user)
    assert "referral_late" not in run(D(2026, 11, 9))
    assert run(D(2026, 11, 10))["referral_late"].observed_on == D(2026, 11, 10)
    assert words("referral_late") == ["转介超期：需要慢病送药（期限11月9日）"]


def test_a_caregiver_rated_unfit_is_a_signal(village_code):
    from custody import actions as custody_actions
    from tests.custody.factories import TODAY, committee_user, open_account

    user = committee_user(village_code)
    account = open_account(village_code, user)
    custody_actions.evaluation_record(account=account, role="caregiver", level="village", result="fail",
                                      notes="多次未按时送餐", actor=user, today=TODAY)
    signals = run(TODAY)
    assert signals["poor_evaluation"].household_id == account.person.household_id
    assert words("poor_evaluation") == [f"照料护理人履职评估：不称职（{TODAY.month}月{TODAY.day}日）"]
    assert DutyEvaluation.objects.count() == 1


# --- levels -----------------------------------------------------------------------------------


def signal(household, kind, day, n=0):
    return Signal.objects.create(household=household, kind=kind, observed_on=day, words=f"{kind}{n}", source="测试",
                                 key=f"t:{kind}:{household.pk}:{day}:{n}")


@time_machine.travel(dt.datetime(2026, 11, 21, 9, tzinfo=rules.SHANGHAI), tick=False)
def test_one_living_item_worse_is_attention_with_no_deadline(paired):
    household, _ = paired
    signal(household, "living_worse", D(2026, 11, 20))
    actions.warnings_refresh(today=D(2026, 11, 21))
    warning = CareWarning.objects.get()
    assert (warning.level, warning.score, warning.verify_by) == ("attention", 25, None)


@time_machine.travel(dt.datetime(2026, 11, 20, 9, tzinfo=rules.SHANGHAI), tick=False)
def test_health_and_living_worse_together_are_a_warning_due_in_three_working_days(paired):
    household, _ = paired
    signal(household, "health_worse", D(2026, 11, 20))
    signal(household, "living_worse", D(2026, 11, 20))
    signal(household, "living_worse", D(2026, 11, 20), n=1)  # a kind counts once
    actions.warnings_refresh(today=D(2026, 11, 20))
    warning = CareWarning.objects.get()
    assert (warning.level, warning.score) == ("warning", 65)
    # Friday 20 Nov 2026 → Mon 23, Tue 24, Wed 25: the end of Wednesday.
    assert warning.verify_by.astimezone(rules.SHANGHAI).date() == D(2026, 11, 25)
    assert warning.signals.count() == 3


@time_machine.travel(dt.datetime(2026, 11, 20, 9, tzinfo=rules.SHANGHAI), tick=False)
def test_a_help_request_alone_is_urgent_due_in_24_hours(paired):
    household, _ = paired
    signal(household, "help_request", D(2026, 11, 20))
    actions.warnings_refresh(today=D(2026, 11, 20))
    warning = CareWarning.objects.get()
    assert warning.level == "urgent" and warning.verify_by == timezone.now() + dt.timedelta(hours=24)


def test_signals_older_than_the_window_do_not_count(paired):
    household, _ = paired
    signal(household, "health_worse", D(2026, 10, 1))
    signal(household, "living_worse", D(2026, 11, 20))
    assert actions.levels_on(D(2026, 11, 21)) == {household.pk: (25, "attention")}


def test_an_open_warning_is_heightened_never_duplicated(paired):
    household, _ = paired
    signal(household, "living_worse", D(2026, 11, 18))
    actions.warnings_refresh(today=D(2026, 11, 18))
    signal(household, "health_worse", D(2026, 11, 20))
    result = actions.warnings_refresh(today=D(2026, 11, 20))
    assert (result.raised, result.heightened) == (0, 1)
    warning = CareWarning.objects.get()
    assert warning.level == "warning" and warning.verify_by is not None


def test_a_county_sets_its_own_weights_and_thresholds(paired, county_user):
    household, _ = paired
    signal(household, "living_worse", D(2026, 11, 20))
    WarningPolicy.objects.create(county_id="522634000000", weights={"living_worse": 70}, attention_at=20,
                                 warning_at=60, urgent_at=100, window_days=30, effective_on=D(2026, 11, 1),
                                 reason="试点", set_by=county_user)
    assert actions.levels_on(D(2026, 11, 21)) == {household.pk: (70, "warning")}
    assert actions.levels_on(D(2026, 10, 31)) == {}  # before it took effect and before the signal


def test_signals_a_verified_warning_answered_do_not_raise_it_again(paired, township_user):
    household, _ = paired
    signal(household, "help_request", D(2026, 11, 20))
    actions.warnings_refresh(today=D(2026, 11, 20))
    actions.warning_verify(actor=township_user, warning=CareWarning.objects.get(), outcome="no_help",
                           reason="邻居误按，老人安好")
    assert actions.warnings_refresh(today=D(2026, 11, 21)).raised == 0


def test_health_turned_critical_is_its_own_heavier_kind(paired):
    household, _ = paired
    VisitFactory(household=household, visited_on=D(2026, 11, 1), health="good")
    VisitFactory(household=household, visited_on=D(2026, 11, 20), health="critical")
    signals = run(D(2026, 11, 21))
    assert list(signals) == ["health_critical"] and signals["health_critical"].words == "健康：良好→病重（11月20日走访）"
    assert actions.levels_on(D(2026, 11, 21)) == {household.pk: (60, "warning")}


def test_recording_a_worse_visit_raises_the_warning_at_once(paired):
    from tests.visits.factories import visit_input
    from visits.actions import visit_record

    household, cadre = paired
    with time_machine.travel(dt.datetime(2026, 11, 10, 9, tzinfo=rules.SHANGHAI), tick=False):
        visit_record(actor=cadre, household=household, data=visit_input(visited_on=D(2026, 11, 10)),
                     today=D(2026, 11, 10))
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, tzinfo=rules.SHANGHAI), tick=False):
        visit_record(actor=cadre, household=household,
                     data=visit_input(visited_on=D(2026, 11, 20), checklist={"health": "poor", "food": "difficult"}),
                     today=D(2026, 11, 20))
    warning = CareWarning.objects.get()
    assert warning.level == "warning" and warning.raised_on == D(2026, 11, 20)
    assert sorted(warning.signals.values_list("words", flat=True)) == [
        "健康：良好→较差（11月20日走访）", "食：正常→有困难（11月20日走访）"]


def test_a_need_repeated_with_no_referral_between_is_a_signal(paired):
    from services.models import Field

    household, user = paired
    VisitFactory(household=household, visited_on=D(2026, 11, 1), needs=["rehab", "emotional"])
    VisitFactory(household=household, visited_on=D(2026, 11, 12), needs=["rehab"])
    run(D(2026, 11, 13))
    assert words("need_repeated") == ["服务需求反复：康复护理（11月1日、11月12日走访，未转介）"]
    # A referral between the visits answers the need: no signal for the next repeat.
    field = Field.objects.select_related("route_to").get(code="medical-aid")
    submitted = timezone.make_aware(dt.datetime(2026, 11, 15, 9))
    Referral.objects.create(household=household, field=field, department=field.route_to, problem="康复",
                            submitted_at=submitted, due_at=submitted + dt.timedelta(days=7), created_by=user)
    VisitFactory(household=household, visited_on=D(2026, 11, 22), needs=["rehab"])
    run(D(2026, 11, 23))
    assert len(words("need_repeated")) == 1
