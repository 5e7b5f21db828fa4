"""The long lists of the pages people wait for (the cadre's 我的结对户, the desk), rendered as
HTML in Python (issue 25, STYLE 23). Django's template engine costs ~0.3 ms a row for the desk's
100 overdue households (a variable lookup, an escape and often a filter per cell), several times
the row's share of the query; here each row is one format string with its values escaped, the
words translated once a list. The markup is the templates' own (visits/desk.html and
visits/my_households.html include the result), so tests and styles see the same page.

Every value goes through `e` (the standard library's html.escape, which Django's `escape` wraps:
the same output, without the lazy-string and SafeString wrapping per call); only markup written
here is marked safe."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape as _escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts import phones


def e(value) -> str:
    """The value as HTML text: &, <, >, " and ' escaped."""
    return _escape(str(value))


def _date(value) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _join(parts: Iterable[str]) -> SafeString:
    return mark_safe("".join(parts))  # noqa: S308 — every value in the parts went through e()


# --- the desk --------------------------------------------------------------------------------------


def overdue_rows(groups, *, user, household_base: str, show_townships: bool) -> SafeString:
    """The desk's overdue households, township by township: each group's <tbody> (the township's
    header row when there are several townships, then the rows), as visits/desk.html wrote them."""
    unpaired, why = e(_("（未结对）")), e(_("为什么"))
    reported = _("已上报%(level)s")
    full_phones = phones.sees_full_phones(user)
    base = e(household_base)
    out = []
    for g in groups:
        out.append("<tbody>")
        if show_townships:
            link = f'<a href="?area={e(g.code)}">{e(g.name)}</a>' if g.code else ""
            out.append(f'<tr class="table-light township-row"><th colspan="7">{link} '
                       f'<span class="badge text-bg-secondary">{len(g.households)}</span></th></tr>')
        for h in g.households:
            phone = ""
            if h.cadre_phone:
                shown = e(h.cadre_phone if full_phones else phones.mask_phone(h.cadre_phone))
                phone = (f' <span class="text-nowrap">{shown}</span>' if "*" in shown
                         else f' <a class="text-nowrap" href="tel:{shown}">{shown}</a>')
            label = h.escalation_label
            out.append(
                f'<tr data-testid="overdue-row"><td><a href="{base}{h.pk}/">{e(h.head_name or "—")}</a></td>'
                f'<td>{e(h.code)}</td><td>{e(h.village_short_name)}</td>'
                f'<td>{e(h.cadre_name) if h.cadre_name else unpaired}{phone}</td>'
                f'<td>{_date(h.next_due_on)} <a class="small d-print-none" href="{base}{h.pk}/why-due/" '
                f'data-testid="why-overdue">{why}</a></td>'
                f'<td class="text-end"><span class="badge badge-overdue">{h.days_overdue}</span></td>'
                f'<td>{e(reported % {"level": label}) if label else ""}</td></tr>\n')
        out.append("</tbody>")
    return _join(out)


def count_rows(rows, *, label_key: str, link_key: str | None = None) -> SafeString:
    """The desk's 按村 / 按结对干部 tables' rows: a name and a count (linked to the area when
    `link_key` names the area's code)."""
    if link_key:
        return _join(f'<tr><td>{e(r[label_key])}</td><td class="text-end"><a href="?area={e(r[link_key])}">{r["n"]}</a>'
                     f'</td></tr>' for r in rows)
    return _join(f'<tr><td>{e(r[label_key])}</td><td class="text-end">{r["n"]}</td></tr>' for r in rows)


def area_options(areas, selected: str | None = None) -> SafeString:
    """<option>s of the desk's area lists (townships indented under their county)."""
    return _join(f'<option value="{e(a.code)}"{" selected" if selected and a.code == selected else ""}>'
                 f'{"　" if a.level == "township" else ""}{e(a.name)}</option>' for a in areas)


# --- the cadre's list ------------------------------------------------------------------------------


def cadre_rows(rows, *, household_base: str, campaign_todo) -> SafeString:
    """The rows of 我的结对户 (visits/my_households.html's markup; the badges as visits/_badges.html)."""
    t_progress_title, t_progress = e(_("本月有效走访次数/本月最低走访次数")), e(_("本月有效走访"))
    t_overdue, t_days, t_due_soon, t_short = e(_("逾期")), e(_("天")), e(_("即将到期")), e(_("本月不足"))
    t_due, t_none, t_last = e(_("应访")), e(_("暂停中/无计划")), e(_("上次"))
    assess = f' <span class="badge text-bg-warning" data-testid="campaign-badge">{e(_("待评估"))}</span>'
    base = e(household_base)
    out = []
    for r in rows:
        h, s = r.household, r.schedule
        progress = s.progress
        badges = ""
        if s.is_overdue:
            badges = f'<span class="badge badge-overdue" data-testid="badge-overdue">{t_overdue} {s.overdue_days}{t_days}</span>'
        elif s.due_soon:
            badges = f'<span class="badge badge-due-soon" data-testid="badge-due-soon">{t_due_soon}</span>'
        if s.at_risk:
            badges += f' <span class="badge badge-short" data-testid="badge-short">{t_short}</span>'
        due = (f'<span class="text-muted">{t_due} {_date(s.next_due)}</span>' if s.next_due
               else f'<span class="text-muted">{t_none}</span>')
        last = f'<span class="text-muted"> · {t_last} {_date(s.last_counted)}</span>' if s.last_counted else ""
        code = e(h.code)
        progress_html = f'<span class="text-muted">{t_progress}</span> <strong>{e(progress)}</strong>' if progress else ""
        out.append(
            f'<a class="list-group-item list-group-item-action" href="{base}{h.pk}/record/" data-testid="household-row" '
            f'data-code="{code}"><div class="d-flex justify-content-between align-items-center"><div>'
            f'<span class="badge tier-{e(h.tier)}">{e(h.tier)}</span> <strong>{e(h.head_name or h.code)}</strong>'
            f'{assess if h.pk in campaign_todo else ""} <span class="small text-muted">{e(h.village_short_name)} · {code}'
            f'</span></div><span class="small text-nowrap text-end ms-2 flex-shrink-0 lh-sm" title="{t_progress_title}" '
            f'data-testid="progress">'
            f'{progress_html}'
            f'</span></div><div class="small mt-1">{badges} {due}{last}</div></a>\n')
    return _join(out)
