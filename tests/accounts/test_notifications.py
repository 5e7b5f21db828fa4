"""The one notifier: in-app once per event, external channels through real HTTP (a fake gateway
served on localhost in the test), at most once each, nothing personal in a log line; the inbox
moved from visits with its rows; the daily digest; the finding raiser hears the outcome."""

import datetime as dt
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse

from accounts import notifications
from accounts.models import Notification
from accounts.notifications import SMS, Message, notify, notify_many
from beneficiaries.models import Household
from services import actions as service_actions
from services.models import ReferralStatus
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, UserFactory, cadre_user
from tests.services.factories import at, liaison, make_referral, paired_household
from tests.visits.factories import visit_input
from visits.actions import FindingInput, daily_digest, visit_record
from visits.tasks import daily_digest as daily_digest_task

PHONE = "13912345678"
ID_NUMBER = "522634195001011234"


class Gateway:
    """A real HTTP server on localhost standing in for the SMS gateway / WeCom robot."""

    def __init__(self, answer: dict, status: int = 200):
        self.requests: list[dict] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append({"path": self.path, "headers": dict(self.headers),
                                         "json": json.loads(body.decode("utf-8"))})
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sms_gateway(settings):
    gateway = Gateway({"code": 0, "msg": "ok"})
    settings.NOTIFY_SMS_URL, settings.NOTIFY_SMS_KEY, settings.NOTIFY_SMS_SIGN = gateway.url, "k-123", "黔东南民政"
    yield gateway
    gateway.close()


@pytest.fixture
def wecom_robot(settings):
    gateway = Gateway({"errcode": 0, "errmsg": "ok"})
    settings.NOTIFY_WECOM_WEBHOOK = gateway.url + "?key=robot"
    yield gateway
    gateway.close()


@pytest.mark.django_db
def test_the_same_event_notifies_a_person_once(django_capture_on_commit_callbacks):
    user = UserFactory()
    first = notify([user, user.pk], key="e:1", title="一条消息")
    second = notify([user], key="e:1", title="一条消息（重复）")
    assert len(first) == 1 and second == []
    assert list(Notification.objects.values_list("title", flat=True)) == ["一条消息"]
    assert notifications.unread_count(user) == 1


