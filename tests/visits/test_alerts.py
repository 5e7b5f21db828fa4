"""The daily overdue job: idempotent, safe concurrently, closed by a counted visit, escalated."""

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import Notification
from beneficiaries.models import Household
from visits import actions
from visits.actions import FindingInput, overdue_alerts, visit_record
from visits.models import Escalation, OverdueAlert, ShortfallAlert

from .factories import VisitFactory, visit_input

pytestmark = pytest.mark.django_db
D = dt.date


def refresh(household, today):
    actions.schedule_refresh(households=Household.objects.filter(pk=household.pk), today=today)
    household.refresh_from_db()


def test_overdue_household_gets_one_alert_and_its_cadre_one_notification(paired):
    household, cadre = paired
    VisitFactory(household=household, visited_on=D(2026, 6, 1))
    refresh(household, D(2026, 6, 12))
    assert household.next_due_on == D(2026, 6, 11)
    run = overdue_alerts(today=D(2026, 6, 12))
    assert run.opened == 1
    alert = OverdueAlert.objects.get()
    assert (alert.household, alert.due_on, alert.closed_on) == (household, D(2026, 6, 11), None)
    assert Notification.objects.filter(recipient=cadre).count() == 1


def test_running_the_job_twice_gives_the_same_rows(paired, township_user):
    household, _ = paired
    VisitFactory(household=household, visited_on=D(2026, 6, 1))
    refresh(household, D(2026, 6, 20))
    overdue_alerts(today=D(2026, 6, 20))
    before = (OverdueAlert.objects.count(), Escalation.objects.count(), Notification.objects.count())
    second = overdue_alerts(today=D(2026, 6, 20))
    assert (second.opened, second.escalated_township, second.closed) == (0, 0, 0)
    assert (OverdueAlert.objects.count(), Escalation.objects.count(), Notification.objects.count()) == before
    assert before == (1, 1, 2)


def test_on_time_household_gets_no_alert(paired):
    household, _ = paired
    VisitFactory(household=household, visited_on=D(2026, 6, 1))
    refresh(household, D(2026, 6, 11))
    assert overdue_alerts(today=D(2026, 6, 11)).opened == 0  # due today, not yet overdue


def test_counted_visit_closes_the_alert_and_its_escalation(paired, township_user):
    household, cadre = paired
    VisitFactory(household=household, visited_on=D(2026, 6, 1))
    refresh(household, D(2026, 6, 20))
    overdue_alerts(today=D(2026, 6, 20))
    visit = visit_record(actor=cadre, household=household, data=visit_input(visited_on=D(2026, 6, 20)),
                         today=D(2026, 6, 20))
    alert = OverdueAlert.objects.get()
    assert (alert.closed_on, alert.closed_by_visit) == (D(2026, 6, 20), visit)
    assert not Escalation.objects.filter(closed_on__isnull=True).exists()
    household.refresh_from_db()
    assert household.next_due_on == D(2026, 6, 30)


def test_phone_visit_outside_a_special_period_does_not_close_the_alert(paired):
    household, cadre = paired
    VisitFactory(household=household, visited_on=D(2026, 6, 1))
    refresh(household, D(2026, 6, 13))
    overdue_alerts(today=D(2026, 6, 13))
    visit = visit_record(actor=cadre, household=household, data=visit_input(visited_on=D(2026, 6, 13), mode="phone"),
                         today=D(2026, 6, 13))
    assert not visit.counted
    assert OverdueAlert.objects.get().closed_on is None


def test_escalation_to_township_on_day_7_and_county_on_day_30(paired, township_user, county_user):
    household, _ = paired
    VisitFactory(household=household, visited_on=D(2026, 6, 1))  # due 06-11
    refresh(household, D(2026, 6, 12))
    overdue_alerts(today=D(2026, 6, 17))  # 6 days overdue
    assert not Escalation.objects.exists()
    overdue_alerts(today=D(2026, 6, 18))  # day 7
    esc = Escalation.objects.get()
    assert (esc.level, esc.area_id, esc.kind) == ("township", "522634101000", "overdue")
    assert Notification.objects.filter(recipient=township_user).count() == 1
    overdue_alerts(today=D(2026, 7, 10))  # day 29
    assert Escalation.objects.count() == 1
    overdue_alerts(today=D(2026, 7, 11))  # day 30
    county = Escalation.objects.get(level="county")
    assert county.area_id == "522634000000"
    assert Notification.objects.filter(recipient=county_user).count() == 1


def test_pause_moves_the_due_date_and_closes_the_stale_alert(paired, township_user):
    household, cadre = paired
    VisitFactory(household=household, visited_on=D(2026, 6, 1))
    refresh(household, D(2026, 6, 12))
    overdue_alerts(today=D(2026, 6, 12))
    actions.pause_record(actor=township_user, household=household, kind="hospital", starts_on=D(2026, 6, 5),
                         ends_on=D(2026, 6, 14), reason="住院", today=D(2026, 6, 13))
    household.refresh_from_db()
    assert household.next_due_on == D(2026, 6, 21)
    run = overdue_alerts(today=D(2026, 6, 13))
    assert run.closed == 1 and run.opened == 0


