"""The departments' API: tokens, scope (outside = 404), actions through the services state machine,
audit of every read of personal data, rate limits."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuditEvent
from exchange.actions import token_revoke
from exchange.models import ApiToken
from services.models import Referral, ReferralEvent, ReferralStatus
from tests.conftest import OTHER_COUNTY
from tests.factories import HouseholdFactory, PersonFactory, area
from tests.services.factories import make_referral, paired_household

from .factories import auth, bureau, make_token

pytestmark = pytest.mark.django_db

COUNTY = "522634000000"  # 雷山县, where the factories' households live


@pytest.fixture
def world(db):
    """Two referrals of 雷山县 (medical to 医保, education to 教育) and one medical in 凯里市."""
    household, cadre = paired_household("cadre_api")
    medical = make_referral(actor=cadre, household=household, field_code="medical-aid")
    education = make_referral(actor=cadre, household=household, field_code="education-aid")
    kaili_village = area(OTHER_COUNTY).descendants().filter(level="village").order_by("code").first()
    other, other_cadre = paired_household("cadre_kaili", village=kaili_village)
    far = make_referral(actor=other_cadre, household=other, field_code="medical-aid")
    return {"household": household, "medical": medical, "education": education, "far": far, "other": other}


def test_a_token_is_kept_as_its_sha256_and_names_its_department(db):
    token, secret = make_token()
    assert secret.startswith(f"care_{token.prefix}_")
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert not ApiToken.objects.filter(key_hash=secret).exists()
    assert not token.user.has_usable_password()


def test_a_token_lists_only_its_departments_referrals_of_its_fields_and_area(client, world):
    _token, secret = make_token(area=COUNTY)
    body = client.get(reverse("api:referrals"), **auth(secret)).json()
    assert [r["id"] for r in body["results"]] == [world["medical"].pk]
    row = body["results"][0]
    assert row["subject_name"] == "王阿婆"
    assert "*" in row["subject_id_masked"] and len(row["subject_id_masked"]) == 18


def test_a_referral_outside_the_token_is_404_like_a_missing_one(client, world):
    _token, secret = make_token(area=COUNTY)
    for referral in (world["education"], world["far"]):
        assert client.get(reverse("api:referral", args=[referral.pk]), **auth(secret)).status_code == 404
        assert client.post(reverse("api:referral_accept", args=[referral.pk]), {}, content_type="application/json",
                           **auth(secret)).status_code == 404
    assert client.get(reverse("api:referral", args=[999999]), **auth(secret)).status_code == 404
    assert Referral.objects.get(pk=world["far"].pk).status == ReferralStatus.SUBMITTED


def test_accept_and_resolve_go_through_the_state_machine_with_the_tokens_user(client, world):
    token, secret = make_token(area=COUNTY)
    url = reverse("api:referral_accept", args=[world["medical"].pk])
    r = client.post(url, {"note": "已受理"}, content_type="application/json", **auth(secret))
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    # The same step twice is a conflict, not a second event.
    assert client.post(url, {}, content_type="application/json", **auth(secret)).status_code == 409
    resolve = reverse("api:referral_resolve", args=[world["medical"].pk])
    r = client.post(resolve, {}, content_type="application/json", **auth(secret))
    assert r.status_code == 400 and r.json()["errors"] == [{"row": None, "column": "outcome", "message": "该字段是必填项。"}]
    r = client.post(resolve, {"outcome": "已纳入医疗救助"}, content_type="application/json", **auth(secret))
    assert r.status_code == 200
    assert [e["action"] for e in r.json()["events"]] == ["submit", "accept", "resolve"]
    referral = Referral.objects.get(pk=world["medical"].pk)
    assert referral.status == "resolved" and referral.outcome == "已纳入医疗救助"
    assert ReferralEvent.objects.filter(referral=referral, actor=token.user).count() == 2


def test_revoked_expired_unknown_and_missing_tokens_are_401(client, world):
    token, secret = make_token(area=COUNTY)
    url = reverse("api:referrals")
    assert client.get(url, **auth(secret)).status_code == 200
    assert client.get(url).status_code == 401
    assert client.get(url, **auth(secret + "x")).status_code == 401
    assert client.get(url, HTTP_AUTHORIZATION="Bearer").status_code == 401
    with time_machine.travel(token.expires_at + dt.timedelta(seconds=1), tick=False):
        assert client.get(url, **auth(secret)).status_code == 401
    token_revoke(actor=bureau("bureau-revoke"), token=token)
    r = client.get(url, **auth(secret))
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_read_of_personal_data_is_audited_with_the_tokens_department(client, world):
    token, secret = make_token(area=COUNTY)
    client.get(reverse("api:referrals"), **auth(secret))
    client.get(reverse("api:referral", args=[world["medical"].pk]), **auth(secret))
    client.get(reverse("api:household", args=[world["household"].pk]), **auth(secret))
    events = AuditEvent.objects.filter(actor=token.user, action="view").order_by("id")
    assert [e.object_type for e in events] == ["services.referral", "services.referral", "beneficiaries.household"]
    assert all(e.details["department"] == "medical-security" and e.details["via"] == "api" for e in events)


def test_household_data_is_the_fields_minimum_and_masked(client, world):
    _token, secret = make_token(area=COUNTY)
    body = client.get(reverse("api:household", args=[world["household"].pk]), **auth(secret)).json()
    member = body["members"][0]
    assert member["serious_illness"] is False  # medical aid needs it
    assert member["work_capacity"] is None and member["civil_capacity"] is None  # it does not need these
    assert body["address"] is None
    assert "*" in member["id_number_masked"]


def test_a_household_the_token_has_no_referral_or_list_for_is_404(client, world):
    _token, secret = make_token(area=COUNTY)
    stranger = HouseholdFactory()
    PersonFactory(household=stranger)
    for pk in (stranger.pk, world["other"].pk, 10**9):
        assert client.get(reverse("api:household", args=[pk]), **auth(secret)).status_code == 404


def test_education_list_is_read_for_the_tokens_area_and_filtered_incrementally(client, db):
    today = dt.date.today()
    household = HouseholdFactory(tier="A")
    PersonFactory(household=household, relation="head")
    child = PersonFactory(household=household, relation="child",
                          birth_date=today.replace(year=today.year - 10) - dt.timedelta(days=3))
    _token, secret = make_token(department="education", fields=("education-aid",), area=COUNTY)
    url = reverse("api:list_rows", args=["education"])
    rows = client.get(url, **auth(secret)).json()["results"]
    assert [r["person_id"] for r in rows] == [child.pk]
    assert rows[0]["stage"] == "义务教育" and "*" in rows[0]["id_number_masked"]
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    assert client.get(url, {"updated_since": later}, **auth(secret)).json()["count"] == 0
    assert client.get(url, {"area": OTHER_COUNTY}, **auth(secret)).status_code == 404
    assert client.get(url, {"area": "12"}, **auth(secret)).status_code == 400
    # A list of another field is not there for this token.
    assert client.get(reverse("api:list_rows", args=["zero"]), **auth(secret)).status_code == 404
    keys = [x["key"] for x in client.get(reverse("api:lists"), **auth(secret)).json()["results"]]
    assert keys == ["education"]


def test_requests_beyond_the_tokens_rate_are_429(client, world, settings):
    settings.API_RATE_PER_MINUTE = 2
    _token, secret = make_token(area=COUNTY)
    codes = [client.get(reverse("api:referrals"), **auth(secret)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_the_schema_and_the_reference_page_are_served_without_a_cdn(client):
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    page = client.get(reverse("api:docs"))
    html = page.content.decode()
    assert page.status_code == 200 and "部门数据共享接口" in html
    assert "redoc.standalone.js" in html and "https://" not in html


def test_every_operation_documents_its_error_answers(client):
    schema = client.get(reverse("api:schema") + "?format=json").json()
    ops = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(ops) == 11
    for path, method, op in ops:
        codes = set(op["responses"])
        assert {"401", "429"} <= codes, (path, method)
        if "{" in path or "lists/{key}" in path:
            assert "404" in codes, (path, method)
        if method == "post":
            assert "400" in codes, (path, method)
        assert op["summary"] and all("\u4e00" <= ch <= "\u9fff" or not ch.isalpha() for ch in op["summary"][:2])
