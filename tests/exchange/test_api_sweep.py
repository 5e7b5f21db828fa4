"""The API scoping sweep: every token against every endpoint and every id outside its department,
fields or area → 404 (the same as a missing row); a revoked or expired token → 401 everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from exchange.actions import token_revoke
from tests.conftest import OTHER_COUNTY
from tests.factories import area
from tests.services.factories import make_referral, paired_household

from .factories import auth, bureau, make_token

pytestmark = pytest.mark.django_db

COUNTY = "522634000000"

# (url name, method, body) of every endpoint that takes an id.
BY_ID = [
    ("api:referral", "get", None),
    ("api:referral_accept", "post", {}),
    ("api:referral_start", "post", {}),
    ("api:referral_resolve", "post", {"outcome": "已办结"}),
    ("api:referral_decline", "post", {"reason": "不属于本部门"}),
    ("api:household", "get", None),
    ("api:status_list", "get", None),
]
# Every endpoint, for the 401 sweep.
ALL = [*BY_ID, ("api:referrals", "get", None), ("api:lists", "get", None), ("api:list_rows", "get", None),
       ("api:status_lists", "post", {"source": "medical", "rows": [{"证件号码": "x"}]})]


def _call(client, name, method, body, pk, secret):
    args = [] if name in ("api:referrals", "api:lists", "api:status_lists") else (
        ["education"] if name == "api:list_rows" else [pk])
    url = reverse(name, args=args)
    if method == "get":
        return client.get(url, **auth(secret))
    return client.post(url, body, content_type="application/json", **auth(secret))


@pytest.fixture
def rows(db):
    """Referrals to 医保 and 教育 in 雷山县 and in 凯里市, and a status-list push by each token."""
    household, cadre = paired_household("sweep_cadre")
    kaili = area(OTHER_COUNTY).descendants().filter(level="village").order_by("code").first()
    other, other_cadre = paired_household("sweep_kaili", village=kaili)
    return {
        ("medical-aid", COUNTY): make_referral(actor=cadre, household=household, field_code="medical-aid"),
        ("education-aid", COUNTY): make_referral(actor=cadre, household=household, field_code="education-aid"),
        ("medical-aid", OTHER_COUNTY): make_referral(actor=other_cadre, household=other, field_code="medical-aid"),
        ("education-aid", OTHER_COUNTY): make_referral(actor=other_cadre, household=other,
                                                       field_code="education-aid"),
    }


TOKENS = [
    ("medical-security", "medical-aid", COUNTY),
    ("medical-security", "medical-aid", OTHER_COUNTY),
    ("education", "education-aid", COUNTY),
    ("education", "education-aid", OTHER_COUNTY),
]


def test_every_token_gets_404_for_every_id_outside_its_department_fields_or_area(client, rows):
    # A status-list push per token, so each token has an id of its own and ids of others.
    from exchange.models import CrossCheck

    tokens = {}
    for department, field, where in TOKENS:
        token, secret = make_token(department=department, fields=(field,), area=where)
        tokens[(field, where)] = (token, secret)
    checks = {key: CrossCheck.objects.create(source="medical", area=token.area, token=token, uploaded_by=token.user)
              for key, (token, _s) in tokens.items()}
    outsiders = 0
    for key, (_token, secret) in tokens.items():
        for other_key, referral in rows.items():
            if other_key == key:
                continue
            for name, method, body in BY_ID:
                if name == "api:status_list":
                    pk = checks[other_key].pk
                elif name == "api:household":
                    # The household is reachable only when a referral of the token's own is there.
                    if other_key[1] == key[1]:
                        continue
                    pk = referral.household_id
                else:
                    pk = referral.pk
                response = _call(client, name, method, body, pk, secret)
                assert response.status_code == 404, (key, other_key, name, response.status_code)
                outsiders += 1
        # And the token's own rows answer.
        own = rows[key]
        assert _call(client, "api:referral", "get", None, own.pk, secret).status_code == 200
        assert _call(client, "api:household", "get", None, own.household_id, secret).status_code == 200
        assert _call(client, "api:status_list", "get", None, checks[key].pk, secret).status_code == 200
    assert outsiders > 60
    for referral in rows.values():
        referral.refresh_from_db()
        assert referral.status == "submitted"


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_a_revoked_or_expired_token_is_401_on_every_endpoint(client, rows, how):
    token, secret = make_token(area=COUNTY)
    own = rows[("medical-aid", COUNTY)]
    if how == "revoked":
        token_revoke(actor=bureau("sweep-bureau"), token=token)
        travel = time_machine.travel(dt.datetime.now(dt.UTC), tick=True)
    else:
        travel = time_machine.travel(token.expires_at + dt.timedelta(minutes=1), tick=False)
    with travel:
        for name, method, body in ALL:
            pk = own.household_id if name == "api:household" else own.pk
            assert _call(client, name, method, body, pk, secret).status_code == 401, name
