"""Journey: a county officer signs in, enrols an authenticator app by its QR code page, keeps the
recovery codes, and reaches the start page; a later sign-in asks for the code. Screenshots of the
pages at phone and desktop width go to test-results/."""

import re

import pytest

from tests.beneficiaries.factories import county_officer
from tests.e2e.conftest import PHONE, RESULTS
from tests.factories import PASSWORD
from tests.otp import current_code

pytestmark = pytest.mark.django_db(transaction=True)


def _shot(page, name):
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"otp_{name}_{page.viewport_size['width']}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1366, "height": 900}], ids=["phone", "desktop"])
def test_county_officer_enrols_and_later_verifies(page, live_server, viewport):
    page.set_viewport_size(viewport)
    user = county_officer(username="leishan_e2e")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("leishan_e2e")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/accounts/2fa/setup/.*"))
    assert page.get_by_test_id("otp-qr").locator("svg").is_visible()
    _shot(page, "setup")
    page.get_by_label("验证码").fill("123456")
    page.get_by_role("button", name="完成设置").click()
    assert "验证码不正确" in page.content()
    device = user.totpdevice_set.get(confirmed=False)
    page.get_by_label("验证码").fill(current_code(device))
    page.get_by_role("button", name="完成设置").click()
    assert page.get_by_test_id("recovery-codes").locator("li").count() == 10
    _shot(page, "recovery")
    page.get_by_role("link", name="我已保存，继续").click()
    page.wait_for_url(f"{live_server.url}/")

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("leishan_e2e")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/accounts/2fa/verify/.*"))
    _shot(page, "verify")
    device.refresh_from_db()
    page.get_by_label("验证码").fill(current_code(device))
    page.get_by_role("button", name="验证").click()
    page.wait_for_url(f"{live_server.url}/")
