"""Journeys of the offline cadre app on a 390×844 phone (docs/offline.md):

(a) two visits in a row to one household from the same browser are two visits — through the
    outbox (JavaScript) and through the plain form post (no JavaScript);
(b) the app opened once online; offline, two visits (one with a photo) to two households wait
    as 待上传 2; back online they arrive once each, the photo resized, 待上传 0;
(c) the same outbox replayed by a flaky network (answers lost after the server stored the
    visit) is still stored once per visit.
Screenshots for the cadre guide go to docs/guides/img/."""

from __future__ import annotations

import datetime as dt
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from beneficiaries.models import Classification, Household
from tests.e2e.conftest import DESKTOP, PHONE, wait_js
from tests.e2e.visit_form import answer_checklist
from tests.factories import HouseholdFactory, PairingFactory, PersonFactory, cadre_user
from tests.visits.factories import VisitFactory
from visits.actions import schedule_refresh
from visits.models import Visit, VisitPhoto

pytestmark = pytest.mark.django_db(transaction=True)
GUIDE_IMG = Path(__file__).resolve().parents[2] / "docs" / "guides" / "img"
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


def _household(cadre, head, tier="A", days_ago=10):
    today = timezone.localdate()
    h = HouseholdFactory(tier=tier, tier_since=dt.date(2025, 1, 1))
    Classification.objects.create(household=h, tier=tier, criteria=[f"{tier}1"], effective_on=dt.date(2025, 1, 1))
    PersonFactory(household=h, name=head)
    PairingFactory(household=h, cadre=cadre, started_on=dt.date(2025, 1, 1))
    VisitFactory(household=h, visited_on=today - dt.timedelta(days=days_ago), notes="上次走访：身体尚可")
    schedule_refresh(households=Household.objects.filter(pk=h.pk), today=today)
    return h


def _answer(page, met_with: str) -> None:
    """Answer every question of the form: the first choice of each radio group (the ordinary
    answer: 良好, 正常, 安全…), text for required boxes, and who was met."""
    page.evaluate(
        """() => {
          const f = document.getElementById('visit-form');
          const names = new Set([...f.querySelectorAll('input[type=radio]')].map(i => i.name));
          names.forEach(n => { if (!f.querySelector(`input[name="${n}"]:checked`)) f.querySelector(`input[name="${n}"]`).click(); });
          f.querySelectorAll('select[required]').forEach(s => {
            if (!s.value) { s.value = [...s.options].find(o => o.value).value; s.dispatchEvent(new Event('change', {bubbles: true})); }
          });
          f.querySelectorAll('textarea[required], input[type=text][required]').forEach(i => {
            if (!i.value) { i.value = '已询问'; i.dispatchEvent(new Event('input', {bubbles: true})); }
          });
        }"""
    )
    page.get_by_label("见到的人").fill(met_with)
    answer_checklist(page)  # the §3 core items, the multi-choice ones and the person's wishes included


def _png(width: int, height: int) -> bytes:
    """A real (large) PNG, as a phone camera would give, without an imaging library."""
    row = b"\x00" + bytes([200, 120, 40]) * width
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def _jpeg_size(data: bytes) -> tuple[int, int]:
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    i = 2
    while i < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    raise AssertionError("no frame header")


def _shot(page, name: str) -> None:
    GUIDE_IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(GUIDE_IMG / name), full_page=True)


def _open_app(page, live_server, login, username):
    """Sign in and open 我的结对户 online: the worker takes over and the pages are kept."""
    login(page, username)
    page.goto(f"{live_server.url}/visits/mine/")
    try:
        wait_js(page, "navigator.serviceWorker.controller !== null && document.documentElement.dataset.offlineReady")
    except PlaywrightError:
        state = page.evaluate("""navigator.serviceWorker.getRegistration().then(r => JSON.stringify({
            controller: !!navigator.serviceWorker.controller, ready: document.documentElement.dataset.offlineReady,
            reg: r && [r.installing && r.installing.state, r.waiting && r.waiting.state, r.active && r.active.state]}))""")
        raise AssertionError(f"the app did not get ready for offline use: {state}") from None


