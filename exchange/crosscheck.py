"""Cross-check (大数据比对, §4(11)): a department's list against the roster of an area.

The result is proposals only — possible entries, re-entries, tier changes, exits (death) and
mismatches — which a county official decides in the quarterly review. Nothing on the roster
changes here. A file is read whole first: one bad row and nothing is written, every bad row is
reported with its row number."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.actions import audit_record
from accounts.models import Area, AreaLevel, AuditAction, User
from beneficiaries import idnumber, rules
from beneficiaries.models import HouseholdStatus, Person
from beneficiaries.roster_io import RowError, read_table

from .actions import can_decide, county_code
from .layouts import LAYOUTS, Layout
from .models import (
    SOURCE_DEPARTMENT,
    ApiToken,
    CrossCheck,
    Listing,
    Proposal,
    ProposalKind,
    ProposalReason,
    Source,
)

FACT_LABELS = {name: str(Person._meta.get_field(name).verbose_name) for name in (
    "benefit_status", "support_mode", "self_care", "disability_type", "disability_grade", "serious_illness",
    "work_capacity",
)}


@dataclass
class ListRow:
    row: int  # as the department sees it: the header is row 1
    id_number: str
    name: str
    facts: dict[str, object] = field(default_factory=dict)
    village_code: str = ""
    address: str = ""
    died_on: dt.date | None = None
    self_paid_fen: int | None = None  # 医保: 个人负担, in fen
    year: str = ""  # 医保: 结算年度


@dataclass
class CrossCheckResult:
    check: CrossCheck | None
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors


def _date(raw: str) -> dt.date:
    text = raw.strip().replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    return dt.date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))


def _fen(raw: str) -> int:
    """'12,300.50' (元) → 1230050 fen; a negative or unreadable amount is refused."""
    try:
        amount = decimal.Decimal(raw.replace(",", "").replace("，", "").strip())
    except decimal.InvalidOperation as exc:
        raise ValueError(raw) from exc
    if not amount.is_finite() or amount < 0:
        raise ValueError(raw)
    return int((amount * 100).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))


def parse_rows(layout: Layout, records: list[dict[str, str]], *, today: dt.date) -> tuple[list[ListRow], list[RowError]]:
    """Rows keyed by the department's headers → checked ListRows, and every problem by row number."""
    errors: list[RowError] = []
    rows: list[ListRow] = []
    header_of = {key: header for header, key in layout.columns.items()}
    seen: dict[str, int] = {}
    present = {h.strip() for h in (records[0] if records else {}) if h}
    absent = [header_of[k] for k in layout.required if header_of[k] not in present]
    if records and absent:
        return [], [RowError(1, "、".join(absent), _("缺少列：%(c)s。请按本名单的列名上传。") % {"c": "、".join(absent)})]
    for i, record in enumerate(records, start=2):
        cells = {layout.columns[h.strip()]: (v or "").strip() for h, v in record.items()
                 if h and h.strip() in layout.columns}
        missing = [header_of[k] for k in layout.required if not cells.get(k)]
        if missing:
            errors.append(RowError(i, "、".join(missing), _("必填项为空。")))
            continue
        number = idnumber.normalize(cells["id_number"])
        try:
            idnumber.parse(number, today=today)
        except ValidationError as exc:
            errors.append(RowError(i, header_of["id_number"], "；".join(exc.messages)))
            continue
        if number in seen:
            errors.append(RowError(i, header_of["id_number"], _("与第%(r)d行身份证号重复。") % {"r": seen[number]}))
            continue
        seen[number] = i
        row = ListRow(row=i, id_number=number, name=cells.get("name", ""), facts=dict(layout.fixed),
                      village_code=cells.get("village_code", ""), address=cells.get("address", ""))
        bad = False
        for key in layout.facts:
            raw = cells.get(key, "")
            if not raw and key not in layout.required:
                continue
            spellings = layout.values.get(key, {})
            if raw not in spellings:
                errors.append(RowError(i, header_of[key], _("无法识别“%(v)s”，可填：%(ok)s") % {
                    "v": raw, "ok": "、".join(k for k in spellings if k)}))
                bad = True
                continue
            row.facts[key] = spellings[raw]
        if "died_on" in cells and cells["died_on"]:
            try:
                row.died_on = _date(cells["died_on"])
            except ValueError:
                errors.append(RowError(i, header_of["died_on"], _("日期格式应为2026-03-01。")))
                bad = True
            else:
                if row.died_on > today:
                    errors.append(RowError(i, header_of["died_on"], _("死亡日期不能晚于今天。")))
                    bad = True
        if cells.get("self_paid"):
            try:
                row.self_paid_fen = _fen(cells["self_paid"])
            except ValueError:
                errors.append(RowError(i, header_of["self_paid"], _("金额应为数字（元），如 12300.50。")))
                bad = True
        if cells.get("year"):
            if not (len(cells["year"]) == 4 and cells["year"].isdigit()):
                errors.append(RowError(i, header_of["year"], _("结算年度应为四位年份，如 2026。")))
                bad = True
            else:
                row.year = cells["year"]
        if row.village_code and not (len(row.village_code) == 12 and row.village_code.isdigit()):
            errors.append(RowError(i, header_of["village_code"], _("区划代码应为12位数字。")))
            bad = True
        if not bad:
            rows.append(row)
    if not records:
        errors.append(RowError(1, "", _("名单没有数据行。")))
    return rows, errors


