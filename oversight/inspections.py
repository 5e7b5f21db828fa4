"""Read side of supervision inspections: what the system knows about a sampled household (to help
the checklist), and the inspection report (per township, per check, problems and rectification)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef

from beneficiaries.models import CarePlan, Household
from custody.models import AccountStatus, CustodyAccount, LedgerCheck
from visits import queries as visit_queries
from visits import rules as visit_rules
from visits.models import FindingStatus

from .models import Inspection, InspectionHousehold, OversightProblem, ProblemStatus

CHECK_LABELS = {
    "visits_meet_minimum": "走访次数达标",
    "records_true": "走访记录真实",
    "findings_closed": "发现问题已闭环",
    "custody_checked": "代管资金已检查",
    "record_book_complete": "关爱记录册完整",
}


def household_facts(household: Household, today: dt.date) -> dict:
    """What the records say, shown beside the checklist, with suggested answers the inspector
    confirms or corrects after looking at the paper ledgers and talking to the household."""
    month = visit_rules.previous_month(today)
    statuses = visit_queries.month_statuses(Household.objects.filter(pk=household.pk), month, today)
    status = statuses.get(household.pk)
    visits = list(household.visits.filter(visited_on__gt=today - dt.timedelta(days=183), visited_on__lte=today)
                  .order_by("-visited_on").values_list("visited_on", "mode", "visitor_name", "met_with")[:12])
    late_findings = household.findings.exclude(status=FindingStatus.CLOSED).filter(due_on__lt=today).count()
    open_findings = household.findings.exclude(status=FindingStatus.CLOSED).count()
    accounts = CustodyAccount.objects.filter(person__household=household, status=AccountStatus.OPEN).annotate(
        checked=Exists(LedgerCheck.objects.filter(account=OuterRef("pk"), checked_on__gt=today - dt.timedelta(days=90))))
    accounts = list(accounts.values_list("id", "checked"))
    has_plan = CarePlan.objects.filter(household=household).exists()
    suggested = {
        "visits_meet_minimum": None if status is None else status.counted >= status.minimum,
        "records_true": None,
        "findings_closed": late_findings == 0,
        "custody_checked": (all(c for _i, c in accounts) if accounts else None),
        "record_book_complete": bool(visits) and (household.tier != "A" or has_plan),
    }
    return {"month": month, "status": status, "visits": visits, "late_findings": late_findings,
            "open_findings": open_findings, "accounts": accounts, "has_plan": has_plan, "suggested": suggested}


@dataclass
class TownshipSummary:
    code: str
    name: str
    sampled: int = 0
    checked: int = 0
    failed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    problems: int = 0
    open_problems: int = 0


@dataclass
class Report:
    samples: list[InspectionHousehold]
    townships: list[TownshipSummary]
    problems: list[OversightProblem]
    serious: int
    open_problems: int
    overdue_problems: int
    checked: int

    @property
    def sampled(self) -> int:
        return len(self.samples)


def report(inspection: Inspection, today: dt.date) -> Report:
    samples = list(inspection.samples.select_related("township", "household", "household__village", "checked_by")
                   .annotate(head_name=visit_queries.head_name_subquery()).order_by("township_id", "household__code"))
    problems = list(inspection.problems.select_related("area", "household", "owner").order_by("status", "due_on", "id"))
    by_township: dict[str, TownshipSummary] = {
        t.code: TownshipSummary(t.code, t.name) for t in inspection.townships.order_by("code")
    }
    for s in samples:
        t = by_township.setdefault(s.township_id, TownshipSummary(s.township_id, s.township.name))
        t.sampled += 1
        if s.checked:
            t.checked += 1
            for k in InspectionHousehold.CHECKS:
                if getattr(s, k) is False:
                    t.failed[k] += 1
    for p in problems:
        t = by_township.get(p.area_id)
        if t:
            t.problems += 1
            t.open_problems += p.status == ProblemStatus.OPEN
    return Report(
        samples=samples, townships=list(by_township.values()), problems=problems,
        serious=sum(p.serious for p in problems),
        open_problems=sum(p.status == ProblemStatus.OPEN for p in problems),
        overdue_problems=sum(p.status == ProblemStatus.OPEN and p.due_on < today for p in problems),
        checked=sum(s.checked for s in samples),
    )