def _expect_outbox(page, n: int) -> None:
    expect(page.get_by_test_id("outbox-count")).to_have_text(str(n))


def test_two_visits_in_a_row_through_the_outbox(phone_page, live_server, login):
    user, cadre = cadre_user("zhangmin", name="张敏")
    h = _household(cadre, "王阿婆")
    login(phone_page, "zhangmin")
    tokens = []
    for n in (1, 2):
        phone_page.goto(f"{live_server.url}/visits/mine/")
        phone_page.locator(f'[data-code="{h.code}"]').click()
        token = phone_page.locator('[name="client_token"]').input_value()
        assert token not in tokens
        tokens.append(token)
        _answer(phone_page, f"王阿婆本人（第{n}次）")
        if n == 2:
            phone_page.set_viewport_size(DESKTOP)
            _shot(phone_page, "visit-form-1366.png")
            phone_page.set_viewport_size(PHONE)
        phone_page.get_by_role("button", name="保存走访记录").click()
        phone_page.wait_for_url(re.compile(r"/visits/mine/$"))
        flash = phone_page.get_by_test_id("flash").inner_text()  # the server's message, naming the household
        assert "王阿婆" in flash and "保存" in flash
        _expect_outbox(phone_page, 0)
    assert sorted(Visit.objects.filter(household=h).exclude(client_token=None).values_list("met_with", flat=True)) == [
        "王阿婆本人（第1次）", "王阿婆本人（第2次）"]

    # A draft keeps what was typed, but never the attempt's token.
    phone_page.locator(f'[data-code="{h.code}"]').click()
    phone_page.get_by_label("见到的人").fill("草稿：王阿婆的女儿")
    wait_js(phone_page, f"() => CareOutbox.getDraft(CareOffline.user, {h.pk})"
                        ".then(d => !!d && JSON.stringify(d.fields).includes('草稿：王阿婆的女儿'))")
    draft_token = phone_page.locator('[name="client_token"]').input_value()
    phone_page.goto(f"{live_server.url}/visits/households/{h.pk}/record/")
    assert phone_page.get_by_label("见到的人").input_value() == "草稿：王阿婆的女儿"
    assert phone_page.get_by_test_id("draft-restored").is_visible()
    assert phone_page.locator('[name="client_token"]').input_value() not in (*tokens, draft_token)

    phone_page.goto(f"{live_server.url}/visits/households/{h.pk}/")
    timeline = phone_page.get_by_test_id("timeline").inner_text()
    assert "见到 王阿婆本人（第1次）" in timeline and "见到 王阿婆本人（第2次）" in timeline
    assert Visit.objects.filter(household=h).count() == 3  # the one before, and the two recorded


def test_two_visits_in_a_row_without_javascript(browser, live_server, login):
    """The plain form post (no script at all) is the second capture path: each opening of the
    form is a new attempt (server-minted token), redirected with ?saved=<token>."""
    user, cadre = cadre_user("zhangmin", name="张敏")
    h = _household(cadre, "王阿婆")
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", java_script_enabled=False)
    page = context.new_page()
    try:
        login(page, "zhangmin")
        for n in (1, 2):
            page.goto(f"{live_server.url}/visits/households/{h.pk}/record/")
            token = page.locator('[name="client_token"]').input_value()
            for name in page.locator("#visit-form input[type=radio]").evaluate_all(
                    "els => [...new Set(els.map(e => e.name))]"):
                page.locator(f'#visit-form input[name="{name}"]').first.check()
            page.get_by_label("见到的人").fill(f"第{n}次（无脚本）")
            answer_checklist(page)
            page.get_by_role("button", name="保存走访记录").click()
            page.wait_for_url(re.compile(rf"/visits/mine/\?saved={token}$"))
        assert Visit.objects.filter(household=h, met_with__contains="无脚本").count() == 2
    finally:
        context.close()