def match_persons(numbers: list[str]) -> dict[str, Person]:
    """Roster members by ID number — the one place that matches (see actions.person_by_id_number)."""
    return {p.id_number: p for p in Person.objects.filter(id_number__in=numbers).select_related("household")}


def _fact_value(person: Person, key: str):
    return getattr(person, key)


def fact_text(key: str, value) -> str:
    """A fact as the pages say it (残疾类别 "physical" → 肢体残疾; True → 是)."""
    if value is None or value == "":
        return str(_("无"))
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    return str(_choices(key).get(value, value))


@functools.cache
def _choices(key: str) -> dict:
    try:
        return dict(Person._meta.get_field(key).flatchoices)
    except Exception:  # not a Person field (a death date)
        return {}


@transaction.atomic
def cross_check_run(
    *, actor: User, source: str, area: Area, records: list[dict[str, str]], filename: str = "",
    token: ApiToken | None = None, today: dt.date, request: HttpRequest | None = None,
) -> CrossCheckResult:
    """Compare one list with the roster of `area` and write the proposals it gives.

    1. read and check every row (nothing is written when a row is bad);
    2. match rows to roster members by ID number; rows of households outside `area` count as outside
       (and say nothing about them);
    3. per household: a death of its only (or every listed) member → exit; other changed facts →
       the tier the rules suggest with them: different from the roster's → tier change, else
       mismatch; an exited household whose facts now meet a tier → re-entry;
    4. unmatched rows whose facts alone meet a tier, in a village of `area` → possible entry;
    5. a proposal already waiting for the same household and kind is not repeated."""
    layout = LAYOUTS.get(source)
    if layout is None:
        raise ValidationError({"source": _("名单类型不正确。")})
    if token is None and not can_decide(actor):
        raise PermissionDenied(_("只有县(市)或州民政部门可以上传比对名单。"))
    rows, errors = parse_rows(layout, records, today=today)
    if errors:
        return CrossCheckResult(check=None, errors=errors)

    matched = match_persons([r.id_number for r in rows])
    check = CrossCheck.objects.create(source=source, area=area, filename=filename[:200], rows=len(rows),
                                      token=token, uploaded_by=actor)
    members: dict[int, list[Person]] = {}
    households = {p.household_id for p in matched.values() if area.contains(p.household.village_id)}
    for p in Person.objects.filter(household_id__in=households).select_related("household"):
        members.setdefault(p.household_id, []).append(p)
    pending = set(Proposal.objects.filter(household_id__in=households, status="pending")
                  .values_list("household_id", "kind"))
    pending_entries = set(Proposal.objects.filter(kind="entry", status="pending",
                                                  id_number__in=[r.id_number for r in rows])
                          .values_list("id_number", flat=True))

    by_household: dict[int, list[tuple[ListRow, Person]]] = {}
    proposals: list[Proposal] = []
    outside = 0
    villages = set(Area.objects.filter(level=AreaLevel.VILLAGE, code__in=[r.village_code for r in rows if r.village_code],
                                       code__startswith=area.prefix).values_list("code", flat=True))
    for row in rows:
        person = matched.get(row.id_number)
        if person is None:
            proposal = _entry(row, layout, villages, today)
            if proposal is None:
                outside += 1 if row.village_code and row.village_code not in villages else 0
            elif row.id_number not in pending_entries:
                proposals.append(proposal)
            continue
        if person.household_id not in households:
            outside += 1
            continue
        by_household.setdefault(person.household_id, []).append((row, person))

    for household_id, hits in by_household.items():
        proposal = _household_proposal(hits, members[household_id], layout, today)
        if proposal is not None and (household_id, proposal.kind) not in pending:
            proposals.append(proposal)

    Listing.objects.bulk_create(_listings(check, layout, by_household, token, today), batch_size=500)
    for p in proposals:
        p.cross_check = check
        p.proposed_by = actor
    Proposal.objects.bulk_create(proposals, batch_size=500)
    check.matched = sum(len(h) for h in by_household.values())
    check.outside = outside
    check.proposals = len(proposals)
    check.save(update_fields=["matched", "outside", "proposals"])
    audit_record(actor=actor, action=AuditAction.IMPORT, obj=check, request=request, details={
        "source": source, "area": area.code, "rows": len(rows), "matched": check.matched,
        "proposals": check.proposals, "via": "api" if token else "page",
        **({"department": token.department.code, "token": token.prefix} if token else {}),
    })
    return CrossCheckResult(check=check, errors=[])


# The lists whose matched rows are kept for the early-warning signals (exchange.warning_signals).
LISTED_SOURCES = {Source.MEDICAL, Source.DISABILITY, Source.DEATH}


