"""The API's input is strict and its errors have one shape (docs/api.md): text fields take text
only, every 400 is {"detail", "errors": [{"row", "column", "message"}]} (null cells of a pushed
list included, with their spreadsheet row and header), every time is +08:00, and the schema says
which headers each pushed list needs."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.services.factories import make_referral, paired_household

from .factories import auth, make_token

pytestmark = pytest.mark.django_db
COUNTY = "522634000000"
PLUS_8 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$")


@pytest.fixture
def referral(db):
    household, cadre = paired_household("cadre_strict")
    return make_referral(actor=cadre, household=household, field_code="medical-aid")


def _post(client, url, body, secret):
    return client.post(url, body, content_type="application/json", **auth(secret))


@pytest.mark.parametrize(("step", "body", "column"), [
    ("api:referral_decline", {"reason": 0}, "reason"),
    ("api:referral_accept", {"note": 0}, "note"),
    ("api:referral_resolve", {"outcome": True}, "outcome"),
    ("api:referral_decline", {"reason": ["不属于本部门"]}, "reason"),
])
def test_a_number_or_boolean_is_not_text(client, referral, step, body, column):
    _token, secret = make_token(fields=("medical-aid",), area=COUNTY)
    r = _post(client, reverse(step, args=[referral.pk]), body, secret)
    assert r.status_code == 400
    assert r.json()["errors"] == [{"row": None, "column": column,
                                   "message": "应为文本(字符串)，不能是数字、布尔值、列表或对象。"}]
    referral.refresh_from_db()
    assert referral.status == "submitted" and not referral.events.exclude(action="submit").exists()


def test_null_cells_of_a_pushed_list_are_named_by_row_and_header(client, db):
    _token, secret = make_token(department="health", fields=("medical-aid",), area=COUNTY)
    rows = [{"姓名": "王老汉", "身份证号": "522634193801011716", "死亡日期": "2026-02-10"},
            {"姓名": None, "身份证号": "522634193801011716", "死亡日期": 20260210}]
    r = _post(client, reverse("api:status_lists"), {"source": "death", "rows": rows}, secret)
    assert r.status_code == 400
    body = r.json()
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "姓名"), (3, "死亡日期")]
    assert body["errors"][0]["message"] == "该字段不能为 null。"
    assert body["detail"].startswith("第3行 姓名：")


def test_a_missing_body_field_and_a_bad_parameter_have_the_same_shape(client, referral):
    _token, secret = make_token(fields=("medical-aid",), area=COUNTY)
    r = client.get(reverse("api:referrals"), {"area": "12"}, **auth(secret))
    assert r.status_code == 400 and set(r.json()) == {"detail", "errors"}
    assert r.json()["errors"][0]["column"] == "area" and r.json()["errors"][0]["row"] is None
    broken = client.post(reverse("api:referral_accept", args=[referral.pk]), "{not json",
                         content_type="application/json", **auth(secret))
    assert broken.status_code == 400 and broken.json()["errors"][0]["column"] is None


def test_every_time_is_beijing_time_in_the_answer_and_when_read_back(client, db):
    from tests.factories import HouseholdFactory, PersonFactory

    household = HouseholdFactory()
    PersonFactory(household=household, name="王老汉", id_number="522634193801011716")
    _token, secret = make_token(department="health", fields=("medical-aid",), area=COUNTY)
    rows = [{"姓名": "王老汉", "身份证号": "522634193801011716", "死亡日期": "2026-02-10"}]
    pushed = _post(client, reverse("api:status_lists"), {"source": "death", "rows": rows}, secret)
    assert pushed.status_code == 201, pushed.content
    read = client.get(reverse("api:status_list", args=[pushed.json()["id"]]), **auth(secret))
    assert PLUS_8.match(pushed.json()["uploaded_at"]) and pushed.json()["uploaded_at"] == read.json()["uploaded_at"]


def test_every_time_in_a_referral_is_beijing_time(client, referral):
    _token, secret = make_token(fields=("medical-aid",), area=COUNTY)
    accepted = _post(client, reverse("api:referral_accept", args=[referral.pk]), {"note": "已受理"}, secret).json()
    listed = client.get(reverse("api:referrals"), **auth(secret)).json()["results"][0]
    times = [accepted[k] for k in ("submitted_at", "due_at", "updated_at")] + [e["at"] for e in accepted["events"]]
    times += [listed[k] for k in ("submitted_at", "due_at", "updated_at")]
    assert all(PLUS_8.match(t) for t in times), times


def test_the_schema_names_each_lists_headers_and_the_error_shape(client):
    schema = client.get(reverse("api:schema"), {"format": "json"}).json()
    push = schema["paths"]["/api/v1/status-lists/"]["post"]
    assert "`death`" in push["description"] and "身份证号*" in push["description"] and "死亡日期*" in push["description"]
    assert "公民身份号码*" in push["description"] and "残疾人证号" in push["description"]
    bad = push["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    assert bad.endswith("/Error")
    item = schema["components"]["schemas"]["ErrorItem"]["properties"]
    assert set(item) == {"row", "column", "message"}


def test_null_characters_are_refused_in_plain_chinese(client, referral):
    _token, secret = make_token(fields=("medical-aid",), area=COUNTY)
    r = _post(client, reverse("api:referral_decline", args=[referral.pk]), {"reason": "不属于\x00本部门"}, secret)
    assert r.status_code == 400
    assert r.json()["errors"][0]["message"] == "不能包含空字符(\\x00)。"