def test_offline_visits_wait_in_the_outbox_and_arrive_once(phone_page, live_server, login, tmp_path):
    user, cadre = cadre_user("zhangmin", name="张敏")
    h1 = _household(cadre, "王阿婆", days_ago=20)
    h2 = _household(cadre, "杨大伯", tier="B", days_ago=12)
    before = Visit.objects.count()
    photo = tmp_path / "IMG_0001.png"
    photo.write_bytes(_png(3200, 2400))
    page, context = phone_page, phone_page.context
    _open_app(page, live_server, login, "zhangmin")
    assert "已保存 2 户走访表" in page.get_by_test_id("offline-state").inner_text()

    context.set_offline(True)
    page.goto(f"{live_server.url}/visits/mine/")  # served by the worker from this phone
    assert page.get_by_test_id("offline-banner").is_visible()
    page.locator(f'[data-code="{h1.code}"]').click()
    assert "上次走访" in page.content() and "上次走访：身体尚可" in page.content()
    _answer(page, "王阿婆本人")
    page.get_by_label("照片（可选）").set_input_files(str(photo))
    page.get_by_test_id("photo-info").filter(has_text="压缩后").wait_for()
    _shot(page, "offline-visit-form.png")
    page.get_by_role("button", name="保存走访记录").click()
    page.wait_for_url(re.compile(r"/visits/mine/$"))
    assert "没有网络：王阿婆 的走访已保存在本机" in page.get_by_test_id("flash").inner_text()
    _expect_outbox(page, 1)

    page.locator(f'[data-code="{h2.code}"]').click()
    _answer(page, "杨大伯和老伴")
    page.get_by_role("button", name="保存走访记录").click()
    page.wait_for_url(re.compile(r"/visits/mine/$"))
    _expect_outbox(page, 2)
    assert page.get_by_test_id("outbox-badge").inner_text() == "待上传 2"
    assert page.get_by_test_id("outbox-entry").count() == 2
    _shot(page, "offline-outbox-390.png")
    page.set_viewport_size(DESKTOP)
    _shot(page, "offline-outbox-1366.png")
    page.set_viewport_size(PHONE)
    assert Visit.objects.count() == before

    context.set_offline(False)
    wait_js(page, "document.querySelector('[data-testid=outbox-count]')?.textContent === '0'"
                           " && !document.querySelector('#offline-banner')", timeout=30_000)
    assert page.get_by_test_id("outbox-badge").is_hidden()
    _shot(page, "offline-uploaded-390.png")

    stored = Visit.objects.exclude(client_token=None)
    assert sorted(stored.values_list("household_id", flat=True)) == sorted([h1.pk, h2.pk])
    v1 = stored.get(household=h1)
    assert v1.met_with == "王阿婆本人" and stored.get(household=h2).met_with == "杨大伯和老伴"
    (p,) = VisitPhoto.objects.filter(visit=v1)
    data = p.image.read()
    assert max(_jpeg_size(data)) == 1600 and p.image.name.endswith(".jpg")
    assert not VisitPhoto.objects.filter(visit__household=h2).exists()

    page.set_viewport_size(DESKTOP)
    page.reload()
    expect(page.get_by_test_id("offline-state")).to_have_text("已保存 2 户走访表，离线可用")
    _shot(page, "offline-mine-1366.png")


