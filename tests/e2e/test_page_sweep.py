"""Every page a person meets works on a phone and at a desk.

For every demo role (the real demo data of `seed_demo`, on a smaller roster) this opens every
page the menu leads to, and the pages one click further (one page per kind of address), at
390 px and at 1366 px wide (the menu's pages at 360 px too), and checks: no server error, no sideways scrolling, and every radio
button and check box visible, at least 12×12 px and not covered by anything else.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, RESULTS

pytestmark = pytest.mark.django_db(transaction=True)

# One user per role (丹江镇's township user sees the same pages as 西江镇's, on other rows).
ROLES = ["zhou", "leishan", "xijiang", "cunwei", "ganbu", "yibao", "jinrong"]
# Links that are not pages: downloads, sign-out, admin, personal data revealed on purpose.
SKIP = re.compile(
    r"(\.xlsx|\.csv|\.pdf|\.zip|/export|/template/|/download|/media/|/photo|/receipt|/minutes|/reveal|"
    r"/logout|/admin/|/door-card|door-cards|statement|/ledger)",
)
MAX_PAGES_PER_ROLE = 24  # every menu page, then the first pages one click further

PAGE_CHECK_JS = """() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) {
    const wide = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > window.innerWidth + 0.5) wide.push(el.tagName.toLowerCase() + '.' + String(el.className).trim().split(/\\s+/).slice(0, 3).join('.'));
      if (wide.length >= 3) break;
    }
    problems.push(`page ${doc.scrollWidth}px wide in a ${window.innerWidth}px window: ${wide.join(', ')}`);
  }
  // Chinese in a table cell squeezed to one character per line.
  for (const cell of document.querySelectorAll('main td, main th')) {
    const text = cell.textContent.trim();
    if (text.length < 3 || !/[\u4e00-\u9fff]{2}/.test(text) || cell.getClientRects().length === 0) continue;
    const style = getComputedStyle(cell);
    const inner = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    // One or two characters a line: a column squeezed below three characters' width.
    const limit = (text.length >= 4 ? 2.9 : 1.9) * parseFloat(style.fontSize);
    const lineHeight = parseFloat(style.lineHeight) || 1.5 * parseFloat(style.fontSize);
    const height = cell.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    if (inner < limit && height > 2.2 * lineHeight) {
      problems.push(`cell "${text.slice(0, 12)}" ${inner.toFixed(0)}px wide: one or two characters per line`);
    }
  }
  for (const input of document.querySelectorAll('main input[type=radio], main input[type=checkbox]')) {
    if (input.closest('[hidden], .d-none, .collapse:not(.show), .modal:not(.show), .dropdown-menu:not(.show)')) continue;
    // Not shown at all (itself or an ancestor display:none / visibility:hidden, e.g. the visit form's
    // "fixed on the spot" ticks until a hazard is ticked): nothing a person could click.
    if (getComputedStyle(input).display === 'none' || !input.checkVisibility({checkVisibilityCSS: true})) continue;
    // Bootstrap toggle buttons hide the input and show its label as the button.
    const target = input.classList.contains('btn-check') ? document.querySelector(`label[for="${input.id}"]`) : input;
    const name = `${input.type} ${input.name}=${input.value}`;
    if (!target) { problems.push(`${name}: no label`); continue; }
    target.scrollIntoView({block: 'center', inline: 'center', behavior: 'instant'});
    const r = target.getBoundingClientRect();
    if (r.width < 12 || r.height < 12) { problems.push(`${name}: ${r.width.toFixed(0)}×${r.height.toFixed(0)} px`); continue; }
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    const labelled = hit && hit.closest && hit.closest('label') && (hit.closest('label').htmlFor === input.id || hit.closest('label').contains(input));
    if (!(hit === target || target.contains(hit) || labelled)) {
      problems.push(`${name}: covered by ${hit ? hit.tagName.toLowerCase() + '.' + String(hit.className).trim() : 'nothing'}`);
    }
  }
  return problems;
}"""

MENU_JS = """() => Array.from(document.querySelectorAll('#mainnav a[href]'))
  .map(a => a.getAttribute('href')).filter(h => h && h !== '#')"""

LINKS_JS = """() => Array.from(document.querySelectorAll('main a[href]'))
  .filter(a => !a.hasAttribute('download') && a.target !== '_blank')
  .map(a => a.getAttribute('href'))"""


def shape(path: str) -> str:
    """One page per kind of address: /roster/households/12/ and /roster/households/13/ are one kind."""
    parts = urlsplit(path)
    return re.sub(r"\d+", "N", parts.path) + ("?" + re.sub(r"=[^&]*", "=", parts.query) if parts.query else "")


def local(href: str, base: str) -> str | None:
    if href.startswith(base):
        href = href[len(base):]
    if not href.startswith("/") or href.startswith("//") or SKIP.search(href):
        return None
    return href.split("#")[0]


@pytest.fixture
def demo(live_server):
    from django.core.management import call_command

    call_command("seed_demo", households=40, verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_every_menu_page_works_at_390_and_1366_for_every_demo_role(browser, live_server, demo):
    from accounts.demo import DEMO_PASSWORD

    base = live_server.url
    problems: list[str] = []
    visited_total = 0
    for username in ROLES:
        desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
        desk.set_default_timeout(15_000)
        page = desk.new_page()
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))
        # The phone reuses the same sign-in.
        phone_ctx = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
                                        storage_state=desk.storage_state())
        phone_ctx.set_default_timeout(15_000)
        phone = phone_ctx.new_page()
        # The narrowest phones in use (360 px): the menu's pages must not scroll sideways either.
        small_ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                        timezone_id="Asia/Shanghai", storage_state=desk.storage_state())
        small_ctx.set_default_timeout(15_000)
        small = small_ctx.new_page()

        menu = [h for h in (local(h, base) for h in page.evaluate(MENU_JS)) if h]
        assert menu, f"{username}: no menu"
        queue = list(dict.fromkeys(menu))
        seen_shapes = {shape(p) for p in queue}
        visited = 0
        while queue and (visited < MAX_PAGES_PER_ROLE or queue[0] in menu):
            path = queue.pop(0)
            visited += 1
            tabs = [(page, "1366"), (phone, "390")] + ([(small, "360")] if path in menu else [])
            for tab, width in tabs:
                response = tab.goto(base + path)
                status = response.status if response else 0
                if status >= 500 or status == 0:
                    problems.append(f"{username} {width} {path}: HTTP {status}")
                    continue
                for problem in tab.evaluate(PAGE_CHECK_JS):
                    problems.append(f"{username} {width} {path}: {problem}")
            if path in menu:  # one click further from each menu page
                for href in page.evaluate(LINKS_JS):
                    nxt = local(href, base)
                    if nxt and shape(nxt) not in seen_shapes:
                        seen_shapes.add(shape(nxt))
                        queue.append(nxt)
        visited_total += visited
        small_ctx.close()
        phone_ctx.close()
        desk.close()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "page-sweep.txt").write_text("\n".join(problems) + "\n", encoding="utf-8")
    assert visited_total > len(ROLES) * 5
    assert not problems, "\n".join(problems)
