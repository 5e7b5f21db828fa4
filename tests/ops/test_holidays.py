"""Working days after 2026: the holiday tables, provisional deadlines, the bureau's warning.

The State Council's 2027 arrangement was not available when this was written, so FIXTURE_2027 is
an explicit, assumed table (春节 on 6 February 2027: 2月5日—13日 off, Saturday 20 February on);
the tests say what the code does with *a* table, not what the 2027 notice says."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditEvent, Role
from services import holidays, rules
from services.models import HolidayDay, HolidayYear, Referral
from tests.factories import user_with_role
from tests.services.factories import at, field, make_referral, paired_household
from visits.models import Notification

pytestmark = pytest.mark.django_db

PREFECTURE = "522600000000"
COUNTY = "522634000000"
TOWNSHIP = "522634101000"
FIXTURE_2027 = """# 2027 (assumed for the test)
元旦,2027-01-01,2027-01-03,放假
春节,2027-02-05,2027-02-13,放假
春节,2027-02-20,,上班
"""


@pytest.fixture
def bureau():
    return user_with_role(Role.PREFECTURE, PREFECTURE, username="bureau")


def test_the_years_chinesecalendar_knows_are_seeded():
    assert set(range(2004, 2027)) <= set(HolidayYear.objects.values_list("year", flat=True))
    assert not HolidayYear.objects.filter(year=2027).exists()
    # 2026: Spring Festival 15–23 February off; Saturday 14 and 28 February on.
    assert HolidayDay.objects.get(day=dt.date(2026, 2, 16)).get_kind_display() == "放假"
    assert HolidayDay.objects.get(day=dt.date(2026, 2, 14)).name == "春节"
    calendar = holidays.work_calendar(2026, 2026)
    assert calendar.is_workday(dt.date(2026, 2, 14)) and not calendar.is_workday(dt.date(2026, 2, 20))


def test_a_deadline_across_the_2027_spring_festival_without_a_table_is_provisional_and_the_bureau_warned(bureau):
    household, cadre = paired_household()
    assert field("medical-aid").deadline_days == 10
    first = make_referral(actor=cadre, household=household, now=at(2027, 2, 4))
    second = make_referral(actor=cadre, household=household, now=at(2027, 2, 4, 11))
    # Mon–Fri assumed: 5, 8–12, 15–18 February → due at the end of Thursday 18 February.
    assert first.due_provisional and second.due_provisional
    assert first.due_at == at(2027, 2, 19, 0)
    [warning] = Notification.objects.filter(recipient=bureau)
    assert warning.key == "holiday-year-missing:2027" and "2027 年节假日安排尚未录入" in warning.title
    assert warning.url == reverse("services:holiday_year", args=[2027])


def test_entering_the_2027_table_recomputes_the_provisional_deadlines(bureau):
    household, cadre = paired_household()
    referral = make_referral(actor=cadre, household=household, now=at(2027, 2, 4))
    urgent = make_referral(actor=cadre, household=household, now=at(2027, 2, 4), urgent=True)
    assert not urgent.due_provisional

    _year, recomputed = holidays.year_save(actor=bureau, year=2027, text=FIXTURE_2027, source="测试用安排")
    assert recomputed == 1
    referral.refresh_from_db()
    # 5–14 February off; 15–19 (5), Saturday 20 (6), 22–25 (10) → due at the end of 25 February.
    assert referral.due_at == at(2027, 2, 26, 0) and not referral.due_provisional
    later = make_referral(actor=cadre, household=household, now=at(2027, 2, 4, 15))
    assert later.due_at == at(2027, 2, 26, 0) and not later.due_provisional
    event = AuditEvent.objects.get(object_type="services.holidayyear", object_id="2027")
    assert event.actor == bureau and event.details["days"] == 3 + 9 + 1


def test_a_deadline_reaching_into_an_unknown_year_is_provisional_too(bureau):
    holidays.year_save(actor=bureau, year=2027, text=FIXTURE_2027, source="测试用安排")
    calendar = holidays.work_calendar(2027, 2028)
    deadline = rules.deadline(submitted_at=at(2027, 12, 24), deadline_days=10, urgent=False, calendar=calendar)
    assert deadline.provisional and deadline.unknown_years == {2028}
    inside = rules.deadline(submitted_at=at(2027, 12, 1), deadline_days=10, urgent=False, calendar=calendar)
    assert not inside.provisional


def test_a_bad_notice_is_refused_line_by_line_and_changes_nothing(bureau):
    holidays.year_save(actor=bureau, year=2027, text=FIXTURE_2027, source="测试用安排")
    bad = "元旦,2027-01-01,,放假\n春节,2027-02-30,,放假\n国庆节,2027-10-01,2027-10-07\n清明节,2028-04-05,,放假\n" \
          "端午,2027-06-09,,上班\n元旦,2027-01-01,,放假\n"
    with pytest.raises(ValidationError) as exc:
        holidays.year_save(actor=bureau, year=2027, text=bad, source="新")
    messages = exc.value.messages
    assert messages[0].startswith("第2行：开始日期“2027-02-30”无效")
    assert messages[1].startswith("第3行：应为“名称,开始日期,结束日期,放假或上班”四项")
    assert messages[2] == "第4行：日期不在2027年内。"
    assert messages[3].startswith("第5行：调休上班日应为周六或周日")
    assert messages[4] == "第6行：与第1行的日期重复。"
    assert HolidayDay.objects.filter(year_id=2027).count() == 13
    assert HolidayYear.objects.get(year=2027).source == "测试用安排"


def test_only_the_bureau_enters_a_year_the_county_reads_a_township_gets_404(client, bureau):
    county = user_with_role(Role.COUNTY, COUNTY, username="county")
    township = user_with_role(Role.TOWNSHIP, TOWNSHIP, username="township")
    with pytest.raises(ValidationError):
        holidays.year_save(actor=county, year=2027, text=FIXTURE_2027, source="x")
    url = reverse("services:holiday_year", args=[2027])
    client.force_login(township)
    assert client.get(url).status_code == 404
    assert client.get(reverse("services:holidays")).status_code == 404
    client.force_login(county)
    page = client.get(url)
    assert page.status_code == 200 and "尚未录入" in page.content.decode() and "holiday-form" not in page.content.decode()
    assert client.post(url, {"source": "x", "text": FIXTURE_2027}).status_code == 200
    assert not HolidayYear.objects.filter(year=2027).exists()


def test_the_bureau_uploads_the_notice_as_a_gb18030_file(client, bureau):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(bureau)
    upload = SimpleUploadedFile("2027.txt", FIXTURE_2027.encode("gb18030"), content_type="text/plain")
    response = client.post(reverse("services:holiday_year", args=[2027]), {"source": "国办发明电", "upload": upload})
    assert response.status_code == 302
    assert HolidayDay.objects.get(day=dt.date(2027, 2, 20)).name == "春节"
    page = client.get(reverse("services:holiday_year", args=[2027])).content.decode()
    assert "2月5日—2月13日" in page and "春节,2027-02-05,2027-02-13,放假" in page


def test_a_bad_text_on_the_page_keeps_what_was_typed(client, bureau):
    client.force_login(bureau)
    text = "春节,2027-02-05,2027-02-13,休假"
    page = client.post(reverse("services:holiday_year", args=[2027]), {"source": "国办", "text": text}).content.decode()
    assert "第1行：第四项应为“放假”或“上班”，实为“休假”。" in page
    assert text in page and 'value="国办"' in page


def test_referral_pages_mark_a_provisional_deadline(client, bureau):
    household, cadre = paired_household()
    referral = make_referral(actor=cadre, household=household, now=at(2027, 2, 4))
    client.force_login(cadre)
    page = client.get(reverse("services:referral", args=[referral.pk])).content.decode()
    assert 'data-testid="due-provisional"' in page and "暂定" in page
    assert Referral.objects.filter(due_provisional=True).count() == 1
