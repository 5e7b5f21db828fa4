"""Departments and fields of help, service providers, holiday tables and visit-frequency settings
in the admin: header contracts, round trips, refusals by row number, scope and audit."""

import datetime as dt

import pytest
import time_machine

from accounts.models import Area, AuditAction, AuditEvent, Department
from accounts.resources import DepartmentResource
from services.models import Field, HolidayDay, HolidayYear, ServiceProvider
from services.resources import FieldResource, HolidayDayResource, ServiceProviderResource
from tests.adminio.helpers import admin_user, confirm, export_xlsx, import_preview, round_trip
from visits.models import VisitPolicy
from visits.resources import VisitPolicyResource

pytestmark = pytest.mark.django_db

LEISHAN = "522634000000"
PREFECTURE = "522600000000"


@pytest.fixture
def bureau(client):
    user = admin_user("prefecture", PREFECTURE, "department", "field", "serviceprovider", "holidayday", "visitpolicy")
    client.force_login(user)
    return user


def test_department_headers_round_trip_and_a_new_department_audited(client, bureau):
    rows = export_xlsx(client, "accounts.department", DepartmentResource)
    assert rows[0] == ["部门代码", "部门名称", "牵头领域", "责任领域"]
    assert len(rows) - 1 == Department.objects.count()
    round_trip(client, "accounts.department", DepartmentResource)
    rows.append(["rural-roads", "州交通运输局", "", ""])
    preview = import_preview(client, "accounts.department", rows)
    assert not Department.objects.filter(code="rural-roads").exists()
    confirm(client, "accounts.department", preview)
    new = Department.objects.get(code="rural-roads")
    event = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="accounts.department", object_id=str(new.pk))
    assert event.actor == bureau


def test_a_duplicate_department_name_is_refused_by_row(client, bureau):
    rows = export_xlsx(client, "accounts.department", DepartmentResource)
    taken = rows[1][1]
    rows.append(["someone-new", taken, "", ""])
    page = import_preview(client, "accounts.department", rows).content.decode()
    assert f"第{len(rows)}行：部门名称：" in page and "确认导入" not in page
    assert not Department.objects.filter(code="someone-new").exists()


def test_fields_of_help_headers_round_trip_and_routing_change(client, bureau):
    rows = export_xlsx(client, "services.field", FieldResource)
    assert rows[0] == ["序号", "领域", "牵头单位", "责任单位", "默认受理部门", "办理时限(工作日)"]
    assert len(rows) == 12
    round_trip(client, "services.field", FieldResource)
    first = Field.objects.get(number=rows[1][0])
    other = Department.objects.exclude(pk=first.route_to_id).order_by("code").first()
    rows[1][4], rows[1][5] = other.name, 7
    rows[2][5] = 99  # over the 60-day limit
    page = import_preview(client, "services.field", rows).content.decode()
    assert "第3行：办理时限(工作日)：办理时限应为1至60个工作日。" in page and "确认导入" not in page
    rows[2][5] = Field.objects.get(number=rows[2][0]).deadline_days
    rows.append([12, "新领域", "", "", other.name, 5])
    page = import_preview(client, "services.field", rows).content.decode()
    assert "第13行：帮扶领域是固定的十一项" in page
    rows.pop()
    confirm(client, "services.field", import_preview(client, "services.field", rows))
    first.refresh_from_db()
    assert first.route_to == other and first.deadline_days == 7
    assert AuditEvent.objects.filter(action=AuditAction.CHANGE, object_type="services.field",
                                     object_id=str(first.pk), actor=bureau).exists()


def _provider(owner: str, name: str = "西江社工站") -> ServiceProvider:
    provider = ServiceProvider.objects.create(
        name=name, kind="social_org", services=["daily_care", "rehab"], owner_area_id=owner, phone="13800001111",
        note="+86 热线", created_by=admin_user("prefecture", PREFECTURE))
    provider.areas.set([Area.objects.get(code=owner)])
    return provider


