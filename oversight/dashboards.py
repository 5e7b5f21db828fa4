"""The dashboards' panels: each figure family becomes one table (rows of cells, each number a link
to the households behind it) and one chart specification (plain JSON that static/js/dashboards.js
turns into an ECharts option). The same table is the xlsx download.

Panels per level: prefecture (its 16 counties), county (its townships), township (its villages,
and its cadres)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import areacodes
from accounts.models import Area
from earlywarning import queries as warning_queries
from visits.models import FindingKind

from . import figures

TIER_NAMES = {"A": _("A类"), "B": _("B类"), "C": _("C类"), "": _("待认定")}
TIER_COLOURS = {"A": "#c0392b", "B": "#e67e22", "C": "#2e86c1", "": "#95a5a6"}
REVIEW_STATUS = {"done": _("已完成"), "open": _("进行中"), "none": _("未开展")}
TIMELINESS_NAMES = {"on_time": _("按时办结"), "late": _("逾期"), "escalated": _("已升级督办"), "open": _("办理中(未到期)")}
AGE_NAMES = {"0-7": _("7天内"), "8-30": _("8-30天"), "31-90": _("31-90天"), "91+": _("90天以上")}
OVERDUE_NAMES = {"1-7": _("逾期1-7天"), "8-30": _("逾期8-30天"), "31+": _("逾期30天以上")}


@dataclass
class Cell:
    value: object
    url: str = ""
    note: str = ""  # shown small beside the value (e.g. "41/50")
    ratio: float | None = None  # a rate as a number (0.82) for the spreadsheet; None: not a rate or no base


@dataclass
class Panel:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    chart: dict | None = None
    explain: str = ""
    footer: list[Cell] = field(default_factory=list)


def drill_url(area_code: str, on: dt.date, figure: str, key: str = "") -> str:
    return reverse("oversight:drill", args=[area_code]) + "?" + urlencode({"figure": figure, "key": key,
                                                                          "on": on.isoformat()})


def dashboard_url(area: Area, on: dt.date) -> str:
    return reverse("oversight:dashboard", args=[area.code]) + "?" + urlencode({"on": on.isoformat()})


def _pct(num: int, den: int) -> str:
    return f"{round(100 * num / den)}%" if den else "—"


def _rate_cell(num: int, den: int, url: str = "", *, counts: bool = True) -> Cell:
    """A rate: "82%" on the page (with "41/50" beside it), the number 0.82 in the spreadsheet."""
    return Cell(_pct(num, den), url, f"{num}/{den}" if counts else "", num / den if den else None)


def _rate(num: int, den: int) -> float | None:
    return round(100 * num / den, 1) if den else None


def _n(value: int, url: str) -> Cell:
    return Cell(value, url if value else "")


def _chart(kind: str, categories: list[str], series: list[dict], *, percent: bool = False) -> dict:
    return {"kind": kind, "categories": categories, "series": series, "percent": percent}


class Dashboard:
    """Everything one dashboard page shows for `area` on `on`; computed lazily, each query once."""

    def __init__(self, area: Area, on: dt.date):
        self.area = area
        self.on = on
        self.groups = figures.children(area) if area.level != "village" else []
        if figures.child_level(area) == "village":
            # A township has dozens of villages; list those with households on the roster.
            with_households = set(figures.households_in(area).values_list("village_id", flat=True).distinct())
            self.groups = [g for g in self.groups if g.code in with_households]
        self._schedules = None
        self._overdue = None
        self._stored = False  # not read yet

    @property
    def stored(self) -> tuple[dict, dict] | None:
        """This month's compliance and the overdue counts from the nightly job when it judged this
        very date (figures.stored_daily), else None (computed live)."""
        if self._stored is False:
            self._stored = figures.stored_daily(self.area, self.on)
        return self._stored

    def _freshness(self) -> str:
        if self.stored is None:
            return _("实时计算。")
        return _("统计截至 %(d)s 凌晨（每晚更新；点击数字看到的是实时名单）。") % {"d": f"{self.on:%Y-%m-%d}"}

    # shared, computed once
    @property
    def schedules(self):
        if self._schedules is None:
            self._schedules = figures.month_schedules(self.area, self.on)
        return self._schedules

    @property
    def overdue(self):
        if self._overdue is None:
            self._overdue = figures.overdue_rows(self.area, self.on)
        return self._overdue

    def _label(self, group: Area) -> Cell:
        url = dashboard_url(group, self.on) if group.level != "village" else reverse(
            "oversight:village_books", args=[group.code])
        return Cell(group.short_name, url)

    def panels(self) -> list[Panel]:
        panels = [self.tiers(), self.compliance(), self.monthly(), self.overdue_panel(), self.findings(),
                  self.referrals(), self.custody(), self.reviews(), self.warnings()]
        if self.area.level == "township":
            panels.append(self.cadres())
        return panels

    def panel(self, key: str) -> Panel | None:
        builders = {"tiers": self.tiers, "compliance": self.compliance, "monthly": self.monthly,
                    "overdue": self.overdue_panel, "findings": self.findings, "referrals": self.referrals,
                    "custody": self.custody, "reviews": self.reviews, "cadres": self.cadres,
                    "warnings": self.warnings}
        builder = builders.get(key)
        return builder() if builder else None

    # --- panels --------------------------------------------------------------------------------

    def tiers(self) -> Panel:
        counts = figures.tier_counts(self.area)
        rows, series = [], {t: [] for t in ("A", "B", "C", "")}
        totals = {t: 0 for t in ("A", "B", "C", "", "total")}
        for g in self.groups:
            c = counts.get(g.code, {})
            row = [self._label(g)]
            for t in ("A", "B", "C", ""):
                row.append(_n(c.get(t, 0), drill_url(g.code, self.on, "tier", t or "none")))
                series[t].append({"value": c.get(t, 0), "url": drill_url(g.code, self.on, "tier", t or "none")})
                totals[t] += c.get(t, 0)
            row.append(_n(c.get("total", 0), drill_url(g.code, self.on, "tier", "all")))
            totals["total"] += c.get("total", 0)
            rows.append(row)
        footer = [Cell(_("合计"))] + [_n(totals[t], drill_url(self.area.code, self.on, "tier", t or "none"))
                                      for t in ("A", "B", "C", "")]
        footer.append(_n(totals["total"], drill_url(self.area.code, self.on, "tier", "all")))
        return Panel(
            "tiers", _("在册关爱对象（按类别）"), [_("区划"), *[TIER_NAMES[t] for t in ("A", "B", "C", "")], _("合计")],
            rows, _chart("hbar-stacked", [g.short_name for g in self.groups],
                         [{"name": TIER_NAMES[t], "color": TIER_COLOURS[t], "data": series[t]} for t in series]),
            _("在册（未退出）家庭，按当前认定类别统计。"), footer,
        )

    def compliance(self) -> Panel:
        counts = self.stored[0] if self.stored else figures.compliance_counts(self.area, self.on, self.schedules)
        rows, series = [], {t: [] for t in figures.TIERS}
        total = {t: [0, 0] for t in figures.TIERS}
        for g in self.groups:
            c = counts.get(g.code, {t: [0, 0] for t in figures.TIERS})
            row = [self._label(g)]
            off_all = 0
            for t in figures.TIERS:
                met, n = c[t]
                total[t][0] += met
                total[t][1] += n
                off_all += n - met
                url = drill_url(g.code, self.on, "compliance", f"{t}:off")
                row.append(_rate_cell(met, n, url if n - met else ""))
                series[t].append({"value": _rate(met, n), "url": url})
            met_all = sum(c[t][0] for t in figures.TIERS)
            n_all = sum(c[t][1] for t in figures.TIERS)
            row.append(_rate_cell(met_all, n_all, drill_url(g.code, self.on, "compliance", "all:off")
                                  if n_all - met_all else ""))
            row.append(_n(off_all, drill_url(g.code, self.on, "compliance", "all:off")))
            rows.append(row)
        footer = [Cell(_("合计"))]
        for t in figures.TIERS:
            met, n = total[t]
            footer.append(_rate_cell(met, n, drill_url(self.area.code, self.on, "compliance", f"{t}:off")
                                     if n - met else ""))
        met_all, n_all = sum(v[0] for v in total.values()), sum(v[1] for v in total.values())
        footer += [_rate_cell(met_all, n_all),
                   _n(n_all - met_all, drill_url(self.area.code, self.on, "compliance", "all:off"))]
        return Panel(
            "compliance", _("本月走访达标率（按类别）"),
            [_("区划"), _("A类"), _("B类"), _("C类"), _("合计"), _("未达标户数")], rows,
            _chart("hbar", [g.short_name for g in self.groups],
                   [{"name": TIER_NAMES[t], "color": TIER_COLOURS[t], "data": series[t]} for t in figures.TIERS],
                   percent=True),
            _("截至所选日期：未逾期、且本月剩余天数仍能完成最低走访次数的家庭占比；点击比例查看未达标家庭。")
            + self._freshness(),
            footer,
        )

    def monthly(self) -> Panel:
        stored = figures.stored_monthly(self.area, self.on)
        data = stored[1] if stored else figures.monthly_compliance_live(self.area, self.on)
        fresh = (_("统计截至 %(d)s（每晚更新）。") % {"d": f"{stored[0]:%Y-%m-%d}"}) if stored else _("实时计算。")
        rows, series = [], {t: [] for t in figures.TIERS}
        for month, by_tier in data.items():
            row = [Cell(f"{month:%Y-%m}")]
            for t in figures.TIERS:
                met, n = by_tier[t]
                url = drill_url(self.area.code, self.on, "monthly", f"{month:%Y-%m}:{t}")
                row.append(_rate_cell(met, n, url if n - met else ""))
                series[t].append({"value": _rate(met, n), "url": url})
            rows.append(row)
        return Panel(
            "monthly", _("近12个月走访达标率（按类别）"), [_("月份"), _("A类"), _("B类"), _("C类")], rows,
            _chart("line", [f"{m:%Y-%m}" for m in data],
                   [{"name": TIER_NAMES[t], "color": TIER_COLOURS[t], "data": series[t]} for t in figures.TIERS],
                   percent=True),
            _("已结束的月份：当月有效走访天数达到按在册天数折算的最低次数的家庭占比；点击比例查看未达标家庭。") + fresh,
        )

    def overdue_panel(self) -> Panel:
        counts = self.stored[1] if self.stored else figures.overdue_counts(self.area, self.on, self.overdue)
        buckets = [b[0] for b in figures.OVERDUE_BUCKETS]
        rows, series = [], {b: [] for b in buckets}
        total = {"total": 0, "days_sum": 0, "days_max": 0, **{b: 0 for b in buckets}}
        for g in self.groups:
            c = counts.get(g.code, {"total": 0, "days_sum": 0, "days_max": 0, **{b: 0 for b in buckets}})
            row = [self._label(g), _n(c["total"], drill_url(g.code, self.on, "overdue"))]
            for b in buckets:
                row.append(_n(c[b], drill_url(g.code, self.on, "overdue", b)))
                series[b].append({"value": c[b], "url": drill_url(g.code, self.on, "overdue", b)})
                total[b] += c[b]
            row += [Cell(round(c["days_sum"] / c["total"]) if c["total"] else 0), Cell(c["days_max"])]
            total["total"] += c["total"]
            total["days_sum"] += c["days_sum"]
            total["days_max"] = max(total["days_max"], c["days_max"])
            rows.append(row)
        footer = [Cell(_("合计")), _n(total["total"], drill_url(self.area.code, self.on, "overdue")),
                  *[_n(total[b], drill_url(self.area.code, self.on, "overdue", b)) for b in buckets],
                  Cell(round(total["days_sum"] / total["total"]) if total["total"] else 0), Cell(total["days_max"])]
        colours = {"1-7": "#f5b041", "8-30": "#e67e22", "31+": "#c0392b"}
        return Panel(
            "overdue", _("逾期未走访"),
            [_("区划"), _("逾期户数"), *[OVERDUE_NAMES[b] for b in buckets], _("平均逾期天数"), _("最长逾期天数")], rows,
            _chart("hbar-stacked", [g.short_name for g in self.groups],
                   [{"name": OVERDUE_NAMES[b], "color": colours[b], "data": series[b]} for b in buckets]),
            _("与“逾期未走访清单”同一口径：截至所选日期已过应访日期仍无有效走访的在册家庭。") + self._freshness(),
            footer,
        )

    def warnings(self) -> Panel:
        """关爱预警 of the month up to `on`, per child area: raised, urgent, verified, verified in time
        (of 紧急 and 预警), each outcome, open (earlywarning.queries.figures_by_area, one statement)."""
        since = self.on.replace(day=1)
        groups = self.groups or [self.area]
        length = areacodes.PREFIX_LENGTH[groups[0].level]
        counts = warning_queries.figures_by_area(self.area.prefix, length, since, self.on)
        keys = list(warning_queries.FIGURE_DEFINITIONS)
        total = {k: 0 for k in keys}
        rows = []
        for g in groups:
            c = counts.get(g.code[:length], {})
            rows.append([self._label(g), *[Cell(c.get(k, 0)) for k in keys]])
            for k in keys:
                total[k] += c.get(k, 0)
        return Panel(
            "warnings", _("关爱预警"),
            [_("区划"), _("发出"), _("其中紧急"), _("已核查"), _("按期核查"), _("已核实并帮扶"), _("已核实无需帮扶"),
             _("信息有误"), _("未核查")], rows, None,
            _("%(since)s 至 %(on)s 发出的关爱预警：按期核查指紧急 24 小时、预警 3 个工作日内核查（关注不计）。"
              "各列口径和预警明细见“关爱预警”页。") % {"since": f"{since:%m-%d}", "on": f"{self.on:%m-%d}"},
            [Cell(_("合计")), *[Cell(total[k]) for k in keys]],
        )

    def findings(self) -> Panel:
        counts = figures.findings_counts(self.area, self.on)
        ages = [b[0] for b in figures.AGE_BUCKETS]
        kinds = list(FindingKind.values)
        rows, series = [], {k: [] for k in kinds}
        total: dict[str, int] = {k: 0 for k in ["total", *ages, *kinds]}
        for g in self.groups:
            c = counts.get(g.code, {})
            row = [self._label(g), _n(c.get("total", 0), drill_url(g.code, self.on, "findings", "all"))]
            for k in ages + kinds:
                row.append(_n(c.get(k, 0), drill_url(g.code, self.on, "findings", k)))
                total[k] += c.get(k, 0)
            for k in kinds:
                series[k].append({"value": c.get(k, 0), "url": drill_url(g.code, self.on, "findings", k)})
            total["total"] += c.get("total", 0)
            rows.append(row)
        footer = [Cell(_("合计")), _n(total["total"], drill_url(self.area.code, self.on, "findings", "all")),
                  *[_n(total[k], drill_url(self.area.code, self.on, "findings", k)) for k in ages + kinds]]
        kind_names = dict(FindingKind.choices)
        colours = ["#c0392b", "#2e86c1", "#27ae60", "#8e44ad"]
        return Panel(
            "findings", _("未办结问题（按时长、类型）"),
            [_("区划"), _("未办结"), *[AGE_NAMES[a] for a in ages], *[str(kind_names[k]) for k in kinds]], rows,
            _chart("hbar-stacked", [g.short_name for g in self.groups],
                   [{"name": str(kind_names[k]), "color": colours[i % 4], "data": series[k]}
                    for i, k in enumerate(kinds)]),
            _("截至所选日期已登记、尚未办结的问题；时长从登记之日算起。"), footer,
        )

    def referrals(self) -> Panel:
        data = figures.referral_counts(self.area, self.on)
        rows, series = [], {k: [] for k in figures.TIMELINESS}
        for r in data:
            dep = r["department_id"]
            row = [Cell(r["department__name"])]
            for k in figures.TIMELINESS:
                url = drill_url(self.area.code, self.on, "referrals", f"{dep}:{k}")
                row.append(_n(r[k], url))
                series[k].append({"value": r[k], "url": url})
            row.append(_n(r["total"], drill_url(self.area.code, self.on, "referrals", f"{dep}:all")))
            row.append(_rate_cell(r["on_time"], r["on_time"] + r["late"] + r["escalated"], counts=False))
            rows.append(row)
        colours = {"on_time": "#27ae60", "late": "#e67e22", "escalated": "#c0392b", "open": "#95a5a6"}
        return Panel(
            "referrals", _("部门转介办理时效"),
            [_("部门"), *[TIMELINESS_NAMES[k] for k in figures.TIMELINESS], _("合计"), _("按时率")], rows,
            _chart("hbar-stacked", [r["department__name"] for r in data],
                   [{"name": TIMELINESS_NAMES[k], "color": colours[k], "data": series[k]} for k in figures.TIMELINESS]),
            _("按时：在办理期限内办结（含不予受理）；逾期：超期办结或超期未办结；已升级：因逾期升级督办。"),
        )

    def custody(self) -> Panel:
        counts = figures.custody_counts(self.area, self.on)
        rows, s_acc, s_bad, s_chk = [], [], [], []
        total = {"accounts": 0, "anomalous": 0, "checked": 0}
        for g in self.groups:
            c = counts.get(g.code, {"accounts": 0, "anomalous": 0, "checked": 0})
            unchecked = c["accounts"] - c["checked"]
            rows.append([
                self._label(g), _n(c["accounts"], drill_url(g.code, self.on, "custody", "all")),
                _n(c["anomalous"], drill_url(g.code, self.on, "custody", "anomalous")),
                _n(c["checked"], drill_url(g.code, self.on, "custody", "checked")),
                _n(unchecked, drill_url(g.code, self.on, "custody", "unchecked")),
            ])
            s_acc.append({"value": c["accounts"], "url": drill_url(g.code, self.on, "custody", "all")})
            s_bad.append({"value": c["anomalous"], "url": drill_url(g.code, self.on, "custody", "anomalous")})
            s_chk.append({"value": c["checked"], "url": ""})
            for k in total:
                total[k] += c[k]
        footer = [Cell(_("合计")), _n(total["accounts"], drill_url(self.area.code, self.on, "custody", "all")),
                  _n(total["anomalous"], drill_url(self.area.code, self.on, "custody", "anomalous")),
                  _n(total["checked"], drill_url(self.area.code, self.on, "custody", "checked")),
                  _n(total["accounts"] - total["checked"], drill_url(self.area.code, self.on, "custody", "unchecked"))]
        return Panel(
            "custody", _("资金代管异常与检查"),
            [_("区划"), _("在管账户"), _("异常账户"), _("近90天已检查"), _("未检查")], rows,
            _chart("hbar", [g.short_name for g in self.groups], [
                {"name": _("在管账户"), "color": "#2e86c1", "data": s_acc},
                {"name": _("异常账户"), "color": "#c0392b", "data": s_bad},
                {"name": _("近90天已检查"), "color": "#27ae60", "data": s_chk},
            ]),
            _("异常：支取无票据、大额支取、两个月未存入、余额超上限、超过3个月未检查之一。"), footer,
        )

    def reviews(self) -> Panel:
        status = figures.review_status(self.area, self.on)
        year, quarter = figures.quarter_of(self.on)
        py, pq = figures.previous_quarter(year, quarter)
        if self.area.level == "prefecture":
            counties = self.groups
        else:
            counties = list(Area.objects.filter(code=figures.areacodes.county_of(self.area.code)))
        url = reverse("beneficiaries:review_list")
        rows = []
        tally = {"previous": {"done": 0, "open": 0, "none": 0}, "current": {"done": 0, "open": 0, "none": 0}}
        for c in counties:
            s = status.get(c.code, {"previous": "none", "current": "none"})
            tally["previous"][s["previous"]] += 1
            tally["current"][s["current"]] += 1
            rows.append([Cell(c.short_name), Cell(str(REVIEW_STATUS[s["previous"]]), url),
                         Cell(str(REVIEW_STATUS[s["current"]]), url)])
        names = [str(REVIEW_STATUS[k]) for k in ("done", "open", "none")]
        return Panel(
            "reviews", _("季度动态调整进度"),
            [_("县(市)"), f"{py}年第{pq}季度", f"{year}年第{quarter}季度"], rows,
            _chart("vbar-stacked", [f"{py}Q{pq}", f"{year}Q{quarter}"], [
                {"name": names[i], "color": ["#27ae60", "#f5b041", "#c0392b"][i],
                 "data": [{"value": tally["previous"][k], "url": url}, {"value": tally["current"][k], "url": url}]}
                for i, k in enumerate(("done", "open", "none"))
            ]),
            _("各县(市)季度复核的开展情况（以复核记录为准）。"),
        )

    def cadres(self) -> Panel:
        if self.stored is not None:
            data = figures.cadre_counts(self.area, self.on, judged=figures.stored_cadres(self.area, self.on))
        else:
            data = figures.cadre_counts(self.area, self.on, self.schedules, self.overdue)
        rows = []
        # A township can have thousands of cadres: the links' stems are reversed once, not per row.
        stem = reverse("oversight:drill", args=[self.area.code]) + "?"
        before, _zero, after = reverse("beneficiaries:cadre_detail", args=[0]).rpartition("0")

        def drill(key: str) -> str:
            return stem + urlencode({"figure": "cadre", "key": key, "on": self.on.isoformat()})

        for r in data:
            rows.append([
                Cell(r["name"], f"{before}{r['cadre_id']}{after}"),
                _n(r["households"], drill(str(r["cadre_id"]))),
                _rate_cell(r["on_track"], r["classified"]),
                _n(r["overdue"], drill(f"{r['cadre_id']}:overdue")),
                Cell(r["findings"]),
            ])
        return Panel(
            "cadres", _("帮扶干部"), [_("干部"), _("结对户数"), _("本月达标率"), _("逾期户数"), _("未办结问题")], rows,
            None, _("本乡镇(街道)在岗结对干部，逾期户多的在前。") + self._freshness(),
        )


# --- the households behind a number --------------------------------------------------------------

DRILL_TITLES = {
    "tier": _("在册家庭"), "compliance": _("本月走访未达标家庭"), "monthly": _("当月走访未达标家庭"),
    "overdue": _("逾期未走访家庭"), "findings": _("有未办结问题的家庭"), "referrals": _("转介涉及的家庭"),
    "custody": _("代管账户所属家庭"), "cadre": _("干部结对家庭"),
}


def drill(area: Area, on: dt.date, figure: str, key: str):
    """(title, Household queryset) behind one number of a panel; None for an unknown figure/key."""
    from beneficiaries.models import Household

    title = DRILL_TITLES.get(figure)
    try:
        if figure == "tier":
            qs = figures.active_in(area) if key == "all" else figures.tier_ids(area, "" if key == "none" else key)
            detail = _("全部") if key == "all" else TIER_NAMES.get("" if key == "none" else key, "")
        elif figure == "compliance":
            tier, _sep, _off = key.partition(":")
            if tier == "all":
                qs = Household.objects.filter(id__in=[
                    i for t in figures.TIERS for i in figures.compliance_ids(area, on, t, False).values_list("id", flat=True)
                ])
            else:
                qs = figures.compliance_ids(area, on, tier, False)
            detail = TIER_NAMES.get(tier, _("全部"))
        elif figure == "monthly":
            month, tier = key.split(":")
            qs = figures.monthly_ids(area, dt.date.fromisoformat(month + "-01"), tier, False)
            detail = f"{month} {TIER_NAMES[tier]}"
        elif figure == "overdue":
            qs = figures.overdue_ids(area, on, key)
            detail = OVERDUE_NAMES.get(key, _("全部"))
        elif figure == "findings":
            qs = figures.findings_ids(area, on, key)
            detail = AGE_NAMES.get(key) or dict(FindingKind.choices).get(key) or _("全部")
        elif figure == "referrals":
            dep, klass = key.split(":")
            qs = figures.referral_ids(area, on, int(dep), klass)
            detail = TIMELINESS_NAMES.get(klass, _("全部"))
        elif figure == "custody":
            qs = figures.custody_ids(area, on, key)
            detail = {"anomalous": _("异常账户"), "unchecked": _("近90天未检查"), "checked": _("近90天已检查")}.get(
                key, _("在管账户"))
        elif figure == "cadre":
            cadre, _sep, which = key.partition(":")
            qs = figures.cadre_ids(area, on, int(cadre))
            if which == "overdue":
                qs = qs.filter(code__in=[r.code for r in figures.overdue_rows(area, on)])
            detail = _("逾期") if which == "overdue" else ""
        else:
            return None
    except (ValueError, KeyError):
        return None
    return f"{title} {detail}".strip(), qs