def test_flaky_network_replays_the_outbox_and_stores_each_visit_once(phone_page, live_server, login):
    user, cadre = cadre_user("zhangmin", name="张敏")
    h1 = _household(cadre, "王阿婆")
    h2 = _household(cadre, "杨大伯", tier="B")
    page, context = phone_page, phone_page.context
    _open_app(page, live_server, login, "zhangmin")

    context.set_offline(True)
    for h, met in ((h1, "王阿婆本人"), (h2, "杨大伯本人")):
        page.goto(f"{live_server.url}/visits/mine/")
        page.locator(f'[data-code="{h.code}"]').click()
        _answer(page, met)
        page.get_by_role("button", name="保存走访记录").click()
        page.wait_for_url(re.compile(r"/visits/mine/$"))
    _expect_outbox(page, 2)

    # The server stores each visit, then the answer is lost three times per visit.
    delivered: dict[str, int] = {}

    def lose_answers(route):
        body = route.request.post_data_buffer or b""
        token = re.search(rb'name="client_token"\r\n\r\n([0-9a-f-]{36})', body).group(1).decode()
        try:
            response = route.fetch()
        except PlaywrightError:  # the page went away (reload after an upload) meanwhile
            return
        delivered[token] = delivered.get(token, 0) + 1
        if delivered[token] <= 3:
            route.abort("connectionreset")
        else:
            route.fulfill(response=response)

    context.route(re.compile(r".*/visits/households/\d+/record/$"), lambda route: (
        lose_answers(route) if route.request.method == "POST" else route.continue_()))
    context.set_offline(False)
    # Until nothing waits: 立即上传 whenever it can be pressed (as a cadre would, again and again).
    wait_js(page, """() => {
        if (document.querySelector('[data-testid=outbox-count]')?.textContent === '0') return true;
        document.querySelector('#outbox-panel button:not([disabled])')?.click();
        return false; }""", timeout=40_000)
    context.unroute_all(behavior="ignoreErrors")
    assert len(delivered) == 2 and all(n >= 4 for n in delivered.values())  # 3 answers lost, then one kept
    assert Visit.objects.exclude(client_token=None).count() == 2
    assert sorted(Visit.objects.exclude(client_token=None).values_list("met_with", flat=True)) == ["杨大伯本人", "王阿婆本人"]


def test_online_save_shows_progress_sends_time_and_place(browser, live_server, login, tmp_path):
    """Online: the save button is disabled with upload progress while the visit (with a resized
    photo, the device's capture time and the position the cadre allowed) is sent."""
    user, cadre = cadre_user("zhangmin", name="张敏")
    h = _household(cadre, "王阿婆")
    photo = tmp_path / "big.png"
    photo.write_bytes(_png(2400, 3000))
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  geolocation={"latitude": 26.3683, "longitude": 108.1712, "accuracy": 12},
                                  permissions=["geolocation"])
    page = context.new_page()
    seen = {}

    def watch(route):
        if route.request.method != "POST":
            return route.continue_()
        button = page.get_by_role("button", name=re.compile("正在上传|正在保存"))
        seen["disabled"] = button.is_disabled()
        seen["progress"] = page.get_by_test_id("upload-progress").is_visible()
        seen["body"] = route.request.post_data_buffer
        route.continue_()

    try:
        login(page, "zhangmin")
        page.route(re.compile(r".*/record/$"), watch)
        page.goto(f"{live_server.url}/visits/households/{h.pk}/record/")
        _answer(page, "王阿婆本人")
        page.get_by_label("照片（可选）").set_input_files(str(photo))
        page.get_by_test_id("photo-info").filter(has_text="压缩后").wait_for()
        page.get_by_role("button", name="保存走访记录").click()
        page.wait_for_url(re.compile(r"/visits/mine/$"))
    finally:
        context.close()
    assert seen["disabled"] and seen["progress"]
    body = seen["body"]
    assert re.search(rb'name="captured_at"\r\n\r\n\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00\r\n', body)
    assert b'name="geo_status"\r\n\r\nok\r\n' in body and b'name="geo_lat"\r\n\r\n26.368300\r\n' in body
    assert b'name="geo_accuracy_m"\r\n\r\n12\r\n' in body
    (p,) = VisitPhoto.objects.filter(visit__household=h)
    assert _jpeg_size(p.image.read()) == (1280, 1600)


