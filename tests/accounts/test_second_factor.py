"""Second factor (TOTP + recovery codes) for county, prefecture and financial-supervisor staff,
step-up before full ID numbers, and password reuse refused — all in Chinese."""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, Role
from tests.beneficiaries.factories import county_officer, township_official
from tests.conftest import COUNTY
from tests.factories import PASSWORD, PersonFactory, user_with_role
from tests.otp import current_code, totp_device

pytestmark = [pytest.mark.django_db, pytest.mark.password_only]

CJK = re.compile(r"[\u4e00-\u9fff]")


def _sign_in(client, user):
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client.get(response["Location"], follow=True)


@pytest.mark.parametrize("role,area", [(Role.COUNTY, COUNTY), (Role.PREFECTURE, "522600000000"),
                                       (Role.FINANCIAL_SUPERVISOR, COUNTY)])
def test_the_roles_that_oversee_many_people_enrol_then_verify_before_any_page(client, role, area):
    user = user_with_role(role, area)
    page = _sign_in(client, user)
    assert page.request["PATH_INFO"] == reverse("accounts:otp_setup")
    body = page.content.decode()
    assert "设置二次验证" in body and "<svg" in body and 'data-testid="otp-secret"' in body
    # Every other page sends them back to enrolment, htmx requests included.
    assert client.get(reverse("home"))["Location"].startswith(reverse("accounts:otp_setup"))
    assert "/accounts/2fa/setup/" in client.get(reverse("home"), HTTP_HX_REQUEST="true")["HX-Redirect"]

    wrong = client.post(reverse("accounts:otp_setup"), {"code": "000000"})
    assert "验证码不正确" in wrong.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert device.throttling_failure_count == 1  # and the next try is held back (django-otp throttling)
    done = client.post(reverse("accounts:otp_setup"), {"code": current_code(device), "next": "/"})
    codes = re.findall(r"<li class=\"col mb-1\">([0-9a-f]{4}-[0-9a-f]{4})</li>", done.content.decode())
    assert len(codes) == 10 and "恢复码" in done.content.decode()
    assert client.get(reverse("home")).status_code == 200

    # Next sign-in: the code from the app, or a recovery code once.
    client.logout()
    page = _sign_in(client, user)
    assert page.request["PATH_INFO"] == reverse("accounts:otp_verify") and "二次验证" in page.content.decode()
    assert client.post(reverse("accounts:otp_verify"), {"code": codes[0], "next": "/"})["Location"] == "/"
    assert client.get(reverse("home")).status_code == 200
    assert AuditEvent.objects.filter(actor=user, action="login", details__second_factor="recovery").count() == 1
    client.logout()
    _sign_in(client, user)
    reused = client.post(reverse("accounts:otp_verify"), {"code": codes[0]})
    assert reused.status_code == 200 and "验证码不正确、已使用过或已过期" in reused.content.decode()
    device.refresh_from_db()
    assert client.post(reverse("accounts:otp_verify"), {"code": current_code(device)}).status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_other_roles_sign_in_with_the_password_alone(client):
    user = township_official()
    page = _sign_in(client, user)
    assert page.status_code == 200 and page.request["PATH_INFO"] == reverse("home")


def test_a_password_alone_cannot_enrol_another_phone(client):
    user = county_officer()
    totp_device(user)
    client.force_login(user)
    response = client.get(reverse("accounts:otp_setup"))
    assert response["Location"].startswith(reverse("accounts:otp_verify"))
    assert not TOTPDevice.objects.filter(user=user, confirmed=False).exists()


def test_revealing_a_full_number_needs_the_second_factor_in_this_session(client):
    person = PersonFactory()
    user = township_official()
    client.force_login(user)
    url = reverse("beneficiaries:id_reveal", args=[person.pk])
    first = client.post(url, HTTP_HX_REQUEST="true")
    assert first.status_code == 204 and first["HX-Redirect"].startswith(reverse("accounts:otp_setup"))
    assert not AuditEvent.objects.filter(action="reveal").exists()
    device = totp_device(user)
    redirect_to = client.post(reverse("accounts:otp_verify"), {"code": current_code(device),
                                                                "next": f"/roster/{person.household_id}/"})
    assert redirect_to["Location"] == f"/roster/{person.household_id}/"
    assert person.id_number in client.post(url).content.decode()


def test_a_full_id_export_needs_the_second_factor(client):
    user = county_officer()
    totp_device(user)
    client.force_login(user)
    url = reverse("beneficiaries:roster_export") + "?full_ids=1"
    assert client.get(url)["Location"].startswith(reverse("accounts:otp_verify"))
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_password_cannot_be_reused_and_every_message_is_chinese(client):
    user = township_official()
    client.force_login(user)
    url = reverse("accounts:password_change")

    def change(new):
        return client.post(url, {"old_password": current, "new_password1": new, "new_password2": new})

    current = PASSWORD
    same = change(PASSWORD)
    assert "不能与当前密码或最近 5 次使用过的密码相同" in " ".join(same.context["form"].errors["new_password2"])
    for new in ("Miao-Dong-2026-one", "Miao-Dong-2026-two"):
        assert change(new).status_code == 302
        client.force_login(user.__class__.objects.get(pk=user.pk))
        current = new
    again = change("Miao-Dong-2026-one")
    assert again.status_code == 200 and again.context["form"].errors["new_password2"]
    for bad in ("Ab1!short", "password1234", "12345678901234", user.username + "12"):
        errors = change(bad).context["form"].errors["new_password2"]
        assert errors and all(CJK.search(e) and not re.search(r"[A-Za-z]{4,}", e) for e in errors), errors


def test_demo_accounts_of_those_roles_get_the_printed_demo_secret(client):
    from io import StringIO

    from accounts import demo as accounts_demo
    from accounts.demo_otp import demo_code, demo_secret, seed_demo_devices

    accounts_demo.seed_users()
    out = StringIO()
    users = seed_demo_devices(stdout=out)
    assert sorted(u.username for u in users) == ["jinrong", "leishan", "zhou"]
    assert demo_secret() in out.getvalue()
    assert len(seed_demo_devices()) == 3 and TOTPDevice.objects.filter(user__in=users).count() == 3  # idempotent
    leishan = next(u for u in users if u.username == "leishan")
    client.post(reverse("accounts:login"), {"username": "leishan", "password": accounts_demo.DEMO_PASSWORD})
    assert client.post(reverse("accounts:otp_verify"), {"code": demo_code(), "next": "/"})["Location"] == "/"
    assert client.get(reverse("home")).status_code == 200 and leishan.is_authenticated


def test_new_recovery_codes_need_the_second_factor_and_replace_the_old_ones(client):
    from django_otp.plugins.otp_static.models import StaticToken

    from accounts.otp import new_recovery_codes
    from tests.otp import pass_second_factor

    user = township_official()
    old = new_recovery_codes(user)
    client.force_login(user)
    page = client.get(reverse("accounts:password_change")).content.decode()
    assert "重新生成恢复码" in page
    url = reverse("accounts:otp_recovery_codes")
    assert client.post(url)["Location"].startswith(reverse("accounts:otp_verify"))
    pass_second_factor(client, user)
    response = client.post(url)
    assert response.status_code == 200
    tokens = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(tokens) == 10 and not tokens & set(old)
