"""The campaign's questions inside the cadre's visit form (visits calls these three functions).

During a campaign that the paired cadre assesses, the visit form of a household in its scope
adds the campaign's questions, each campaign's fields under the prefix `campaign-<row id>`.
They travel with the rest of the form, so a visit made offline carries its answers through the
outbox. Left blank, the household stays on the list to assess; answered in part, the visit is
refused with what is missing (nothing is stored)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from beneficiaries.models import Household

from . import queries, rules
from .actions import AssessmentInput
from .forms import AssessmentForm, assessment_initial
from .models import CampaignHousehold


@dataclass
class VisitQuestions:
    row: CampaignHousehold
    form: AssessmentForm


def questions_for(household: Household, today: dt.date, data=None) -> list[VisitQuestions]:
    out = []
    for row in queries.assessments_open_for(household, today):
        out.append(VisitQuestions(row, AssessmentForm(data, campaign=row.campaign, prefix=f"campaign-{row.pk}",
                                                      initial=assessment_initial(row))))
    return out


def _blank(form: AssessmentForm) -> bool:
    return all(value in (None, "") for value in form.cleaned_data.values())


def check(visit_form, questions: list[VisitQuestions]) -> bool:
    """Type errors of the campaign fields go to the top of the visit form; True when none."""
    ok = True
    for q in questions:
        if not q.form.is_valid():
            ok = False
            for name, errors in q.form.errors.items():
                label = q.form.fields[name].label if name in q.form.fields else ""
                visit_form.add_error(None, _("%(c)s · %(f)s：%(e)s") % {
                    "c": q.row.campaign.name, "f": label, "e": "；".join(errors)})
    return ok


def answers(questions: list[VisitQuestions]) -> list[tuple[CampaignHousehold, AssessmentInput]]:
    """The campaigns answered in this visit (a campaign left wholly blank is not assessed)."""
    out = []
    for q in questions:
        if _blank(q.form):
            continue
        d = q.form.cleaned_data
        out.append((q.row, AssessmentInput(**{f: d.get(f) for f in rules.question_fields(q.row.campaign.kind)},
                                           answers=q.form.answers(), note=d.get("note") or "")))
    return out