def test_session_ended_offline_outbox_waits_for_login_and_logout_clears_pages(phone_page, live_server, login):
    from django.contrib.sessions.models import Session

    user, cadre = cadre_user("zhangmin", name="张敏")
    h = _household(cadre, "王阿婆")
    page, context = phone_page, phone_page.context
    _open_app(page, live_server, login, "zhangmin")
    assert page.evaluate("caches.open('care-pages').then(c => c.keys()).then(k => k.length)") == 2

    context.set_offline(True)
    page.locator(f'[data-code="{h.code}"]').click()
    _answer(page, "王阿婆本人")
    page.get_by_role("button", name="保存走访记录").click()
    page.wait_for_url(re.compile(r"/visits/mine/$"))
    _expect_outbox(page, 1)

    # The session ended while the phone was offline: gone from the cache and the database both
    # (sessions are cached_db).
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in Session.objects.values_list("session_key", flat=True):
        store(session_key=key).delete()
    context.set_offline(False)
    expect(page.get_by_test_id("offline-state")).to_have_text("登录已过期，重新登录后自动上传")
    _expect_outbox(page, 1)
    assert page.get_by_test_id("outbox-entry").inner_text().endswith("需重新登录后上传")
    assert not Visit.objects.exclude(client_token=None).exists()

    login(page, "zhangmin")  # lands on 我的结对户; the outbox goes by itself
    expect(page.get_by_test_id("flash")).to_have_text("已上传 1 条走访：王阿婆")
    _expect_outbox(page, 0)
    assert Visit.objects.exclude(client_token=None).get().household_id == h.pk

    # Logout removes the pages kept for offline use. It asks first when the outbox still holds
    # entries (a dialog Playwright would dismiss): the stored outbox is empty before the tap.
    wait_js(page, "document.documentElement.dataset.offlineReady")
    wait_js(page, f"() => window.CareOutbox.count({user.pk}).then(n => n === 0)")
    dialogs = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    page.locator(".navbar-toggler").click()
    expect(page.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))
    page.get_by_test_id("user-menu").click()
    logout = page.get_by_role("button", name="退出登录")
    expect(logout).to_be_visible()
    logout.click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert not dialogs, dialogs
    assert page.evaluate("caches.has('care-pages')") is False


def test_two_offline_visits_in_a_row_to_one_household_with_a_stale_csrf_token(phone_page, live_server, login):
    """The offline path twice in a row to one household: two attempts, two visits. The token the
    outbox kept is stale by the time it is sent (403): it reads a fresh one and sends again."""
    user, cadre = cadre_user("zhangmin", name="张敏")
    h = _household(cadre, "王阿婆")
    page, context = phone_page, phone_page.context
    _open_app(page, live_server, login, "zhangmin")
    context.set_offline(True)
    tokens = []
    for n in (1, 2):
        page.locator(f'[data-code="{h.code}"]').click()
        tokens.append(page.locator('[name="client_token"]').input_value())
        if n == 2:
            expect(page.get_by_test_id("household-pending")).to_contain_text("该户有 1 条走访已保存在本机")
        _answer(page, f"第{n}次（离线）")
        page.get_by_role("button", name="保存走访记录").click()
        page.wait_for_url(re.compile(r"/visits/mine/$"))
        _expect_outbox(page, n)
    assert tokens[0] != tokens[1]
    page.evaluate("CareOutbox.setMeta('csrf', 'stale-token-from-an-old-session')")
    forbidden = []
    # On the context, not the page: the outbox may be sent by the page or by its service worker.
    context.on("response", lambda r: forbidden.append(r.url) if r.status == 403 else None)
    context.set_offline(False)
    expect(page.get_by_test_id("flash")).to_have_text("已上传 2 条走访：王阿婆、王阿婆")
    _expect_outbox(page, 0)
    assert forbidden  # the stale token was refused once, then a fresh one was used
    assert sorted(Visit.objects.filter(client_token__in=tokens).values_list("met_with", flat=True)) == [
        "第1次（离线）", "第2次（离线）"]


