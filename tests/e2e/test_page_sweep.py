"""Every page a person meets works on a phone and at a desk, and is accessible.

For every demo role (one test per role, so the workers share them out; the real demo data of
`seed_demo` on a smaller roster, seeded once for the module) this opens every page the menu
leads to, and the pages one click further (one page per kind of address), at 390 px and at
1366 px wide (the menu's pages at 360 px too), and checks: no server error, no sideways
scrolling, and every radio button and check box visible, at least 12×12 px and not covered by
anything else. On every menu page at 390 and 1366 px, axe-core finds no violation of serious or
critical impact (docs/accessibility.md).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, RESULTS

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


@pytest.fixture(autouse=True)
def _live_server_helper(on_the_shared_demo):
    """In place of pytest-django's helper (which makes every live-server test transactional, with
    a flush after each): the roles share one seeded demo database for the module
    (tests/e2e/conftest.py::on_the_shared_demo), since the sweep only reads pages."""
    yield


def _sign_in(browser, base: str, username: str):
    from accounts.demo import DEMO_PASSWORD

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    desk.set_default_timeout(15_000)
    page = desk.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))
    return desk, page


def _tab(browser, desk, viewport):
    """A phone (or the narrowest phone) reusing the desk's sign-in."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  storage_state=desk.storage_state())
    context.set_default_timeout(15_000)
    return context.new_page()


def axe_violations(tab, base: str) -> list[str]:
    """axe-core (vendored, static/vendor/axe-core) over the page open in the tab: violations of
    serious or critical impact (WCAG 2.1 A/AA, colour contrast included). The page's CSP forbids
    inline script and eval, so axe is added as a script tag pointing at the site's own static
    copy and run through evaluate (DevTools, not the page's eval)."""
    tab.add_script_tag(url=f"{base}/static/vendor/axe-core/axe.min.js")
    return tab.evaluate(RUN_AXE)


RUN_AXE = """() => axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
    resultTypes: ['violations'],
  }).then(r => r.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 4).map(n => n.target.join(' ') + (
        n.any[0] && n.any[0].data && n.any[0].data.fgColor
          ? ` [${n.any[0].data.fgColor} on ${n.any[0].data.bgColor} ${n.any[0].data.contrastRatio}]` : '')).join(' | ')
              + (v.nodes.length > 4 ? ` … ${v.nodes.length} nodes` : '')))"""


@pytest.mark.parametrize("username", ROLES)
def test_every_page_works_and_is_accessible_at_390_and_1366(browser, live_server, username):
    """One role: every menu page and the pages one click further, at 1366 and 390 px (the menu's
    pages at 360 px too): no server error, no sideways scrolling, radios and check boxes usable;
    on every menu page at 1366 and 390 px, no serious or critical axe violation."""
    base = live_server.url
    problems: list[str] = []
    inaccessible: list[str] = []
    desk, page = _sign_in(browser, base, username)
    phone = _tab(browser, desk, PHONE)
    # The narrowest phones in use (360 px): the menu's pages must not scroll sideways either.
    small = _tab(browser, desk, {"width": 360, "height": 740})

    menu = [h for h in (local(h, base) for h in page.evaluate(MENU_JS)) if h]
    assert menu, f"{username}: no menu"
    queue = list(dict.fromkeys(menu))
    seen_shapes = {shape(p) for p in queue}
    visited = checked = 0
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
            problems += [f"{username} {width} {path}: {problem}" for problem in tab.evaluate(PAGE_CHECK_JS)]
            if path in menu and width != "360":
                inaccessible += [f"{username} {width} {path}: {v}" for v in axe_violations(tab, base)]
                checked += 1
        if path in menu:  # one click further from each menu page
            for href in page.evaluate(LINKS_JS):
                nxt = local(href, base)
                if nxt and shape(nxt) not in seen_shapes:
                    seen_shapes.add(shape(nxt))
                    queue.append(nxt)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"page-sweep-{username}.txt").write_text("\n".join(problems) + "\n", encoding="utf-8")
    (RESULTS / f"axe-sweep-{username}.txt").write_text("\n".join(inaccessible) + "\n", encoding="utf-8")
    assert len(set(menu)) >= 2 and visited >= len(set(menu)) and checked >= len(set(menu))
    assert not problems, "\n".join(problems)
    assert not inaccessible, "\n".join(inaccessible)
