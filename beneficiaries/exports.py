"""The roster download (特殊困难群体关爱台账) as the request and the background job both write it:
the same households, rows and sheets, so a job's file is the file the request would have sent."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from accounts import sheets
from accounts.models import User

from . import queries, roster_io
from .forms import RosterFilterForm
from .models import Household, Person


def roster_households(user: User, query: QueryDict) -> tuple[RosterFilterForm, QuerySet[Household]]:
    form = RosterFilterForm(query or None, user=user)
    return form, queries.roster_households(user, form.filters())


def person_count(households: QuerySet[Household]) -> int:
    return Person.objects.filter(household__in=households.values("pk")).count()


def roster_content(households: QuerySet[Household], *, full: bool, fmt: str, rows: Iterable[Any] | None = None):
    """A CSV stream (iterator of bytes) or an xlsx file (open, at its start)."""
    rows = roster_io.iter_roster_rows(households, full_ids=full) if rows is None else rows  # streamed
    if fmt == "csv":
        return sheets.csv_stream(roster_io.HEADERS, rows)
    return sheets.xlsx_file([roster_io.roster_sheet(roster_io.ROSTER_TITLE, roster_io.HEADERS, rows),
                             roster_io.area_sheet(households.order_by().values_list("village_id", flat=True).distinct())])


def roster_chunks(job, progress) -> tuple[int, Iterable]:
    """imports.exports writer: the job's roster, as its requester asked for it."""
    from imports.exports import counted

    _form, households = roster_households(job.created_by, QueryDict(job.params.get("query", "")))
    total = person_count(households)
    full = job.params.get("full_ids") is True
    rows = counted(roster_io.iter_roster_rows(households, full_ids=full), total, progress, _("正在写入名单"))
    content = roster_content(households, full=full, fmt=job.fmt, rows=rows)
    return total, [content] if hasattr(content, "read") else content