def test_a_visit_the_server_refuses_waits_as_needing_a_fix(phone_page, live_server, login):
    """A visit from the outbox that the server refuses (400) is not dropped: it shows as 需修改
    with the reason, and 修改 opens the form filled from it, to be corrected and saved."""
    user, cadre = cadre_user("zhangmin", name="张敏")
    h = _household(cadre, "王阿婆")
    page, context = phone_page, phone_page.context
    _open_app(page, live_server, login, "zhangmin")
    context.set_offline(True)
    page.locator(f'[data-code="{h.code}"]').click()
    _answer(page, "王阿婆本人")
    page.get_by_role("button", name="保存走访记录").click()
    page.wait_for_url(re.compile(r"/visits/mine/$"))
    # The phone's clock was wrong: the saved visit is dated in the future for the server.
    page.evaluate("""CareOutbox.list(CareOffline.user).then(([e]) => {
        e.fields = e.fields.map(([k, v]) => [k, k === 'visited_on' ? '2099-01-01' : v]);
        return CareOutbox.put(e); })""")
    context.set_offline(False)
    entry = page.get_by_test_id("outbox-entry")
    expect(entry).to_contain_text("需修改：走访日期不能晚于今天。")
    _expect_outbox(page, 0)  # nothing waits to be sent: it waits for a fix
    expect(page.get_by_test_id("outbox-badge")).to_have_text("待上传 0 · 需处理 1")
    _shot(page, "offline-needs-fix-390.png")
    entry.get_by_role("link", name="修改").click()
    expect(page.get_by_test_id("outbox-fix")).to_contain_text("走访日期不能晚于今天")
    assert page.get_by_label("见到的人").input_value() == "王阿婆本人"
    page.get_by_label("走访日期").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="保存走访记录").click()
    page.wait_for_url(re.compile(r"/visits/mine/$"))
    _expect_outbox(page, 0)
    assert Visit.objects.exclude(client_token=None).get().met_with == "王阿婆本人"


def test_background_sync_sends_the_outbox_with_no_page_open(phone_page, live_server, login, server_requests):
    """Where the browser has Background Sync, the worker sends the outbox when the network is
    back even though no page of the app is open any more."""
    user, cadre = cadre_user("zhangmin", name="张敏")
    h = _household(cadre, "王阿婆")
    page, context = phone_page, phone_page.context
    _open_app(page, live_server, login, "zhangmin")
    assert page.evaluate("'SyncManager' in window")
    registrations = []
    cdp = context.new_cdp_session(page)
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    context.set_offline(True)
    page.locator(f'[data-code="{h.code}"]').click()
    _answer(page, "王阿婆本人")
    page.get_by_role("button", name="保存走访记录").click()
    page.wait_for_url(re.compile(r"/visits/mine/$"))
    _expect_outbox(page, 1)
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.sync.getTags())") == ["care-outbox"]
    page.goto("about:blank")
    context.set_offline(False)
    # When the browser fires the sync is its own choice (and DevTools' offline emulation blurs
    # it); fire it the way the browser does once the network is back, through DevTools.
    (registration,) = {r["registrationId"] for r in registrations if r["scopeURL"] == f"{live_server.url}/"}
    sent_before = server_requests.mark()
    cdp.send("ServiceWorker.dispatchSyncEvent", {"origin": live_server.url, "registrationId": registration,
                                                 "tag": "care-outbox", "lastChance": False})
    server_requests.wait_answered("POST", r"/visits/households/\d+/record/$", after=sent_before)
    assert Visit.objects.exclude(client_token=None).get().household_id == h.pk
    page.goto(f"{live_server.url}/visits/mine/")
    _expect_outbox(page, 0)


def test_without_a_usable_outbox_the_form_posts_as_a_page(phone_page, live_server, login):
    """A browser that refuses IndexedDB writes (some private windows) still saves: the form is
    posted as a page, with the capture time, and the server's redirect names the token."""
    user, cadre = cadre_user("zhangmin", name="张敏")
    h = _household(cadre, "王阿婆")
    page = phone_page
    page.add_init_script("IDBObjectStore.prototype.put = function () { throw new DOMException('refused', 'UnknownError'); };")
    login(page, "zhangmin")
    page.goto(f"{live_server.url}/visits/households/{h.pk}/record/")
    token = page.locator('[name="client_token"]').input_value()
    _answer(page, "王阿婆本人")
    page.get_by_role("button", name="保存走访记录").click()
    page.wait_for_url(re.compile(r"/visits/mine/"))
    message = page.get_by_role("alert").first.inner_text()
    assert "王阿婆" in message and "保存" in message
    assert str(Visit.objects.exclude(client_token=None).get().client_token) == token