def _listings(check: CrossCheck, layout: Layout, by_household: dict[int, list[tuple[ListRow, Person]]],
              token: ApiToken | None, today: dt.date) -> list[Listing]:
    """The matched rows of a medical, disability or death list, with the facts the signals read
    (for a disability list, the roster's grade before the list too)."""
    if layout.source not in LISTED_SOURCES:
        return []
    department = token.department.name if token else SOURCE_DEPARTMENT[layout.source]
    out = []
    for household_id, hits in by_household.items():
        for row, person in hits:
            facts: dict[str, object] = {}
            if layout.source == Source.MEDICAL:
                facts = {"self_paid_fen": row.self_paid_fen, "year": row.year}
            elif layout.source == Source.DISABILITY:
                facts = {"grade": row.facts.get("disability_grade"), "grade_before": person.disability_grade}
            elif layout.source == Source.DEATH:
                facts = {"died_on": row.died_on.isoformat() if row.died_on else None, "name": person.name}
            out.append(Listing(cross_check=check, source=layout.source, department=department, listed_on=today,
                               household_id=household_id, person=person, facts=facts))
    return out


def _entry(row: ListRow, layout: Layout, villages: set[str], today: dt.date) -> Proposal | None:
    """A person on no household whose listed facts alone meet a tier, in a village of the area."""
    if row.died_on is not None or row.village_code not in villages:
        return None
    facts = idnumber.parse(row.id_number, today=today)
    known = {k: v for k, v in row.facts.items() if k in rules.MemberFacts.__dataclass_fields__}
    suggestion = rules.suggest([rules.MemberFacts(birth_date=facts.birth_date, **known)], today)
    if not suggestion.tier:
        return None
    return Proposal(
        kind=ProposalKind.ENTRY, reason=ProposalReason.CROSS_CHECK, county_id=county_code(row.village_code),
        village_id=row.village_code, effective_on=today, name=row.name, id_number=row.id_number, id_masked=idnumber.mask(row.id_number),
        address=row.address, facts={"list_facts": row.facts, "suggested_tier": suggestion.tier,
                                    "suggested_criteria": list(suggestion.criteria), "row": row.row},
    )


def _household_proposal(hits: list[tuple[ListRow, Person]], people: list[Person], layout: Layout,
                        today: dt.date) -> Proposal | None:
    household = people[0].household
    # Effective from the department's list day (the day it says so), a death from its date.
    base = {"county_id": county_code(household.village_id), "village_id": household.village_id,
            "household": household, "reason": ProposalReason.CROSS_CHECK, "effective_on": today}
    dead = [(row, person) for row, person in hits if row.died_on is not None]
    if dead:
        if household.status != HouseholdStatus.ACTIVE:
            return None
        every = {p.pk for p in people} <= {person.pk for _row, person in dead}
        died = [{"person": person.pk, "name": person.name, "field": "died_on", "label": _("死亡日期"),
                 "roster": None, "list": row.died_on.isoformat(), "roster_text": "—",
                 "list_text": row.died_on.isoformat()} for row, person in dead]
        died_on = max(row.died_on for row, _person in dead)
        if every:
            return Proposal(kind=ProposalKind.EXIT, **{**base, "reason": ProposalReason.DEATH, "effective_on": died_on},
                            facts={"changes": died})
        return Proposal(kind=ProposalKind.MISMATCH, **{**base, "effective_on": died_on}, facts={"changes": died})

    changes = []
    new_facts: dict[int, dict] = {}
    for row, person in hits:
        for key, value in row.facts.items():
            if _fact_value(person, key) != value:
                changes.append({"person": person.pk, "name": person.name, "field": key, "label": FACT_LABELS.get(key, key),
                                "roster": _fact_value(person, key), "list": value,
                                "roster_text": fact_text(key, _fact_value(person, key)),
                                "list_text": fact_text(key, value)})
                new_facts.setdefault(person.pk, {})[key] = value
    if not changes:
        return None
    judged = rules.MemberFacts.__dataclass_fields__
    after = [rules.MemberFacts(**{**rules.MemberFacts.of(p).__dict__,
                                  **{k: v for k, v in new_facts.get(p.pk, {}).items() if k in judged}})
             for p in people]
    suggestion = rules.suggest(after, today)
    facts = {"changes": changes, "suggested_tier": suggestion.tier, "suggested_criteria": list(suggestion.criteria)}
    if household.status != HouseholdStatus.ACTIVE:
        if suggestion.tier:
            return Proposal(kind=ProposalKind.REENTRY, **{**base, "reason": ProposalReason.MEETS_CRITERIA}, facts=facts)
        return None
    kind = ProposalKind.TIER_CHANGE if suggestion.tier and suggestion.tier != household.tier else ProposalKind.MISMATCH
    return Proposal(kind=kind, **base, facts=facts)


def read_upload(content: bytes, filename: str) -> list[dict[str, str]]:
    """An uploaded .xlsx/.csv as rows keyed by header (the roster import's reader)."""
    values = read_table(content, filename)
    if not values:
        return []
    headers = [h.strip() for h in values[0]]
    return [dict(zip(headers, row, strict=False)) for row in values[1:] if any(v for v in row)]
