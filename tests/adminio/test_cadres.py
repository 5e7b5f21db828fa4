"""The cadre list in the admin (django-import-export): Chinese headers, formula guard, round trip,
row-numbered refusals, scope and audit — through the admin's own export and import views."""

import io

import pytest
from django.urls import reverse

from accounts.models import Area, AuditAction, AuditEvent
from beneficiaries.models import Cadre
from beneficiaries.resources import CadreResource
from tests.adminio import helpers
from tests.adminio.helpers import admin_user
from tests.factories import CadreFactory

pytestmark = pytest.mark.django_db

CADRE_HEADERS = ["编号", "姓名", "联系电话", "干部类型", "工作单位", "所在村(居)区划代码", "所在村(居)", "所属第三方机构", "在岗"]
LEISHAN = "522634000000"


def other_county_village() -> Area:
    return Area.objects.filter(level="village").exclude(code__startswith="522634").order_by("code").first()


def export_xlsx(client, model):
    return helpers.export_xlsx(client, f"beneficiaries.{model}", CadreResource)


def import_preview(client, model, rows):
    return helpers.import_preview(client, f"beneficiaries.{model}", rows)


def confirm(client, model, preview):
    return helpers.confirm(client, f"beneficiaries.{model}", preview)


@pytest.fixture
def county_officer(client):
    user = admin_user("county", LEISHAN, "cadre")
    client.force_login(user)
    return user


def test_export_has_the_chinese_headers_guards_formulas_and_is_audited(client, county_officer):
    cadre = CadreFactory(work_unit="=HYPERLINK(\"http://x\")")
    CadreFactory(home_village=other_county_village())  # another county's cadre is not exported
    rows = export_xlsx(client, "cadre")
    assert rows[0] == CADRE_HEADERS
    assert len(rows) == 2
    assert rows[1][:6] == [cadre.pk, cadre.name, cadre.phone, "党员干部", "'=HYPERLINK(\"http://x\")",
                           cadre.home_village_id]
    assert rows[1][6] == cadre.home_village.name and rows[1][8] == "是"
    event = AuditEvent.objects.get(action=AuditAction.EXPORT, actor=county_officer)
    assert event.object_type == "beneficiaries.cadre" and event.details["rows"] == 1


def test_round_trip_changes_nothing(client, county_officer):
    CadreFactory(work_unit="-3 组")
    CadreFactory(kind="grid")
    before = list(Cadre.objects.order_by("pk").values())
    rows = export_xlsx(client, "cadre")
    preview = import_preview(client, "cadre", rows)
    assert preview.status_code == 200
    assert "确认导入" in preview.content.decode()
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["skip"] == 2 and result.totals["update"] == 0
    confirm(client, "cadre", preview)
    assert list(Cadre.objects.order_by("pk").values()) == before
    assert not AuditEvent.objects.filter(object_type="beneficiaries.cadre", action=AuditAction.CHANGE).exists()


def test_preview_then_confirm_writes_through_the_action_with_audit(client, county_officer):
    cadre = CadreFactory()
    rows = export_xlsx(client, "cadre")
    rows[1][4] = "雷山县教育局"
    village = cadre.home_village_id
    rows.append(["", "新干部", "13912345678", "网格员", "", village, "", "", ""])
    preview = import_preview(client, "cadre", rows)
    page = preview.content.decode()
    assert "预览" in page and "新增" in page and "更新" in page
    cadre.refresh_from_db()
    assert cadre.work_unit == "雷山县民政局"  # the preview wrote nothing
    assert not Cadre.objects.filter(name="新干部").exists()
    response = confirm(client, "cadre", preview)
    assert response.status_code == 302
    cadre.refresh_from_db()
    assert cadre.work_unit == "雷山县教育局"
    new = Cadre.objects.get(name="新干部")
    assert new.kind == "grid" and new.home_village_id == village
    change = AuditEvent.objects.get(action=AuditAction.CHANGE, object_id=str(cadre.pk), object_type="beneficiaries.cadre")
    assert change.actor == county_officer and change.details["work_unit"] == ["雷山县民政局", "雷山县教育局"]
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(new.pk)).exists()


def test_a_bad_row_is_refused_with_its_row_number_and_nothing_changes(client, county_officer):
    cadre = CadreFactory()
    rows = export_xlsx(client, "cadre")
    rows[1][4] = "改过的单位"
    rows.append(["", "坏行", "13900000001", "乡贤", "", "999999999999", "", "", ""])
    preview = import_preview(client, "cadre", rows)
    page = preview.content.decode()
    assert "确认导入" not in page
    assert "第3行：干部类型：“乡贤”不是可选的值" in page
    assert "第3行：所在村(居)区划代码：区划代码“999999999999”不存在。" in page
    cadre.refresh_from_db()
    assert cadre.work_unit == "雷山县民政局"
    assert not Cadre.objects.filter(name="坏行").exists()


def test_a_county_officer_cannot_import_another_countys_cadre(client, county_officer):
    outsider = CadreFactory(home_village=other_county_village())
    own = CadreFactory()
    rows = [CADRE_HEADERS,
            [outsider.pk, outsider.name, outsider.phone, "党员干部", "改写", outsider.home_village_id, "", "", "是"],
            ["", "越界新干部", "13900000002", "党员干部", "", outsider.home_village_id, "", "", ""]]
    page = import_preview(client, "cadre", rows).content.decode()
    assert "第2行：该记录不在您负责的范围内，不能导入。" in page
    assert "第3行：" in page and "不在您负责的区域内" in page
    assert "确认导入" not in page
    outsider.refresh_from_db()
    assert outsider.work_unit == "雷山县民政局"
    assert not Cadre.objects.filter(name="越界新干部").exists()
    assert own.work_unit == "雷山县民政局"


def test_only_roster_editors_see_the_import(client):
    viewer = admin_user("financial_supervisor", LEISHAN, "cadre")
    client.force_login(viewer)
    assert client.get(reverse("admin:beneficiaries_cadre_import")).status_code == 403


def test_resource_reads_back_what_the_guard_wrote():
    resource = CadreResource()
    row = {"工作单位": "'=1+2", "姓名": " 张三 "}
    resource.before_import_row(row)
    assert row == {"工作单位": "=1+2", "姓名": "张三"}


def test_an_oversized_file_is_refused_before_it_is_read(client, county_officer, monkeypatch):
    monkeypatch.setattr("accounts.sheets.MAX_BYTES", 100)
    response = import_preview(client, "cadre", [CADRE_HEADERS])
    page = response.content.decode()
    assert "文件过大" in page and "确认导入" not in page


def test_csv_round_trip_with_a_bom_changes_nothing(client, county_officer):
    CadreFactory(work_unit="@西江")
    before = list(Cadre.objects.order_by("pk").values())
    columns = {f"cadreresource_{name}": "on" for name in CadreResource().get_export_order()}
    exported = client.post(reverse("admin:beneficiaries_cadre_export"), {"format": "1", "resource": "0", **columns})
    assert exported.content.startswith("\ufeff编号,姓名".encode())
    assert "'@西江" in exported.content.decode("utf-8-sig")
    upload = io.BytesIO(exported.content)
    upload.name = "cadres.csv"
    preview = client.post(reverse("admin:beneficiaries_cadre_import"),
                          {"format": "1", "resource": "0", "import_file": upload})
    assert preview.context["result"].totals["skip"] == 1
    confirm(client, "cadre", preview)
    assert list(Cadre.objects.order_by("pk").values()) == before
