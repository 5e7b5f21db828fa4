"""Browser journeys: Playwright driving Debian's /usr/bin/chromium against live_server.

Never downloads a browser. A failing journey leaves a full-page screenshot in
test-results/<test name>.png.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian's chromium is needed for browser journeys: apt-get install chromium ({CHROMIUM} missing)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _new_page(browser, request, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        RESULTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def page(browser, request, live_server):
    yield from _new_page(browser, request, DESKTOP)


@pytest.fixture
def phone_page(browser, request, live_server):
    yield from _new_page(browser, request, PHONE)


@pytest.fixture
def login(live_server):
    """login(page, username) — signs in through the real login form."""
    from tests.factories import PASSWORD

    def _login(page, username: str, password: str = PASSWORD) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))
        if "/accounts/2fa/" in page.url:
            pass_second_factor(page, username)

    return _login


def pass_second_factor(page, username: str) -> None:
    """On the enrolment or verification page: type the code the user's authenticator app would
    show (computed here from the device's key, like the app), finishing enrolment if needed.
    County, prefecture and financial-supervisor journeys meet it at login; others before a reveal."""
    from accounts.models import User
    from tests.otp import current_code

    page.wait_for_url(re.compile(r".*/accounts/2fa/(setup|verify)/.*"))
    user = User.objects.get(username=username)
    enrolling = "/accounts/2fa/setup/" in page.url
    device = user.totpdevice_set.filter(confirmed=not enrolling).order_by("-id").first()
    page.get_by_label("验证码").fill(current_code(device))
    page.get_by_role("button", name="完成设置" if enrolling else "验证").click()
    if enrolling:
        page.get_by_test_id("recovery-codes").wait_for()
        page.get_by_role("link", name="我已保存，继续").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/2fa/).*$"))


def open_menu(page, group: str, item: str | None = None) -> None:
    """Navigate through the top menu: a top-level link, or a drop-down group and its item
    (opening the phone's collapsed menu first when it is collapsed)."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    nav = page.locator("#mainnav")
    # A group's toggle has the role "button"; a top-level entry is a link. Both are .nav-link.
    nav.locator(".nav-link").get_by_text(group, exact=True).first.click()
    if item is not None:
        nav.locator(".dropdown-menu.show").get_by_role("link", name=item, exact=True).click()


def pick(page, label: str, search: str, option: str | None = None) -> None:
    """Choose in a searchable picker (<select data-picker>, Tom Select): type `search` into the
    box labelled `label`, then click the first choice containing `option` (or `search`)."""
    box = page.get_by_role("combobox", name=label)
    box.click()
    box.fill(search)
    page.locator(".ts-dropdown .option").filter(has_text=option or search).first.click()
    # Wait until the choice is made and the list has closed, so the next click lands where meant.
    page.locator(".ts-dropdown").first.wait_for(state="hidden")
    page.keyboard.press("Tab")


def wait_js(page, expression: str, timeout: float = 15_000, interval: float = 100) -> None:
    """page.wait_for_function without `eval` in the page: Playwright's polling evaluates a string
    predicate with eval, which the site's Content-Security-Policy (no 'unsafe-eval') refuses.
    Here the expression is evaluated from outside (DevTools protocol) until it is truthy."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    waited = 0.0
    while True:
        try:
            if page.evaluate(expression):
                return
        except Exception:  # noqa: BLE001 - a navigation in progress; try again
            pass
        if waited >= timeout:
            raise PlaywrightTimeout(f"wait_js: {expression!r} not true after {timeout:.0f} ms")
        page.wait_for_timeout(interval)
        waited += interval