@pytest.mark.django_db
def test_sms_goes_through_the_gateway_once_and_logs_nothing_personal(sms_gateway, django_capture_on_commit_callbacks,
                                                                     caplog):
    caplog.set_level(logging.DEBUG)
    user = UserFactory(phone=PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        [nid] = notify([user], key="e:2", title="您有一户逾期未走访", channels=(SMS,))
    assert len(sms_gateway.requests) == 1
    sent = sms_gateway.requests[0]
    assert sent["json"] == {"phone": PHONE, "sign": "黔东南民政", "content": "【黔东南民政】您有一户逾期未走访"}
    assert sent["headers"]["Authorization"] == "Bearer k-123"
    assert Notification.objects.get(pk=nid).delivered == ["sms"]
    assert notifications.deliver([nid]) == {"sent": 0, "failed": 0, "skipped": 1}  # a retried task sends nothing
    assert len(sms_gateway.requests) == 1
    assert f"notification {nid} sent via sms" in caplog.text
    assert PHONE not in caplog.text and "k-123" not in caplog.text


@pytest.mark.django_db
def test_a_refusing_gateway_keeps_the_message_for_a_retry_and_logs_no_phone(settings, caplog,
                                                                            django_capture_on_commit_callbacks):
    caplog.set_level(logging.DEBUG)
    gateway = Gateway({"code": 1, "msg": f"bad number {PHONE}"}, status=500)
    settings.NOTIFY_SMS_URL = gateway.url
    try:
        user = UserFactory(phone=PHONE)
        with django_capture_on_commit_callbacks(execute=True):
            [nid] = notify([user], key="e:3", title="提醒", channels=(SMS,))
    finally:
        gateway.close()
    assert len(gateway.requests) == 1
    assert Notification.objects.get(pk=nid).delivered == []  # released: a later run may try again
    assert f"notification {nid} not sent via sms: HTTP 500" in caplog.text
    assert PHONE not in caplog.text


@pytest.mark.django_db
def test_unconfigured_channels_are_skipped_and_the_inbox_still_has_it(settings, django_capture_on_commit_callbacks):
    settings.NOTIFY_SMS_URL = ""
    user = UserFactory(phone=PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        [nid] = notify([user], key="e:4", title="提醒", channels=(SMS,))
    assert Notification.objects.get(pk=nid).delivered == []
    assert notifications.unread_count(user) == 1


@pytest.mark.django_db
def test_wecom_group_robot_gets_special_situations(wecom_robot, django_capture_on_commit_callbacks):
    household, cadre = paired_household()
    township = UserFactory()
    from accounts.models import Role, RoleAssignment

    RoleAssignment.objects.create(user=township, role=Role.TOWNSHIP, area_id=household.village_id[:9] + "000")
    with django_capture_on_commit_callbacks(execute=True):
        visit_record(actor=cadre, household=household, data=visit_input(visited_on=dt.date(2026, 3, 2)),
                     findings=[FindingInput(kind="special", description="老人独居摔伤")], today=dt.date(2026, 3, 2))
    assert [r["json"]["msgtype"] for r in wecom_robot.requests] == ["text"]
    assert "老人独居摔伤" in wecom_robot.requests[0]["json"]["text"]["content"]
    assert wecom_robot.requests[0]["path"] == "/send?key=robot"


@pytest.mark.django_db
def test_notify_many_is_one_statement_for_any_number(django_assert_num_queries):
    users = [UserFactory() for _ in range(30)]
    with django_assert_num_queries(1):
        ids = notify_many([Message(u.pk, "bulk:1", "批量") for u in users])
    assert len(ids) == 30


@pytest.mark.django_db
def test_the_unread_count_reaches_every_page_for_the_badge(client):
    user, _cadre = cadre_user("badge")
    notify([user], key="b:1", title="一")
    notify([user], key="b:2", title="二")
    client.force_login(user)
    response = client.get(reverse("visits:inbox"))
    assert response.context["unread_notifications"] == 2
    assert response.context["notifications_url"] == reverse("visits:inbox")
    badge = Template('{% include "accounts/_unread_badge.html" %}')
    assert 'data-testid="unread-badge"' in badge.render(Context({"unread_notifications": response.context["unread_notifications"]}))
    assert ">2<" in badge.render(Context({"unread_notifications": response.context["unread_notifications"]}))
    client.post(reverse("visits:inbox"))
    response = client.get(reverse("visits:inbox"))
    assert response.context["unread_notifications"] == 0
    assert badge.render(Context({"unread_notifications": response.context["unread_notifications"]})).strip() == ""


@pytest.mark.django_db
def test_the_daily_digest_at_0730_sends_once_with_counts_not_names(sms_gateway, django_capture_on_commit_callbacks,
                                                                    caplog):
    caplog.set_level(logging.DEBUG)
    user, cadre = cadre_user("digest_cadre")
    user.phone = PHONE
    user.save()
    for due_offset, name in ((-3, "王阿婆"), (2, "杨大伯"), (20, "李奶奶")):
        h = HouseholdFactory(tier="A", tier_since=dt.date(2026, 1, 1))
        PersonFactory(household=h, name=name, id_number=ID_NUMBER[:-2] + f"{due_offset + 50:02d}")
        PairingFactory(household=h, cadre=cadre, started_on=dt.date(2026, 5, 1))
        Household.objects.filter(pk=h.pk).update(next_due_on=dt.date(2026, 6, 20) + dt.timedelta(days=due_offset))
    idle, _ = cadre_user("idle_cadre")
    with time_machine.travel(dt.datetime(2026, 6, 20, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert daily_digest_task() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert daily_digest_task() == 0  # run twice: sends once
    note = Notification.objects.get(recipient=user)
    assert note.key == "digest:2026-06-20" and note.url == reverse("visits:mine")
    assert note.title == "走访提醒（6月20日）：逾期 1 户，3天内到期 1 户，请打开“我的结对户”查看。"
    assert len(sms_gateway.requests) == 1
    assert not Notification.objects.filter(recipient=idle).exists()
    assert PHONE not in caplog.text and "王阿婆" not in caplog.text and ID_NUMBER[:10] not in caplog.text


def test_the_digest_is_scheduled_at_0730_shanghai(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["visits-daily-digest"]
    assert entry["task"] == "visits.tasks.daily_digest"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({7}, {30})
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"


@pytest.mark.django_db
def test_the_digest_counts_only_active_pairings_of_active_households():
    user, cadre = cadre_user("gone")
    h = HouseholdFactory(tier="A", tier_since=dt.date(2026, 1, 1))
    PairingFactory(household=h, cadre=cadre, started_on=dt.date(2026, 5, 1), ended_on=dt.date(2026, 6, 1))
    Household.objects.filter(pk=h.pk).update(next_due_on=dt.date(2026, 6, 10))
    assert daily_digest(today=dt.date(2026, 6, 20)) == 0


@pytest.mark.django_db
def test_the_cadre_who_raised_a_finding_hears_the_referral_outcome(django_capture_on_commit_callbacks):
    household, cadre = paired_household()
    today = dt.date(2026, 3, 2)
    visit = visit_record(actor=cadre, household=household, data=visit_input(visited_on=today),
                         findings=[FindingInput(kind="benefit", description="住院费用高")], today=today)
    finding = visit.findings.get()
    referral = make_referral(actor=cadre, household=household, finding=finding, problem=finding.description)
    yibao = liaison()
    service_actions.referral_transition(actor=yibao, referral=referral, to_status=ReferralStatus.ACCEPTED,
                                        now=at(2026, 3, 3))
    service_actions.referral_transition(actor=yibao, referral=referral, to_status=ReferralStatus.RESOLVED,
                                        note="已纳入医疗救助对象", now=at(2026, 3, 5))
    note = Notification.objects.get(recipient=cadre, key=f"referral-outcome:{referral.pk}")
    assert "州医保局" in note.title and "已纳入医疗救助对象" in note.title
    assert note.url == reverse("visits:finding", args=[finding.pk]) and note.channels == ["sms"]


@pytest.mark.django_db
def test_a_declined_referral_is_heard_too():
    household, cadre = paired_household()
    today = dt.date(2026, 3, 2)
    visit = visit_record(actor=cadre, household=household, data=visit_input(visited_on=today),
                         findings=[FindingInput(kind="benefit", description="可能符合低保")], today=today)
    referral = make_referral(actor=cadre, household=household, finding=visit.findings.get())
    service_actions.referral_transition(actor=liaison(), referral=referral, to_status=ReferralStatus.DECLINED,
                                        note="收入超过标准", now=at(2026, 3, 3))
    assert "收入超过标准" in Notification.objects.get(recipient=cadre, key=f"referral-outcome:{referral.pk}").title


@pytest.mark.django_db
def test_the_digest_command_runs_for_a_date_once():
    from io import StringIO

    from django.core.management import call_command

    user, cadre = cadre_user("cmd_cadre")
    h = HouseholdFactory(tier="A", tier_since=dt.date(2026, 1, 1))
    PairingFactory(household=h, cadre=cadre, started_on=dt.date(2026, 5, 1))
    Household.objects.filter(pk=h.pk).update(next_due_on=dt.date(2026, 6, 19))
    out = StringIO()
    call_command("daily_digest", "--date", "2026-06-20", stdout=out)
    call_command("daily_digest", "--date", "2026-06-20", stdout=out)
    assert out.getvalue().splitlines() == ["2026-06-20: 新发走访提醒 1 条", "2026-06-20: 新发走访提醒 0 条"]
    assert Notification.objects.get(recipient=user).title.startswith("走访提醒（6月20日）：逾期 1 户")


@pytest.mark.django_db
def test_messages_whose_hand_over_was_lost_are_handed_over_again_once(wecom_robot, django_capture_on_commit_callbacks):
    """Redis down when a job commits: the delivery task is never queued. The next daily run hands
    over what is still unsent (tests/ops/test_faults.py does it with a real worker and Redis)."""
    recipient = UserFactory()
    with django_capture_on_commit_callbacks(execute=False):  # the hand-over is lost
        ids = notify_many([Message(recipient.pk, "escalation:1", "HH0001 逾期7天以上未走访", channels=("wecom",)),
                           Message(recipient.pk, "overdue:1", "HH0001 逾期未走访")])  # in-app only: nothing to send
    assert wecom_robot.requests == []
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.redeliver_unsent() == ids[:1]
    assert [r["json"]["text"]["content"] for r in wecom_robot.requests] == ["HH0001 逾期7天以上未走访"]
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.redeliver_unsent() == []  # sent: not again
        # Older than two days: it stays in the inbox, no late message.
        Notification.objects.filter(pk=ids[0]).update(delivered=[], created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        assert notifications.redeliver_unsent() == []
    assert len(wecom_robot.requests) == 1