def test_shortfall_alerts_on_the_first_for_the_month_before(paired):
    household, _ = paired
    VisitFactory(household=household, visited_on=D(2026, 6, 2))
    VisitFactory(household=household, visited_on=D(2026, 6, 12))
    VisitFactory(household=household, visited_on=D(2026, 6, 12))  # same day: counts once
    refresh(household, D(2026, 7, 1))
    run = overdue_alerts(today=D(2026, 7, 1))
    assert run.shortfalls == 1
    alert = ShortfallAlert.objects.get()
    assert (alert.month, alert.counted, alert.minimum) == (D(2026, 6, 1), 2, 3)
    assert overdue_alerts(today=D(2026, 7, 1)).shortfalls == 0
    # the message names the head and the village
    assert Notification.objects.filter(key__startswith="shortfall:", title__startswith="王阿婆 · ").exists()


def test_command_runs_the_job_for_a_date(paired, capsys):
    household, _ = paired
    VisitFactory(household=household, visited_on=D(2026, 6, 1))
    refresh(household, D(2026, 6, 12))
    call_command("overdue_alerts", "--date", "2026-06-12")
    assert "新增预警 1" in capsys.readouterr().out
    assert OverdueAlert.objects.count() == 1


def test_celery_task_is_a_thin_wrapper(paired):
    from visits.tasks import overdue_alerts_daily

    household, _ = paired
    VisitFactory(household=household, visited_on=D(2026, 6, 1))
    refresh(household, D(2026, 6, 12))
    assert overdue_alerts_daily.delay("2026-06-12").get()["opened"] == 1


def test_special_situation_escalates_to_township_at_once(paired, township_user):
    household, cadre = paired
    visit_record(actor=cadre, household=household, data=visit_input(visited_on=D(2026, 6, 5)),
                 findings=[FindingInput(kind="special", description="独居老人摔伤无人照料")], today=D(2026, 6, 5))
    esc = Escalation.objects.get()
    assert (esc.kind, esc.level, esc.area_id, esc.closed_on) == ("special", "township", "522634101000", None)
    assert Notification.objects.filter(recipient=township_user).exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_create_no_duplicates(paired, township_user):
    household, _ = paired
    others = []
    from tests.factories import HouseholdFactory, PairingFactory

    for _ in range(20):
        h = HouseholdFactory(tier="B", tier_since=D(2026, 1, 1))
        PairingFactory(household=h, cadre=household.pairings.get().cadre, started_on=D(2026, 3, 1))
        others.append(h)
    actions.schedule_refresh(households=Household.objects.all(), today=D(2026, 6, 20))
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            overdue_alerts(today=D(2026, 6, 20))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert OverdueAlert.objects.count() == 21
    # All are 30+ days overdue: once to the township and once to the county each.
    assert Escalation.objects.filter(level="township").count() == 21
    assert Escalation.objects.filter(level="county").count() == 21
    keys = list(Notification.objects.values_list("recipient_id", "key"))
    assert len(keys) == len(set(keys)) == 42


def test_the_job_sql_takes_tables_from_meta_and_enum_values_as_parameters():
    from beneficiaries.models import HouseholdStatus
    from visits.models import EscalationKind, OverdueAlert, VisitMode

    statements = (actions._CLOSE_STALE, actions._OPEN_ALERTS, actions._ESCALATE)
    for sql in statements:
        for value in (HouseholdStatus.ACTIVE, EscalationKind.OVERDUE, VisitMode.IN_PERSON):
            assert f"'{value}'" not in sql
    assert all(OverdueAlert._meta.db_table in sql for sql in statements)
    assert actions._job_params(dt.date(2026, 6, 20))["active"] == HouseholdStatus.ACTIVE


def test_the_overdue_message_and_escalation_name_the_head_and_the_village(paired, township_user):
    household, cadre = paired
    VisitFactory(household=household, visited_on=D(2026, 6, 1))
    refresh(household, D(2026, 6, 12))
    overdue_alerts(today=D(2026, 6, 18))
    village = household.village.short_name
    title = Notification.objects.get(recipient=cadre).title
    assert title == f"逾期未走访：王阿婆 · {village} · {household.code}，应访日期 2026-06-11"
    assert Escalation.objects.get().summary.startswith(f"王阿婆 · {village} · {household.code} 逾期7天以上")


def test_the_desk_probe_finds_a_special_report_wherever_the_desk_would_list_it(paired, township_user, county_user):
    """The desk builds its special-report list only when visits.desk_queries.lists_with_rows finds
    one (issue 25): a superset of the scope — the household's township and county see it, the
    paired cadre too; another township does not; a visit conflict is found anywhere."""
    from accounts.models import Role
    from tests.conftest import OTHER_TOWNSHIP
    from tests.factories import user_with_role
    from visits.desk_queries import lists_with_rows
    from visits.desk_views import open_escalations
    from visits.models import Visit

    household, cadre = paired
    other = user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP, username="danjiang_probe")
    day = D(2026, 6, 5)
    assert lists_with_rows(township_user, day) == set()
    visit_record(actor=cadre, household=household, data=visit_input(visited_on=day),
                 findings=[FindingInput(kind="special", description="独居老人摔伤无人照料")], today=day)
    for user in (township_user, county_user, cadre):
        assert lists_with_rows(user, day) == {"escalations"}
    assert [e.household_id for e in open_escalations(township_user)] == [household.pk]
    assert lists_with_rows(other, day) == set() and open_escalations(other) == []
    Visit.objects.filter(household=household).update(conflict="exited")
    assert lists_with_rows(other, day) == {"conflicts"}
