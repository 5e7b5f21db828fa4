"""Accessibility sweep: axe-core (vendored, static/vendor/axe-core) over every menu page of every
demo role at 390 px and 1366 px — no violation of serious or critical impact (WCAG 2.1 A/AA rules,
colour contrast included). One sign-in per role; the phone reuses it. The page's CSP forbids
inline script and eval, so axe is added as a script tag pointing at the site's own static copy
and run through evaluate (DevTools, not the page's eval)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, RESULTS
from tests.e2e.test_page_sweep import MENU_JS, ROLES, local

pytestmark = pytest.mark.django_db(transaction=True)
RUN_AXE = """() => axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
    resultTypes: ['violations'],
  }).then(r => r.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 4).map(n => n.target.join(' ') + (
        n.any[0] && n.any[0].data && n.any[0].data.fgColor
          ? ` [${n.any[0].data.fgColor} on ${n.any[0].data.bgColor} ${n.any[0].data.contrastRatio}]` : '')).join(' | ')
              + (v.nodes.length > 4 ? ` … ${v.nodes.length} nodes` : '')))"""


@pytest.fixture
def demo(live_server):
    from django.core.management import call_command

    call_command("seed_demo", households=40, verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115


def _violations(tab, base: str, path: str) -> list[str]:
    tab.goto(base + path)
    # From the site's own static files: `script-src 'self'` allows it (an inline copy would not).
    tab.add_script_tag(url=f"{base}/static/vendor/axe-core/axe.min.js")
    return tab.evaluate(RUN_AXE)


def test_every_menu_page_has_no_serious_accessibility_violation(browser, live_server, demo):
    from accounts.demo import DEMO_PASSWORD

    base = live_server.url
    problems: list[str] = []
    checked = 0
    for username in ROLES:
        desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
        desk.set_default_timeout(15_000)
        page = desk.new_page()
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))
        phone_ctx = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
                                        storage_state=desk.storage_state())
        phone_ctx.set_default_timeout(15_000)
        phone = phone_ctx.new_page()
        menu = list(dict.fromkeys(h for h in (local(h, base) for h in page.evaluate(MENU_JS)) if h))
        assert menu, f"{username}: no menu"
        for path in menu:
            for tab, width in ((page, "1366"), (phone, "390")):
                problems += [f"{username} {width} {path}: {v}" for v in _violations(tab, base, path)]
                checked += 1
        phone_ctx.close()
        desk.close()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "axe-sweep.txt").write_text("\n".join(problems) + "\n", encoding="utf-8")
    assert checked >= len(ROLES) * 4
    assert not problems, "\n".join(problems)
