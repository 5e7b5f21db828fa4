"""Year-end assessment (考核, §6(5)): township annual performance and cadre year-end score sheets,
computed from the data with the weights and thresholds the prefecture set for the year.

Each indicator is a rate num/den over the year (up to the day the sheet is read, if earlier);
an indicator without data for a unit is left out and the remaining weights are rescaled, so a
township without custody accounts is not punished for it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import areacodes
from accounts.models import Area
from beneficiaries.models import Pairing
from campaigns import queries as campaign_queries
from services.models import Referral
from visits.models import Finding

from . import figures
from .models import AssessmentSetting, CheckOutcome, OversightProblem, ProblemStatus, SpotCheckItem

INDICATORS = {
    "visit_compliance": _("走访达标率"),
    "findings_on_time": _("问题按期办结率"),
    "spot_check_rate": _("回访抽查属实率"),
    "referral_timeliness": _("转介按时办结率"),
    "custody_checks": _("代管账户检查率"),
    "inspection_rectified": _("督导问题按期整改率"),
    "campaign_done": _("专项行动落实率"),
}
CADRE_INDICATORS = ("visit_compliance", "findings_on_time", "spot_check_rate", "referral_timeliness",
                    "inspection_rectified")
DEFAULT_WEIGHTS = {"visit_compliance": 30, "findings_on_time": 15, "spot_check_rate": 15,
                   "referral_timeliness": 10, "custody_checks": 10, "inspection_rectified": 10, "campaign_done": 10}
DEFAULT_EXCELLENT, DEFAULT_PASSING = 90, 60


def setting_for(year: int) -> AssessmentSetting | None:
    return AssessmentSetting.objects.filter(year=year).order_by("-set_at", "-id").select_related("set_by").first()


@dataclass
class Figure:
    num: int = 0
    den: int = 0
    url: str = ""

    @property
    def rate(self) -> float | None:
        return round(100 * self.num / self.den, 1) if self.den else None


@dataclass
class ScoreRow:
    key: str  # township code or cadre id
    name: str
    url: str
    figures: dict[str, Figure] = field(default_factory=dict)
    score: float | None = None
    grade: str = ""
    # How the score came about (为什么): one step per indicator, see score_steps.
    steps: list[dict] = field(default_factory=list)
    weight_counted: int = 0


def as_of(year: int, today: dt.date) -> dt.date:
    return min(dt.date(year, 12, 31), today)


def _months(year: int, on: dt.date) -> tuple[dt.date, dt.date] | None:
    """First and last closed month of `year` as of `on`."""
    last = dt.date(year, 12, 1) if on >= dt.date(year, 12, 31) else figures.visit_rules.previous_month(on)
    if last < dt.date(year, 1, 1):
        return None
    return dt.date(year, 1, 1), last


def score_sheet(county: Area, year: int, kind: str, setting: AssessmentSetting | None, today: dt.date) -> list[ScoreRow]:
    """The score sheet of a county's townships (kind "township") or cadres (kind "cadre")."""
    on = as_of(year, today)
    weights = setting.weights if setting else DEFAULT_WEIGHTS
    excellent = setting.excellent if setting else DEFAULT_EXCELLENT
    passing = setting.passing if setting else DEFAULT_PASSING
    township = kind == "township"
    keys = list(INDICATORS) if township else list(CADRE_INDICATORS)

    # Units and the unit of each household.
    pairs = list(Pairing.objects.filter(household__village__code__startswith=county.prefix, started_on__lte=on)
                 .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))
                 .values_list("household_id", "cadre_id", "cadre__name"))
    if township:
        rows = {a.code: ScoreRow(a.code, a.name, reverse("oversight:dashboard", args=[a.code]))
                for a in Area.objects.filter(level="township", code__startswith=county.prefix).order_by("code")}

        def unit_of_household(_hid: int, village: str) -> str | None:
            return areacodes.township_of(village)
    else:
        cadre_of = {hid: cid for hid, cid, _n in pairs}
        rows = {}
        for _hid, cid, name in pairs:
            rows.setdefault(cid, ScoreRow(str(cid), name, reverse("beneficiaries:cadre_detail", args=[cid])))

        def unit_of_household(hid: int, _village: str) -> int | None:
            return cadre_of.get(hid)
    tallies: dict[str, dict] = {k: defaultdict(lambda: [0, 0]) for k in keys}

    def add(key: str, unit, ok: bool) -> None:
        if unit is not None and unit in rows:
            tallies[key][unit][0] += ok
            tallies[key][unit][1] += 1

    # 1. visit compliance over the closed months of the year.
    span = _months(year, on)
    if span:
        for hid, village, _month, met in figures.monthly_household_rows(county, *span):
            add("visit_compliance", unit_of_household(hid, village), met)
    # 2. visit findings due in the year (by `on`) closed by their due date.
    for hid, village, due, closed in Finding.objects.filter(
        household__village__code__startswith=county.prefix, due_on__year=year, due_on__lte=on,
    ).values_list("household_id", "household__village_id", "due_on", "closed_on"):
        add("findings_on_time", unit_of_household(hid, village), closed is not None and closed <= due and closed <= on)
    # 3. spot checks of the year's visits: confirmed among those checked.
    for village, cadre, outcome in SpotCheckItem.objects.filter(
        draw__area__code__startswith=county.prefix, draw__month__year=year, checked_on__lte=on,
    ).exclude(outcome=CheckOutcome.PENDING).values_list("visit__household__village_id", "cadre_id", "outcome"):
        unit = areacodes.township_of(village) if township else cadre
        add("spot_check_rate", unit, outcome == CheckOutcome.CONFIRMED)
    # 4. referrals submitted in the year, judged as of `on`.
    classes = figures._timeliness_q(on)
    for hid, village, klass in _referral_classes(county, year, on, classes):
        if klass != "open":
            add("referral_timeliness", unit_of_household(hid, village), klass == "on_time")
    # 5. custody accounts open on `on`, checked in the 90 days before (townships only).
    if township:
        qs, _anomalous = figures._accounts(county, on)
        for village, checked in qs.values_list("person__household__village_id", "checked"):
            add("custody_checks", areacodes.township_of(village), checked)
    # 6. oversight problems due in the year (by `on`) rectified by their deadline.
    for area_code, cadre, due, status, closed in OversightProblem.objects.filter(
        area__code__startswith=county.prefix, due_on__year=year, due_on__lte=on,
    ).values_list("area_id", "cadre_id", "due_on", "status", "closed_on"):
        unit = area_code if township else cadre
        add("inspection_rectified", unit, status == ProblemStatus.CLOSED and closed <= due)

    # 7. campaigns begun in the year (townships only): households in scope assessed by the
    #    deadline, their confirmed needs delivered in full and no water delivery missed.
    if township:
        for r in campaign_queries.township_figures(county, year, on):
            if r["township"] in rows:
                tallies["campaign_done"][r["township"]] = [r["done"], r["in_scope"]]

    out = []
    for unit, row in rows.items():
        for k in keys:
            num, den = tallies[k].get(unit, [0, 0])
            row.figures[k] = Figure(num, den, _figure_url(k, row, county, on, township))
        row.score, row.steps, row.weight_counted = score_steps(row.figures, keys, weights)
        row.grade = grade_of(row.score, excellent, passing)
        out.append(row)
    return sorted(out, key=lambda r: (r.score is None, -(r.score or 0), r.name))


