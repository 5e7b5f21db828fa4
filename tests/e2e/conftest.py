"""Browser journeys: Playwright driving Debian's /usr/bin/chromium against live_server.

Never downloads a browser. A failing journey leaves a full-page screenshot in
test-results/<test name>.png.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest
from django.test.testcases import LiveServerThread, ThreadedWSGIServer

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

# How long a journey's teardown waits for the server's requests in flight (seconds).
DRAIN_TIMEOUT = 60


class ServerRequests:
    """What the live server is doing, so a journey can wait for a server answer (not a sleep)
    and its teardown can wait until no request is in flight before the database is flushed
    (a request still running meets the flush's TRUNCATE: "deadlock detected")."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.in_flight = 0
        self.finished: list[tuple[str, str]] = []  # (method, path), in order

    def started(self) -> None:
        with self._changed:
            self.in_flight += 1

    def answered(self, method: str, path: str) -> None:
        with self._changed:
            self.in_flight -= 1
            self.finished.append((method, path))
            self._changed.notify_all()

    def wait(self, predicate, timeout: float, what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(predicate, timeout=timeout):
                raise AssertionError(f"the live server: {what} not true after {timeout:.0f} s")

    def wait_idle(self, timeout: float = DRAIN_TIMEOUT) -> None:
        try:
            self.wait(lambda: self.in_flight <= 0, timeout, "no request in flight")
        finally:
            with self._changed:
                self.in_flight = 0  # one journey's stuck request must not fail the next ones

    def wait_answered(self, method: str, path_pattern: str, after: int = 0, timeout: float = 30) -> None:
        """Block until the server has answered a request matching (method, path regex), counting
        only requests answered after the first `after` ones (see mark())."""
        rx = re.compile(path_pattern)
        self.wait(lambda: any(m == method and rx.search(p) for m, p in self.finished[after:]),
                  timeout, f"{method} {path_pattern} answered")

    def mark(self) -> int:
        with self._changed:
            return len(self.finished)


# Counted at the live server's WSGI entry, not with Django's request signals: the test client
# sends those too, and a streamed response a test never reads would never count as finished.
SERVER = ServerRequests()


class _Answered:
    """Wraps the WSGI application: notes each request once its response is closed (sent)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        SERVER.started()
        try:
            response = self.app(environ, start_response)
        except BaseException:
            SERVER.answered(method, path)
            raise
        return _Closing(response, method, path)


class _Closing:
    def __init__(self, response, method: str, path: str):
        self.response, self.method, self.path = response, method, path

    def __iter__(self):
        return iter(self.response)

    def close(self) -> None:
        try:
            close = getattr(self.response, "close", None)
            if close is not None:
                close()
        finally:
            SERVER.answered(self.method, self.path)


class _AnsweringServer(ThreadedWSGIServer):
    """The live server with a deep accept queue (on a busy machine the stock queue of 10 refuses
    connections) that records each answered request."""

    request_queue_size = 128

    def set_app(self, application):
        super().set_app(_Answered(application))


# Only browser journeys start a live server; they all get this one.
LiveServerThread.server_class = _AnsweringServer


@pytest.fixture
def server_requests(live_server) -> ServerRequests:
    return SERVER


@pytest.fixture(scope="module")
def shared_demo(django_db_setup, django_db_blocker, live_server):
    """The demo data (`seed_demo`, a small roster) seeded once for a module of journeys that only
    read pages, and flushed after its last test as a transactional test's would be."""
    from django.core.management import call_command

    from tests.conftest import flush_test_database

    with django_db_blocker.unblock():
        call_command("seed_demo", households=40, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    yield
    with django_db_blocker.unblock():
        flush_test_database()


@pytest.fixture
def on_the_shared_demo(shared_demo, live_server, django_db_blocker):
    """A journey on the module's shared demo database: no per-test database and no flush; the
    test and the live server read and write the committed rows directly. A module uses it by
    overriding pytest-django's autouse `_live_server_helper` with a fixture that requests it."""
    live_server._live_server_modified_settings.enable()
    with django_db_blocker.unblock():
        yield
    live_server._live_server_modified_settings.disable()


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


@pytest.fixture(autouse=True)
def _nothing_outlives_the_journey(request):
    """After a journey (before its database is flushed): every browser context it opened is
    closed — pages, service workers and their retries with them — and every request the server
    had already received has been answered."""
    yield
    if "live_server" not in request.fixturenames:
        return
    browser = request.getfixturevalue("browser")
    for context in list(browser.contexts):
        context.close()
    SERVER.wait_idle()


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
    from playwright.sync_api import expect

    toggler = page.locator(".navbar-toggler")
    nav = page.locator("#mainnav")
    if toggler.is_visible():
        toggler.click()
        expect(nav).to_have_class(re.compile(r"\bshow\b"))  # the phone's menu has opened
    # A group's toggle has the role "button"; a top-level entry is a link. Both are .nav-link.
    entry = nav.locator(".nav-link").get_by_text(group, exact=True).first
    if item is None:
        entry.click()
        return
    link = nav.locator(".dropdown-menu.show").get_by_role("link", name=item, exact=True)
    # What the person waits for is the group's list open. A tap that landed while the phone's menu
    # was still unfolding opens nothing, and the person taps again.
    for _attempt in range(3):
        if entry.get_attribute("aria-expanded") != "true":
            entry.click()
        try:
            expect(link).to_be_visible(timeout=5_000)
            break
        except AssertionError:
            continue
    link.click()


def pick(page, label: str, search: str, option: str | None = None) -> None:
    """Choose in a searchable picker (<select data-picker>, Tom Select): type `search` into the
    box labelled `label`, click the first choice containing `option` (or `search`), and wait for
    what the user waits for: the choice shown in the field and its list closed."""
    from playwright.sync_api import expect

    box = page.get_by_role("combobox", name=label)
    box.click()
    box.fill(search)
    # This picker's own list (the page may hold several): Tom Select names it in aria-controls.
    listbox = page.locator(f"#{box.get_attribute('aria-controls')}")
    listbox.locator(".option").filter(has_text=option or search).first.click()
    wrapper = page.locator(".ts-wrapper").filter(has=box)
    expect(wrapper.locator(".ts-control .item")).to_contain_text(option or search)
    expect(listbox).to_be_hidden()
    page.keyboard.press("Tab")


def wait_js(page, expression: str, timeout: float = 15_000) -> None:
    """Wait until a page expression is truthy (a promise is awaited). page.wait_for_function
    would evaluate the string with eval in the page, which the site's Content-Security-Policy (no
    'unsafe-eval') refuses; here the expression is compiled by DevTools into a function that
    checks it in the page every 50 ms until it holds. A navigation meanwhile
    starts the wait again on the new page."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    check = f"({expression})()" if re.match(r"^\s*(async\s*)?\(\)\s*=>", expression) else f"({expression})"
    waiter = f"""async (timeout) => {{
        const deadline = performance.now() + timeout;
        while (performance.now() < deadline) {{
            try {{ if (await {check}) return true; }} catch (e) {{}}
            await new Promise((resolve) => setTimeout(resolve, 50));
        }}
        return false;
    }}"""
    deadline = time.monotonic() + timeout / 1000
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise PlaywrightTimeout(f"wait_js: {expression!r} not true after {timeout:.0f} ms")
        try:
            if page.evaluate(waiter, left * 1000):
                return
        except PlaywrightError:  # the page navigated meanwhile: wait on the new one
            page.wait_for_load_state()