def test_providers_headers_guard_round_trip_and_scope(client):
    officer = admin_user("county", LEISHAN, "serviceprovider")
    client.force_login(officer)
    own = _provider(LEISHAN)
    elsewhere = Area.objects.filter(level="county").exclude(code=LEISHAN).order_by("code").first()
    other = _provider(elsewhere.code, "他县社工站")
    rows = export_xlsx(client, "services.serviceprovider", ServiceProviderResource)
    assert rows[0] == ["编号", "名称", "类型", "提供服务", "服务区域代码", "联系人", "联系电话", "说明", "在用", "登记单位区划代码"]
    mine = next(r for r in rows if r[0] == own.pk)
    assert mine[2:5] == ["社会组织", "生活照料、康复护理", LEISHAN] and mine[7] == "'+86 热线"
    # Providers are visible to everyone, but maintained only where one keeps them.
    theirs = next(r for r in rows if r[0] == other.pk)
    theirs[1] = "改名"
    page = import_preview(client, "services.serviceprovider", rows).content.decode()
    assert f"第{rows.index(theirs) + 1}行：该记录不在您负责的范围内，不能导入。" in page
    rows.remove(theirs)
    round_trip_rows = rows
    preview = import_preview(client, "services.serviceprovider", round_trip_rows)
    assert preview.context["result"].totals["skip"] == len(rows) - 1
    mine[8] = "否"
    confirm(client, "services.serviceprovider", import_preview(client, "services.serviceprovider", rows))
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.active is False and own.note == "+86 热线" and other.name == "他县社工站"
    event = AuditEvent.objects.get(action=AuditAction.CHANGE, object_type="services.serviceprovider")
    assert event.actor == officer and event.details["changes"] == {"active": [True, False]}


def test_holiday_headers_round_trip_and_a_changed_day(client, bureau):
    rows = export_xlsx(client, "services.holidayday", HolidayDayResource)
    assert rows[0] == ["日期", "类型", "节日", "依据"]
    round_trip(client, "services.holidayday", HolidayDayResource)
    year = max(r[0].year for r in rows[1:])
    days_before = HolidayDay.objects.filter(year_id=year).count()
    weekday = next(d for d in (dt.date(year, 6, day) for day in range(1, 8)) if d.weekday() == 2)
    sunday = next(d for d in (dt.date(year, 6, day) for day in range(1, 8)) if d.weekday() == 6)
    rows.append([weekday, "上班", "调休", ""])
    page = import_preview(client, "services.holidayday", rows).content.decode()
    assert f"第{len(rows)}行：类型：调休上班日应为周六或周日" in page and "确认导入" not in page
    rows[-1] = [sunday, "上班", "调休", ""]
    confirm(client, "services.holidayday", import_preview(client, "services.holidayday", rows))
    assert HolidayDay.objects.get(day=sunday).kind == "work"
    assert HolidayDay.objects.filter(year_id=year).count() == days_before + 1
    assert HolidayYear.objects.get(year=year).entered_by == bureau
    assert AuditEvent.objects.filter(action=AuditAction.CHANGE, object_type="services.holidayyear",
                                     object_id=str(year), actor=bureau).exists()


@time_machine.travel(dt.datetime(2026, 12, 7, 10, tzinfo=dt.UTC), tick=False)
def test_visit_policy_headers_new_rows_only_and_county_scope(client, bureau):
    county = Area.objects.get(code=LEISHAN)
    VisitPolicy.objects.create(county=county, tier="A", interval_days=10, monthly_minimum=3,
                               effective_on=dt.date(2026, 11, 1), reason="汛期", set_by=bureau)
    rows = export_xlsx(client, "visits.visitpolicy", VisitPolicyResource)
    assert rows[0] == ["县(市)区划代码", "县(市)", "类别", "走访间隔(天)", "每月最低走访次数", "生效日期", "调整理由", "设置人"]
    assert rows[1][:7] == [LEISHAN, "雷山县", "A类 特困供养群体", 10, 3, dt.datetime(2026, 11, 1), "汛期"]
    round_trip(client, "visits.visitpolicy", VisitPolicyResource)
    rows[1][3] = 12
    page = import_preview(client, "visits.visitpolicy", rows).content.decode()
    assert "第2行：已有的设置不能修改" in page
    rows[1][3] = 10
    rows.append([LEISHAN, "", "B类 低保保障群体", 20, 1, "2027-01-01", "冬季"])
    confirm(client, "visits.visitpolicy", import_preview(client, "visits.visitpolicy", rows))
    new = VisitPolicy.objects.get(county=county, tier="B")
    assert new.interval_days == 20 and new.set_by == bureau
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="visits.visitpolicy",
                                     object_id=str(new.pk)).exists()
    # A county officer exports the county's own settings and may not import.
    officer = admin_user("county", LEISHAN, "visitpolicy")
    elsewhere = Area.objects.filter(level="county").exclude(code=LEISHAN).order_by("code").first()
    VisitPolicy.objects.create(county=elsewhere, tier="A", interval_days=9, monthly_minimum=3,
                               effective_on=dt.date(2026, 11, 1), reason="他县", set_by=bureau)
    client.force_login(officer)
    exported = export_xlsx(client, "visits.visitpolicy", VisitPolicyResource)
    assert {r[0] for r in exported[1:]} == {LEISHAN}
    assert import_preview(client, "visits.visitpolicy", exported).status_code == 403
