"""The long lists of the pages people wait for (the cadre's 我的结对户, the desk), rendered as
HTML in Python (issue 25, STYLE 23). Django's template engine costs ~0.3 ms a row for the desk's
100 overdue households (a variable lookup, an escape and often a filter per cell), several times
the row's share of the query; here each row is one format string with its values escaped, the
words translated once a list. The markup is the templates' own (visits/desk.html and
visits/my_households.html include the result), so tests and styles see the same page.

Every value goes through `escape` (format_html / conditional_escape); only markup written here is
marked safe."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts import phones


def _date(value) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _join(parts: Iterable[str]) -> SafeString:
    return mark_safe("".join(parts))  # noqa: S308 — every part was built by format_html / escape


# --- the desk --------------------------------------------------------------------------------------


def overdue_rows(groups, *, user, household_base: str, show_townships: bool) -> SafeString:
    """The desk's overdue households, township by township: each group's <tbody> (the township's
    header row when there are several townships, then the rows), as visits/desk.html wrote them."""
    unpaired, why = _("（未结对）"), _("为什么")
    reported = _("已上报%(level)s")
    full_phones = phones.sees_full_phones(user)
    base = escape(household_base)
    out = []
    for g in groups:
        out.append("<tbody>")
        if show_townships:
            link = format_html('<a href="?area={}">{}</a>', g.code, g.name) if g.code else ""
            out.append(format_html('<tr class="table-light township-row"><th colspan="7">{} '
                                   '<span class="badge text-bg-secondary">{}</span></th></tr>', link, len(g.households)))
        for h in g.households:
            phone = ""
            if h.cadre_phone:
                shown = h.cadre_phone if full_phones else phones.mask_phone(h.cadre_phone)
                phone = (format_html(' <span class="text-nowrap">{}</span>', shown) if "*" in shown
                         else format_html(' <a class="text-nowrap" href="tel:{}">{}</a>', shown, shown))
            label = h.escalation_label
            out.append(format_html(
                '<tr data-testid="overdue-row"><td><a href="{}{}/">{}</a></td><td>{}</td><td>{}</td><td>{}{}</td>'
                '<td>{} <a class="small d-print-none" href="{}{}/why-due/" data-testid="why-overdue">{}</a></td>'
                '<td class="text-end"><span class="badge badge-overdue">{}</span></td><td>{}</td></tr>\n',
                base, h.pk, h.head_name or "—", h.code, h.village_short_name, h.cadre_name or unpaired, phone,
                _date(h.next_due_on), base, h.pk, why, h.days_overdue, reported % {"level": label} if label else ""))
        out.append("</tbody>")
    return _join(out)


def count_rows(rows, *, label_key: str, link_key: str | None = None) -> SafeString:
    """The desk's 按村 / 按结对干部 tables' rows: a name and a count (linked to the area when
    `link_key` names the area's code)."""
    if link_key:
        return _join(format_html('<tr><td>{}</td><td class="text-end"><a href="?area={}">{}</a></td></tr>',
                                 r[label_key], r[link_key], r["n"]) for r in rows)
    return _join(format_html('<tr><td>{}</td><td class="text-end">{}</td></tr>', r[label_key], r["n"]) for r in rows)


def area_options(areas, selected: str | None = None) -> SafeString:
    """<option>s of the desk's area lists (townships indented under their county)."""
    indent = "\u3000"
    return _join(format_html('<option value="{}"{}>{}{}</option>', a.code,
                             mark_safe(" selected") if selected and a.code == selected else "",
                             indent if a.level == "township" else "", a.name) for a in areas)


# --- the cadre's list ------------------------------------------------------------------------------


def cadre_rows(rows, *, household_base: str, campaign_todo) -> SafeString:
    """The rows of 我的结对户 (visits/my_households.html's markup; the badges as visits/_badges.html)."""
    t_progress_title, t_progress = _("本月有效走访次数/本月最低走访次数"), _("本月有效走访")
    t_overdue, t_days, t_due_soon, t_short = _("逾期"), _("天"), _("即将到期"), _("本月不足")
    t_due, t_none, t_last, t_assess = _("应访"), _("暂停中/无计划"), _("上次"), _("待评估")
    base = escape(household_base)
    out = []
    for r in rows:
        h, s = r.household, r.schedule
        progress = s.progress
        badges = ""
        if s.is_overdue:
            badges = format_html('<span class="badge badge-overdue" data-testid="badge-overdue">{} {}{}</span>',
                                 t_overdue, s.overdue_days, t_days)
        elif s.due_soon:
            badges = format_html('<span class="badge badge-due-soon" data-testid="badge-due-soon">{}</span>', t_due_soon)
        if s.at_risk:
            badges += format_html(' <span class="badge badge-short" data-testid="badge-short">{}</span>', t_short)
        due = (format_html('<span class="text-muted">{} {}</span>', t_due, _date(s.next_due)) if s.next_due
               else format_html('<span class="text-muted">{}</span>', t_none))
        last = (format_html('<span class="text-muted"> · {} {}</span>', t_last, _date(s.last_counted))
                if s.last_counted else "")
        out.append(format_html(
            '<a class="list-group-item list-group-item-action" href="{}{}/record/" data-testid="household-row" '
            'data-code="{}"><div class="d-flex justify-content-between align-items-center"><div>'
            '<span class="badge tier-{}">{}</span> <strong>{}</strong>{} '
            '<span class="small text-muted">{} · {}</span></div>'
            '<span class="small text-nowrap text-end ms-2 flex-shrink-0 lh-sm" title="{}" data-testid="progress">{}'
            '</span></div><div class="small mt-1">{} {}{}</div></a>\n',
            base, h.pk, h.code, h.tier, h.tier, h.head_name or h.code,
            format_html(' <span class="badge text-bg-warning" data-testid="campaign-badge">{}</span>', t_assess)
            if h.pk in campaign_todo else "",
            h.village_short_name, h.code, t_progress_title,
            format_html('<span class="text-muted">{}</span> <strong>{}</strong>', t_progress, progress) if progress else "",
            badges, due, last))
    return _join(out)