def test_a_form_kept_days_ago_opens_offline_with_the_phones_today(phone_page, live_server, login):
    user, cadre = cadre_user("zhangmin", name="张敏")
    h = _household(cadre, "王阿婆")
    page, context = phone_page, phone_page.context
    _open_app(page, live_server, login, "zhangmin")
    later = timezone.localtime() + dt.timedelta(days=2)
    page.clock.set_system_time(later)
    context.set_offline(True)
    page.locator(f'[data-code="{h.code}"]').click()
    visited_on = page.get_by_label("走访日期")
    assert visited_on.input_value() == later.date().isoformat()
    assert visited_on.get_attribute("max") is not None
    assert visited_on.evaluate("e => e.max") == later.date().isoformat()


def test_a_blank_visit_refused_online_leaves_nothing_waiting(phone_page, live_server, login):
    """A visit the server refuses at once (nothing answered) goes back to the form: nothing is
    queued, so the top bar does not say 待上传."""
    user, cadre = cadre_user("zhangmin", name="张敏")
    h = _household(cadre, "王阿婆")
    page = phone_page
    _open_app(page, live_server, login, "zhangmin")
    page.locator(f'[data-code="{h.code}"]').click()
    page.get_by_label("见到的人").fill("王阿婆本人")
    page.get_by_role("button", name="保存走访记录").click()
    expect(page.get_by_test_id("form-errors")).to_contain_text("必答项")
    expect(page.get_by_role("button", name="保存走访记录")).to_be_enabled()
    expect(page.get_by_test_id("outbox-badge")).to_be_hidden()
    assert page.evaluate("CareOutbox.count(CareOffline.user)") == 0
    assert not Visit.objects.exclude(client_token=None).exists()


def _store_visit_with_a_wrong_phone_clock(page, live_server, h) -> Visit:
    page.goto(f"{live_server.url}/visits/households/{h.pk}/record/")
    server_today = timezone.localdate().isoformat()
    visited_on = page.get_by_label("走访日期")
    assert visited_on.input_value() == server_today  # the server's day, not the phone's
    _answer(page, "王阿婆本人")
    page.get_by_role("button", name="保存走访记录").click()
    page.wait_for_url(re.compile(r"/visits/mine/$"))
    _expect_outbox(page, 0)
    return Visit.objects.exclude(client_token=None).get()


def test_a_phone_clock_two_days_behind_warns_and_the_visit_keeps_the_servers_today(phone_page, live_server, login):
    """Cheap phones' clocks drift: the form warns (it does not refuse) and the server judges the
    visit date against its own today (Asia/Shanghai)."""
    user, cadre = cadre_user("zhangmin", name="张敏")
    h = _household(cadre, "王阿婆")
    page = phone_page
    _open_app(page, live_server, login, "zhangmin")
    page.clock.set_system_time(timezone.now() - dt.timedelta(days=2, hours=3))
    page.goto(f"{live_server.url}/visits/households/{h.pk}/record/")
    expect(page.get_by_test_id("clock-warning")).to_contain_text("手机时间与服务器相差约 2 天")
    _shot(page, "visit-form-clock-warning-390.png")
    visit = _store_visit_with_a_wrong_phone_clock(page, live_server, h)
    assert visit.visited_on == timezone.localdate()
    assert visit.late_reason == ""


def test_a_phone_in_another_time_zone_saves_a_visit_dated_the_servers_today(browser, live_server, login):
    """A phone set to a time zone far from Beijing is on another calendar day for part of the
    day; the form says so and the visit keeps Beijing's today."""
    user, cadre = cadre_user("zhangmin", name="张敏")
    h = _household(cadre, "王阿婆")
    hour = timezone.localtime().hour
    # A zone whose date differs from Beijing's right now: behind (UTC-11) or ahead (UTC+14).
    zone = "Pacific/Pago_Pago" if hour < 19 else "Pacific/Kiritimati"
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id=zone)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        _open_app(page, live_server, login, "zhangmin")
        page.goto(f"{live_server.url}/visits/households/{h.pk}/record/")
        expect(page.get_by_test_id("clock-warning")).to_contain_text("手机的时区不是北京时间")
        visit = _store_visit_with_a_wrong_phone_clock(page, live_server, h)
        assert visit.visited_on == timezone.localdate()
    finally:
        context.close()
