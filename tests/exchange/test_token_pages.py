"""The bureau's token page: create (secret shown once), revoke; nobody else reaches it."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Department, Role
from exchange.models import ApiToken
from services.models import Field
from tests.factories import user_with_role

from .factories import bureau

pytestmark = pytest.mark.django_db


def _post(client, **over):
    data = {"name": "州医保局医疗救助系统", "department": Department.objects.get(code="medical-security").pk,
            "fields": [Field.objects.get(code="medical-aid").pk], "area": "522634000000",
            "expires_on": "2099-01-01"}
    data.update(over)
    return client.post(reverse("exchange:tokens"), data)


def test_the_bureau_creates_a_token_and_sees_its_secret_once(client):
    client.force_login(bureau())
    r = _post(client, expires_on=(dt.date.today() + dt.timedelta(days=365)).isoformat())
    assert r.status_code == 200
    token = ApiToken.objects.get()
    secret = r.context["secret"]
    assert secret.startswith("care_") and secret in r.content.decode()
    assert secret not in client.get(reverse("exchange:tokens")).content.decode()
    assert AuditEvent.objects.filter(object_type="exchange.apitoken", action="create", object_id=str(token.pk)).exists()


def test_a_field_not_of_the_department_or_a_far_expiry_is_refused_and_what_was_typed_stays(client):
    client.force_login(bureau())
    r = _post(client, fields=[Field.objects.get(code="education-aid").pk], expires_on="2099-01-01")
    assert not ApiToken.objects.exists()
    form = r.context["form"]
    assert "不是州医保局的帮扶领域" in str(form.errors["fields"])
    assert "最长两年" in str(form.errors["expires_on"])
    assert 'value="州医保局医疗救助系统"' in r.content.decode()


def test_revoking_is_immediate_and_audited(client):
    user = bureau()
    client.force_login(user)

    _post(client, expires_on=(dt.date.today() + dt.timedelta(days=30)).isoformat())
    token = ApiToken.objects.get()
    assert client.post(reverse("exchange:token_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == user and not token.user.is_active


@pytest.mark.parametrize("role,where", [(Role.COUNTY, "522634000000"), (Role.TOWNSHIP, "522634101000")])
def test_no_one_but_the_bureau_reaches_the_token_page(client, role, where):
    client.force_login(user_with_role(role, where))
    assert client.get(reverse("exchange:tokens")).status_code == 404