def score_steps(figs: dict[str, Figure], keys: list[str], weights: dict[str, int]
                ) -> tuple[float | None, list[dict], int]:
    """The score of one unit and how it came about: each indicator's num/den, rate, weight and
    points (weight × rate); an indicator without data is left out and the score is the points
    over the weights counted, × 100. The sheet's score and its 为什么 are this one function."""
    steps, total_w, total = [], 0, 0.0
    for k in keys:
        f, w = figs[k], weights.get(k, 0)
        counted = bool(f.den)
        points = w * f.num / f.den if counted else 0.0
        if counted:
            total_w += w
            total += points
        steps.append({"key": k, "label": INDICATORS[k], "num": f.num, "den": f.den, "rate": f.rate, "weight": w,
                      "counted": counted, "points": round(points, 2), "url": f.url})
    return (round(100 * total / total_w, 1) if total_w else None), steps, total_w


def grade_of(score: float | None, excellent: int, passing: int) -> str:
    if score is None:
        return str(_("无数据"))
    return str(_("优秀")) if score >= excellent else (str(_("合格")) if score >= passing else str(_("不合格")))


def _referral_classes(county: Area, year: int, on: dt.date, classes: dict[str, Q]):
    qs = Referral.objects.filter(household__village__code__startswith=county.prefix, submitted_at__year=year)
    annotated = qs.annotate(**{f"is_{k}": Exists(Referral.objects.filter(q, pk=OuterRef("pk")))
                               for k, q in classes.items()})
    for r in annotated.values("household_id", "household__village_id", *[f"is_{k}" for k in classes]):
        klass = next((k for k in classes if r[f"is_{k}"]), "open")
        yield r["household_id"], r["household__village_id"], klass


def _figure_url(key: str, row: ScoreRow, county: Area, on: dt.date, township: bool) -> str:
    """Where the figures of an indicator can be seen."""
    area_code = row.key if township else county.code
    board = reverse("oversight:dashboard", args=[area_code]) + f"?on={on.isoformat()}"
    if key == "spot_check_rate":
        return reverse("oversight:spotcheck_list")
    if key == "inspection_rectified":
        return reverse("oversight:problem_list") + (f"?area={row.key}" if township else f"?cadre={row.key}")
    if not township:
        return reverse("oversight:drill", args=[county.code]) + f"?figure=cadre&key={row.key}&on={on.isoformat()}"
    if key == "campaign_done":
        return reverse("oversight:assessment") + f"?county={county.code}&year={on.year}&kind=township#campaigns"
    anchors = {"visit_compliance": "#panel-monthly", "findings_on_time": "#panel-findings",
               "referral_timeliness": "#panel-referrals", "custody_checks": "#panel-custody"}
    return board + anchors.get(key, "")


def sheet_json(sheet: list[ScoreRow]) -> list[dict]:
    return [{"key": r.key, "name": r.name, "score": r.score, "grade": r.grade,
             "figures": {k: [f.num, f.den] for k, f in r.figures.items()}} for r in sheet]


def counts_by_grade(sheet: list[ScoreRow]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for r in sheet:
        out[r.grade] += 1
    return dict(out)



