"""Pages, report, ledger and import: scoping (owner / colleague / outsider → 404), contracts."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts.models import AuditEvent, Role
from beneficiaries.models import Household
from tests.conftest import OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import HouseholdFactory, PairingFactory, cadre_user, jpeg_bytes, user_with_role
from visits import actions
from visits.models import Visit
from visits.queries import OVERDUE_REPORT_HEADERS

from .factories import VisitFactory, form_answers

pytestmark = pytest.mark.django_db
D = dt.date
NOW = dt.datetime(2026, 6, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def overdue(paired):
    household, cadre = paired
    VisitFactory(household=household, visited_on=D(2026, 6, 1))
    actions.schedule_refresh(households=Household.objects.all(), today=D(2026, 6, 20))
    return household, cadre


def test_household_timeline_for_owner_colleague_and_outsider(client, overdue, township_user):
    household, cadre = overdue
    url = reverse("visits:household", args=[household.pk])
    with time_machine.travel(NOW, tick=False):
        client.force_login(cadre)
        assert client.get(url).status_code == 200
        client.force_login(township_user)
        assert client.get(url).status_code == 200
        client.force_login(user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP))
        assert client.get(url).status_code == 404
        other_cadre, _ = cadre_user("other_cadre")
        client.force_login(other_cadre)
        assert client.get(url).status_code == 404
        assert client.post(reverse("visits:record", args=[household.pk]), {"visited_on": "2026-06-20"}).status_code == 404
    assert AuditEvent.objects.filter(action="view", object_id=str(household.pk)).count() == 2


def test_my_households_sorts_overdue_first_with_badges_and_progress(client, overdue, django_assert_max_num_queries):
    household, cadre = overdue
    for _ in range(5):
        h = HouseholdFactory(tier="C", tier_since=D(2026, 1, 1))
        PairingFactory(household=h, cadre=household.pairings.get().cadre, started_on=D(2026, 6, 10))
    actions.schedule_refresh(households=Household.objects.all(), today=D(2026, 6, 20))
    client.force_login(cadre)
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(20):
        response = client.get(reverse("visits:mine"))
    rows = response.context["rows"]
    assert rows[0].household.pk == household.pk and rows[0].household.village_short_name == "西江社区"
    assert rows[0].schedule.overdue_days == 9 and rows[0].schedule.progress == "1/3"
    assert "逾期" in response.content.decode()


def test_visit_form_keeps_input_and_explains_a_future_date(client, overdue):
    household, cadre = overdue
    client.force_login(cadre)
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("visits:record", args=[household.pk]),
                               {"visited_on": "2026-06-21", "mode": "in_person", "notes": "家中一切正常"})
    assert response.status_code == 200
    assert "走访日期不能晚于今天" in response.content.decode()
    assert "家中一切正常" in response.content.decode()
    assert not Visit.objects.filter(visited_on=D(2026, 6, 21)).exists()


def test_visit_form_saves_checklist_photo_and_finding(client, overdue):
    household, cadre = overdue
    client.force_login(cadre)
    photo = SimpleUploadedFile("hazard.jpg", jpeg_bytes(), content_type="image/jpeg")
    with time_machine.travel(NOW, tick=False):
        response = client.post(reverse("visits:record", args=[household.pk]), form_answers(
            visited_on="2026-06-20", health="poor", power_safety="hazard",
            benefits=["tekun", "medical"], needs=["daily_care"], hazard="电线裸露", photos=[photo],
        ))
    assert response.status_code == 302
    visit = Visit.objects.latest("id")
    assert visit.benefits == ["tekun", "medical"] and visit.photos.count() == 1
    finding = visit.findings.get()
    assert (finding.kind, finding.description) == ("hazard", "用电安全有隐患：电线裸露")


def test_overdue_report_command_writes_exact_headers_with_bom(overdue, tmp_path):
    household, _ = overdue
    out = tmp_path / "r.csv"
    call_command("overdue_report", "--date", "2026-06-20", "--area", TOWNSHIP, "--output", str(out))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == OVERDUE_REPORT_HEADERS
    assert rows[1] == [household.code, household.village_id, "王阿婆", "A", household.pairings.get().cadre.name,
                       "2026-06-01", "2026-06-11", "9", "1", "3",
                       household.village.parent.name, household.village.short_name]
    assert rows[0][-2:] == ["乡镇(街道)", "村(居)"] and "委员会" not in rows[1][-1]
    assert len(rows) == 2


def test_overdue_report_for_a_past_date_uses_visits_as_they_stood(overdue, tmp_path):
    household, cadre = overdue
    VisitFactory(household=household, visited_on=D(2026, 6, 25))
    out = tmp_path / "r.csv"
    call_command("overdue_report", "--date", "2026-06-20", "--output", str(out))
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 2
    call_command("overdue_report", "--date", "2026-06-26", "--output", str(out))
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 1


def test_township_downloads_the_report_and_it_is_audited(client, overdue, township_user):
    client.force_login(township_user)
    response = client.get(reverse("visits:overdue_report"), {"date": "2026-06-20", "area": TOWNSHIP})
    assert response.streaming  # a StreamingHttpResponse: rows are written as they are produced
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    assert len(body.decode("utf-8-sig").splitlines()) == 2
    assert AuditEvent.objects.filter(action="export", object_type="visits.overdue_report").exists()
    client.force_login(user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP))
    assert client.get(reverse("visits:overdue_report"), {"area": TOWNSHIP}).status_code == 404


def test_cadre_cannot_open_the_desk(client, overdue):
    client.force_login(overdue[1])
    assert client.get(reverse("visits:desk")).status_code == 404


def test_township_desk_counts_overdue_by_village_and_cadre(client, overdue, township_user, django_assert_max_num_queries):
    # The desk also lists each overdue household, special reports, findings and every area (fixed count).
    client.force_login(township_user)
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(18):
        desk = client.get(reverse("visits:desk")).context["desk"]
    assert desk.overdue_total == 1
    assert desk.overdue_by_cadre[0]["n"] == 1


def test_visit_ledger_xlsx_per_area_and_month_is_audited(client, overdue, township_user):
    client.force_login(township_user)
    response = client.get(reverse("visits:ledger"), {"area": TOWNSHIP, "month": "2026-06"})
    ws = load_workbook(io.BytesIO(response.getvalue())).active
    assert ws["A1"].value.endswith("探视走访工作台账 2026年06月")
    assert ws["A2"].value == "户编号" and ws.max_row == 3
    assert AuditEvent.objects.filter(action="export", object_type="visits.visit_ledger").exists()


def _xlsx(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(["户编号", "走访日期", "走访方式", "走访人", "备注"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, content, name="t.xlsx"):
    response = client.post(reverse("visits:import"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302, response.content.decode()
    return client.get(response["Location"])


def test_import_of_a_good_ledger_previews_then_imports(client, overdue, township_user):
    household, _ = overdue
    client.force_login(township_user)
    content = _xlsx([[household.code, "2026-05-10", "入户", "张敏", "纸质台账"],
                     [household.code, D(2026, 5, 20), "电话", "张敏", ""]])
    with time_machine.travel(NOW, tick=False):
        page = _upload(client, content)
        job = page.context["job"]
        assert job.status == "checked" and Visit.objects.count() == 1
        assert "将导入 2 条走访记录" in page.content.decode(), job.summary
        response = client.post(reverse("imports:confirm", args=[job.pk]))
    assert response.status_code == 302
    assert Visit.objects.count() == 3
    assert Visit.objects.filter(source="import", mode="phone", counted=False).count() == 1
    assert AuditEvent.objects.filter(action="create", object_type="visits.visit").count() == 2


def test_import_with_three_bad_rows_writes_nothing_and_reports_each(client, overdue, township_user):
    household, _ = overdue
    outside = HouseholdFactory(village_id=__import__("accounts.models").models.Area.objects.filter(
        parent_id=OTHER_TOWNSHIP).first().code)
    client.force_login(township_user)
    content = _xlsx([[household.code, "2026-05-10", "入户", "张敏", ""],
                     [household.code, "2026-07-01", "入户", "张敏", ""],
                     [outside.code, "2026-05-10", "入户", "张敏", ""],
                     [household.code, "2026-05-11", "上门", "张敏", ""]])
    with time_machine.travel(NOW, tick=False):
        page = _upload(client, content)
        job = page.context["job"]
        errors = client.get(reverse("imports:errors", args=[job.pk]))
    assert job.status == "invalid"
    assert [(r, c) for r, c, _m in job.summary["errors"]] == [(3, "走访日期"), (4, "户编号"), (5, "走访方式")]
    assert Visit.objects.count() == 1
    assert "走访方式只能是" in b"".join(errors.streaming_content).decode("utf-8-sig")


def test_every_error_of_a_row_is_listed(client, overdue, township_user):
    client.force_login(township_user)
    with time_machine.travel(NOW, tick=False):
        page = _upload(client, _xlsx([["NOPE", "明天", "上门", "", ""]]))
    assert [c for _r, c, _m in page.context["job"].summary["errors"]] == ["户编号", "走访日期", "走访方式", "走访人"]


def test_reimporting_the_same_ledger_skips_what_is_stored(client, overdue, township_user):
    household, _ = overdue
    client.force_login(township_user)
    rows = [[household.code, "2026-05-10", "入户", "张敏", ""], [household.code, "2026-05-12", "入户", "张敏", ""],
            [household.code, "2026-05-12", "入户", "张敏", "同一次走访写了两行"]]
    with time_machine.travel(NOW, tick=False):
        first = _upload(client, _xlsx(rows)).context["job"]
        assert first.summary["counts"] == {"created": 2, "skipped": 1}
        client.post(reverse("imports:confirm", args=[first.pk]))
        assert Visit.objects.filter(source="import").count() == 2
        again = _upload(client, _xlsx(rows))
        job = again.context["job"]
        assert job.summary["counts"] == {"created": 0, "skipped": 3}
        assert "已存在，跳过 3 条" in again.content.decode()
        client.post(reverse("imports:confirm", args=[job.pk]))
    assert Visit.objects.filter(source="import").count() == 2


def test_the_import_template_has_the_contract_headers(client, township_user):
    client.force_login(township_user)
    response = client.get(reverse("visits:import_template"))
    ws = load_workbook(io.BytesIO(response.getvalue())).worksheets[0]
    assert [c.value for c in ws[1]] == ["户编号", "走访日期", "走访方式", "走访人", "备注"]


def test_someone_elses_import_job_is_not_found(client, overdue, township_user):
    household, _ = overdue
    client.force_login(township_user)
    with time_machine.travel(NOW, tick=False):
        job = _upload(client, _xlsx([[household.code, "2026-05-10", "入户", "张敏", ""]])).context["job"]
    client.force_login(user_with_role(Role.TOWNSHIP, TOWNSHIP, username="colleague"))
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 404
    assert client.post(reverse("imports:confirm", args=[job.pk])).status_code == 404


def test_inbox_shows_only_my_notifications(client, overdue, township_user):
    household, cadre = overdue
    actions.overdue_alerts(today=D(2026, 6, 20))
    client.force_login(cadre)
    page = client.get(reverse("visits:inbox")).context["page"]
    assert len(page.object_list) == 1 and "逾期" in page.object_list[0].title
    client.post(reverse("visits:inbox"))
    assert not cadre.notifications.filter(read_at__isnull=True).exists()
    client.force_login(township_user)
    assert all(n.recipient == township_user for n in client.get(reverse("visits:inbox")).context["page"])


def test_an_imported_phone_visit_inside_a_special_period_counts(client, overdue, township_user):
    from visits.models import SpecialPeriod

    household, _ = overdue
    SpecialPeriod.objects.create(area_id=TOWNSHIP, kind="disaster", starts_on=D(2026, 5, 1), ends_on=D(2026, 5, 31),
                                 reason="洪灾", declared_by=township_user)
    client.force_login(township_user)
    with time_machine.travel(NOW, tick=False):
        job = _upload(client, _xlsx([[household.code, "2026-05-10", "电话", "张敏", ""],
                                     [household.code, "2026-06-10", "电话", "张敏", ""]])).context["job"]
        client.post(reverse("imports:confirm", args=[job.pk]))
    assert sorted(Visit.objects.filter(source="import").values_list("visited_on", "counted")) == [
        (D(2026, 5, 10), True), (D(2026, 6, 10), False)]
