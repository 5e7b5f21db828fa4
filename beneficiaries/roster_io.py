"""The roster sheet in and out: the county's Excel template (one row per person), the two
ledgers 特殊困难群体关爱台账 and 结对帮扶关爱台账.

Import is two passes over the same file: `roster_parse` reads and checks every row (nothing is
written; it is the dry-run preview), `roster_import` runs it again and, only when there is not
a single error, writes everything in one transaction through the roster actions. A bad row is
reported with its row number (as Excel shows it), its column header and a Chinese reason.

ID numbers: exports are masked unless a revealing role asks for full numbers (audited as a
reveal). A masked number in an imported row still finds its person: the member of the same
household with the same name whose number fits the mask — so a masked ledger round-trips for
changes to existing people; a new person needs the full number.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import BooleanField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import sheets
from accounts.actions import audit_record
from accounts.models import Area, AreaLevel, AuditAction, AuditEvent, User
from accounts.phones import mask_phone, phone_for
from accounts.scoping import scope_queryset
from accounts.sheets import RowError
from imports.bulk import copy_insert, copy_rows

from . import actions, events, idnumber, rules
from .models import (
    BenefitStatus,
    Cadre,
    CadreKind,
    CivilCapacity,
    Classification,
    DisabilityType,
    Household,
    HouseholdStatus,
    LeftBehind,
    Pairing,
    PairingRelation,
    Person,
    Relation,
    SelfCare,
    SupportMode,
    Tier,
    WorkCapacity,
)

ROSTER_TITLE = "特殊困难群体关爱台账"
PAIRING_TITLE = "结对帮扶关爱台账"
TEMPLATE_TITLE = "关爱对象花名册导入模板"

# The contract: these headers, in this wording and order (issue 3).
HEADERS = [
    "户编号", "村级区划代码", "姓名", "身份证号", "与户主关系", "联系电话", "保障类别", "供养方式",
    "自理能力", "残疾类别", "残疾等级", "长期患大病", "劳动能力", "主要劳动力", "留守情况",
    "民事行为能力", "监护人姓名", "监护人能否履责", "类别", "认定标准", "认定理由", "结对干部姓名",
    "结对干部电话", "结对干部类型", "结对关系",
]
REQUIRED = {"户编号", "村级区划代码", "姓名", "身份证号", "与户主关系"}

PAIRING_HEADERS = [
    "序号", "县(市)", "乡镇(街道)", "村(居)", "户编号", "户主姓名", "身份证号", "类别", "认定标准",
    "结对干部姓名", "结对干部类型", "工作单位", "结对干部电话", "结对关系", "结对日期", "结束日期", "结束原因",
]

# Person field → header, to put a model validation error in the right column.
FIELD_HEADER = {
    "name": "姓名", "id_number": "身份证号", "relation": "与户主关系", "phone": "联系电话",
    "benefit_status": "保障类别", "support_mode": "供养方式", "self_care": "自理能力",
    "disability_type": "残疾类别", "disability_grade": "残疾等级", "serious_illness": "长期患大病",
    "work_capacity": "劳动能力", "is_main_earner": "主要劳动力", "left_behind": "留守情况",
    "civil_capacity": "民事行为能力", "guardian_name": "监护人姓名", "guardian_can_act": "监护人能否履责",
}


def _labels(choices, extra: dict[str, str] | None = None) -> dict[str, str]:
    out = {str(label): value for value, label in choices.choices}
    out.update(extra or {})
    return out


CHOICE_COLUMNS: dict[str, tuple[dict[str, str], str]] = {
    # header: (label → value, value when blank)
    "与户主关系": (_labels(Relation, {"本人": "head", "妻子": "spouse", "丈夫": "spouse", "儿子": "child", "女儿": "child",
                                     "孙子": "grandchild", "孙女": "grandchild", "父亲": "parent", "母亲": "parent"}), ""),
    "保障类别": (_labels(BenefitStatus, {"特困人员": "tekun", "低保对象": "dibao", "低收入人口": "low_income",
                                       "事实无人抚养儿童": "unattended_child"}), "none"),
    "供养方式": (_labels(SupportMode, {"分散": "dispersed", "集中": "institutional"}), ""),
    "自理能力": (_labels(SelfCare, {"自理": "full", "全失能": "none"}), "full"),
    "残疾类别": (_labels(DisabilityType), ""),
    "劳动能力": (_labels(WorkCapacity, {"无劳动能力": "none", "未成年": "na", "在校": "na"}), ""),
    "留守情况": (_labels(LeftBehind), ""),
    "民事行为能力": (_labels(CivilCapacity, {"完全民事行为能力": "full", "限制民事行为能力": "limited",
                                          "无民事行为能力": "none"}), "full"),
    "结对干部类型": (_labels(CadreKind), ""),
    "结对关系": (_labels(PairingRelation), ""),
}
YES = {"是", "有", "能", "y", "yes", "1", "true"}
NO = {"否", "无", "不能", "n", "no", "0", "false"}


@dataclass
class PersonRow:
    row: int
    values: dict[str, Any]  # Person field values (id_number normalised, birth/sex derived)
    masked: bool = False  # the sheet carried a masked ID number


@dataclass
class HouseholdRows:
    code: str
    first_row: int
    village: Area | None = None
    people: list[PersonRow] = field(default_factory=list)
    tier: str = ""
    criteria: list[str] = field(default_factory=list)
    reason: str = ""
    cadre: dict[str, str] = field(default_factory=dict)
    existing: Household | None = None
    suggestion: rules.Suggestion | None = None
    has_row_errors: bool = False  # then household-level checks would only repeat the row's error

    @property
    def cadre_name(self) -> str:
        return self.cadre.get("结对干部姓名", "")

    @property
    def head_name(self) -> str:
        return next((p.values["name"] for p in self.people if p.values.get("relation") == "head"), "")


@dataclass
class ImportResult:
    households: list[HouseholdRows]
    errors: list[RowError]
    total_rows: int

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.households)

    @property
    def new_households(self) -> int:
        return sum(1 for h in self.households if h.existing is None)

    @property
    def people(self) -> int:
        return sum(len(h.people) for h in self.households)


# --- reading -----------------------------------------------------------------------------------

Progress = Callable[[int, int, str], None]  # (done, total, phase): an import job's progress bar

# The one reader of spreadsheets (encodings, limits, a Chinese message for any bad file).
read_table = sheets.read_table


def _yes_no(raw: str, default: bool | None) -> bool | None:
    v = raw.strip().lower()
    if not v:
        return default
    if v in YES:
        return True
    if v in NO:
        return False
    raise ValueError


_GRADE = {"一": 1, "二": 2, "三": 3, "四": 4}


def _grade(raw: str) -> int | None:
    v = raw.strip().replace("级", "")
    if not v or v == "无":
        return None
    v = str(_GRADE.get(v, v))
    if v.isdigit() and 1 <= int(v) <= 4:
        return int(v)
    raise ValueError


def roster_parse(*, actor: User, content: bytes, filename: str, today: date,
                 progress: Progress | None = None, table: list[list[str]] | None = None) -> ImportResult:
    """Read and check every row; write nothing. The dry-run preview and the first half of
    the import. `table`: the file as read_table read it already (imports.jobs keeps it from the
    check to the commit, so the file is parsed once)."""
    try:
        table = read_table(content, filename) if table is None else table
    except ValidationError as exc:
        return ImportResult([], [RowError(0, "", exc.messages[0])], 0)
    # Skip blank lines and a title line above the headers, if any; repeated headers are refused.
    try:
        header_at, index = sheets.header_index(table, HEADERS, anchor=["身份证号", "户编号"])
    except sheets.SheetError as exc:
        at = next((i for i, r in enumerate(table[:5]) if "身份证号" in r and "户编号" in r), 0)
        return ImportResult([], [RowError(at + 1, "", exc.messages[0])], 0)

    errors: list[RowError] = []
    households: dict[str, HouseholdRows] = {}
    seen_ids: dict[str, int] = {}
    villages = {a.code: a for a in Area.objects.filter(level=AreaLevel.VILLAGE)}
    person_fields = {f.name for f in Person._meta.fields}
    total = 0

    data_rows = len(table) - header_at - 1
    for offset, raw in enumerate(table[header_at + 1:], start=header_at + 2):
        if progress is not None and offset % 1000 == 0:
            progress(offset - header_at - 2, data_rows, _("检查数据"))
        if not any(c.strip() for c in raw):
            continue
        total += 1
        cells = {h: (raw[i].strip() if i < len(raw) else "") for h, i in index.items()}
        row_errors: list[RowError] = []

        def err(column: str, message: str, _row=offset, _errs=row_errors) -> None:
            _errs.append(RowError(_row, column, message))

        for h in REQUIRED:
            if not cells[h]:
                err(h, _("必填项“%(c)s”为空。") % {"c": h})
        values: dict[str, Any] = {"name": cells["姓名"], "phone": cells["联系电话"], "guardian_name": cells["监护人姓名"]}
        for h, fname in (("与户主关系", "relation"), ("保障类别", "benefit_status"), ("供养方式", "support_mode"),
                         ("自理能力", "self_care"), ("残疾类别", "disability_type"), ("劳动能力", "work_capacity"),
                         ("留守情况", "left_behind"), ("民事行为能力", "civil_capacity")):
            mapping, blank = CHOICE_COLUMNS[h]
            v = cells[h]
            if not v or v == "无" and "无" not in mapping:
                values[fname] = blank
            elif v in mapping:
                values[fname] = mapping[v]
            else:
                err(h, _("“%(v)s”不是有效的%(c)s，可填：%(ok)s。") % {"v": v, "c": h, "ok": "、".join(_choice_hint(h))})
        try:
            values["disability_grade"] = _grade(cells["残疾等级"])
        except ValueError:
            err("残疾等级", _("残疾等级应为1至4级，当前为“%(v)s”。") % {"v": cells["残疾等级"]})
        for h, fname, default in (("长期患大病", "serious_illness", False), ("主要劳动力", "is_main_earner", False),
                                  ("监护人能否履责", "guardian_can_act", None)):
            try:
                values[fname] = _yes_no(cells[h], default)
            except ValueError:
                err(h, _("“%(c)s”应填“是”或“否”，当前为“%(v)s”。") % {"c": h, "v": cells[h]})
        if values.get("disability_type") and values.get("disability_grade") is None:
            err("残疾等级", _("填写了残疾类别，请同时填写残疾等级（1至4级）。"))

        # ID number: full (validated) or masked (matched to an existing member later).
        raw_id = idnumber.normalize(cells["身份证号"])
        masked = "*" in raw_id
        if raw_id and not masked:
            try:
                facts = idnumber.parse(raw_id, today=today)
            except ValidationError as exc:
                err("身份证号", exc.messages[0])
            else:
                values.update(id_number=raw_id, birth_date=facts.birth_date, sex=facts.sex)
                if raw_id in seen_ids:
                    err("身份证号", _("与第%(r)d行的身份证号重复。") % {"r": seen_ids[raw_id]})
                seen_ids.setdefault(raw_id, offset)
        elif masked:
            values["id_number"] = raw_id
        if not values.get("work_capacity") and "birth_date" in values:
            values["work_capacity"] = "na" if idnumber.age_on(values["birth_date"], today) < rules.ADULT_AGE else "able"
        values.setdefault("work_capacity", "able")

        # Village: a real village under the importer's areas.
        code = cells["村级区划代码"]
        village = villages.get(code)
        if code and village is None:
            err("村级区划代码", _("“%(v)s”不是黔东南州的村级区划代码（12位）。") % {"v": code})
        elif village is not None and not actions.village_in_scope(actor, village):
            err("村级区划代码", _("村“%(v)s”（%(c)s）不在您负责的区域内。") % {"v": village.name, "c": code})

        # Model-level checks (lengths and the like), without the uniqueness the import resolves.
        if "birth_date" in values:
            probe = Person(**{k: v for k, v in values.items() if k in person_fields})
            try:
                probe.full_clean(exclude=["household"], validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                for fname, msgs in exc.message_dict.items():
                    if fname in FIELD_HEADER and not any(e.column == FIELD_HEADER[fname] for e in row_errors):
                        err(FIELD_HEADER[fname], msgs[0])

        hh_code = cells["户编号"]
        if len(hh_code) > Household._meta.get_field("code").max_length:
            err("户编号", _("户编号不能超过%(n)d个字符。") % {"n": Household._meta.get_field("code").max_length})
            hh_code = ""
        if hh_code:
            hh = households.get(hh_code)
            if hh is None:
                hh = households[hh_code] = HouseholdRows(code=hh_code, first_row=offset, village=village)
            elif village is not None and hh.village is not None and village.pk != hh.village.pk:
                err("村级区划代码", _("同一户（%(h)s）的成员应在同一个村，与第%(r)d行不一致。") % {"h": hh_code, "r": hh.first_row})
            _household_level(hh, cells, offset, err)
            if not row_errors:
                hh.people.append(PersonRow(row=offset, values=values, masked=masked))
            else:
                hh.has_row_errors = True
        errors.extend(row_errors)

    _check_against_database(actor, households, errors, today)
    result = ImportResult(list(households.values()), sorted(errors, key=lambda e: (e.row, e.column)), total)
    if total == 0:
        result.errors.append(RowError(header_at + 2, "", _("文件中没有数据行。")))
    return result


def _choice_hint(header: str) -> list[str]:
    mapping, _blank = CHOICE_COLUMNS[header]
    seen, out = set(), []
    for label, value in mapping.items():
        if value not in seen:
            seen.add(value)
            out.append(label)
    return out


def _household_level(hh: HouseholdRows, cells: dict[str, str], row: int, err) -> None:
    """类别, 认定标准, 认定理由 and the cadre columns describe the household: the first row that
    fills them sets them; a later row that contradicts is an error."""
    tier = cells["类别"].upper().replace("类", "").strip()
    if tier and tier not in Tier.values:
        err("类别", _("类别应为A、B或C，当前为“%(v)s”。") % {"v": cells["类别"]})
        tier = ""
    criteria = sorted({c for c in re.split(r"[\s,，、;；/]+", cells["认定标准"].upper()) if c})
    known = {c for codes in rules.CRITERIA_BY_TIER.values() for c in codes}
    if set(criteria) - known:
        err("认定标准", _("认定标准“%(v)s”无效，应为A1–A3、B1–B4、C1–C2。") % {"v": "、".join(sorted(set(criteria) - known))})
        criteria = []
    for attr, value, header in (("tier", tier, "类别"), ("criteria", criteria, "认定标准"), ("reason", cells["认定理由"], "认定理由")):
        if value:
            if getattr(hh, attr) and getattr(hh, attr) != value:
                err(header, _("同一户的%(c)s应一致，与第%(r)d行不同。") % {"c": header, "r": hh.first_row})
            else:
                setattr(hh, attr, value)
    cadre = {k: cells[k] for k in ("结对干部姓名", "结对干部电话", "结对干部类型", "结对关系") if cells[k]}
    if cadre:
        if hh.cadre and hh.cadre != cadre:
            err("结对干部姓名", _("同一户只能有一名结对干部，与第%(r)d行不同。") % {"r": hh.first_row})
            return
        for h in ("结对干部姓名", "结对干部电话", "结对关系"):
            if not cells[h]:
                err(h, _("填写了结对干部时，“%(c)s”必填。") % {"c": h})
        for h in ("结对干部类型", "结对关系"):
            if cells[h] and cells[h] not in CHOICE_COLUMNS[h][0]:
                err(h, _("“%(v)s”不是有效的%(c)s，可填：%(ok)s。") % {"v": cells[h], "c": h, "ok": "、".join(_choice_hint(h))})
        hh.cadre = cadre


def _check_against_database(actor: User, households: dict[str, HouseholdRows], errors: list[RowError], today: date) -> None:
    """What only the database knows: existing households and people (in scope?), masked numbers,
    a single head per household, cadres, and whether the tier decision is allowed."""
    existing = {h.code: h for h in Household.objects.filter(code__in=list(households)).select_related("village")}
    visible = set(scope_queryset(actor, Household.objects.filter(code__in=list(households))).values_list("code", flat=True))
    full_ids = [p.values["id_number"] for h in households.values() for p in h.people if not p.masked and "id_number" in p.values]
    known_people = {p.id_number: p for p in Person.objects.filter(id_number__in=full_ids).select_related("household")}
    in_scope_people = set(scope_queryset(actor, Person.objects.filter(id_number__in=full_ids)).values_list("id_number", flat=True))
    members_by_code: dict[str, list[Person]] = defaultdict(list)
    for p in Person.objects.filter(household__code__in=list(households)).select_related("household"):
        members_by_code[p.household.code].append(p)
    classifier = actions.can_classify(actor)
    for hh in households.values():  # a cadre phone masked by an export means the stored number
        phone = hh.cadre.get("结对干部电话", "") if hh.cadre else ""
        if "*" in phone:
            found = find_cadre(hh.cadre.get("结对干部姓名", ""), phone)
            if found is None:
                errors.append(RowError(hh.first_row, "结对干部电话", _("结对干部电话已隐藏，且找不到对应的干部；请填写完整号码。")))
            else:
                hh.cadre["结对干部电话"] = found.phone
    cadres = _cadres_by_name_phone({(h.cadre.get("结对干部姓名", ""), h.cadre.get("结对干部电话", ""))
                                    for h in households.values() if h.cadre})
    cadres_in_scope = set(scope_queryset(actor, Cadre.objects.filter(pk__in=[c.pk for c in cadres.values()]))
                          .values_list("pk", flat=True))

    for code, hh in households.items():
        hh.existing = existing.get(code)
        if hh.has_row_errors:
            continue
        if hh.existing is not None and code not in visible:
            errors.append(RowError(hh.first_row, "户编号", _("户编号“%(c)s”已被您负责区域以外的家庭使用。") % {"c": code}))
            continue
        for p in hh.people:
            number = p.values.get("id_number", "")
            if p.masked:
                match = [m for m in members_by_code.get(code, [])
                         if m.name == p.values["name"] and idnumber.mask(m.id_number) == number]
                if len(match) != 1:
                    errors.append(RowError(p.row, "身份证号", _("身份证号已隐藏（%(m)s），且在该户找不到同名成员与之对应；新成员请填写完整的18位身份证号。") % {"m": number}))
                    continue
                p.values.update(id_number=match[0].id_number, birth_date=match[0].birth_date, sex=match[0].sex)
            elif number in known_people and number not in in_scope_people:
                errors.append(RowError(p.row, "身份证号", _("该身份证号已在您负责区域以外登记，请与对方核实。")))
            number = p.values.get("id_number", "")
            _keep_masked_phone(p, known_people.get(number) or next(
                (m for m in members_by_code.get(code, []) if m.id_number == number), None), errors)
        heads = [p for p in hh.people if p.values.get("relation") == "head"]
        if hh.existing is None and len(heads) != 1:
            errors.append(RowError(hh.first_row, "与户主关系", _("户编号“%(c)s”应有且只有一名户主，当前%(n)d名。") % {"c": code, "n": len(heads)}))
        elif len(heads) > 1:
            errors.append(RowError(heads[1].row, "与户主关系", _("户编号“%(c)s”出现了多名户主。") % {"c": code}))
        # The suggestion uses the members in the file plus existing members not in it.
        in_file = {p.values.get("id_number") for p in hh.people}
        facts = [rules.MemberFacts(**{k: p.values[k] for k in rules.MemberFacts.__dataclass_fields__ if k in p.values})
                 for p in hh.people if "birth_date" in p.values]
        facts += [rules.MemberFacts.of(m) for m in members_by_code.get(code, []) if m.id_number not in in_file]
        hh.suggestion = rules.suggest(facts, today)
        if hh.criteria and not hh.tier:
            hh.tier = rules.tier_of(hh.criteria)
        if hh.tier and not hh.criteria and hh.suggestion.tier == hh.tier:
            hh.criteria = list(hh.suggestion.criteria)
        if hh.tier and _decision_changes(hh):
            if not classifier:
                errors.append(RowError(hh.first_row, "类别", _("只有县(市)民政部门可以认定或调整类别；乡镇可留空，由系统建议后报县级认定。")))
            else:
                for problem in rules.decision_problems(tier=hh.tier, criteria=hh.criteria, reason=hh.reason,
                                                       suggestion=hh.suggestion):
                    errors.append(RowError(hh.first_row, "认定理由" if "理由" in problem else "认定标准", problem))
        if hh.cadre:
            _check_cadre(hh, errors, cadres, cadres_in_scope)


def _keep_masked_phone(p, known: Person | None, errors: list[RowError]) -> None:
    """Exports write phone numbers masked (accounts/phones.py): a masked number re-imported for a
    known person keeps the stored one; a new person needs the full number."""
    phone = p.values.get("phone", "")
    if "*" not in phone:
        return
    if known is not None and mask_phone(known.phone) == phone:
        p.values["phone"] = known.phone
    else:
        errors.append(RowError(p.row, "联系电话", _("联系电话已隐藏（%(m)s），无法对应已登记的号码；请填写完整号码或留空。") % {"m": phone}))


def find_cadre(name: str, phone: str) -> Cadre | None:
    """The cadre named in a row; a masked phone (from an export) matches by its visible digits."""
    if "*" not in phone:
        return Cadre.objects.filter(name=name, phone=phone).first()
    matches = [c for c in Cadre.objects.filter(name=name, phone__endswith=phone[-4:]) if mask_phone(c.phone) == phone]
    return matches[0] if len(matches) == 1 else None


def _decision_changes(hh: HouseholdRows) -> bool:
    if hh.existing is None:
        return True
    return hh.existing.tier != hh.tier or sorted(hh.existing.criteria) != sorted(hh.criteria)


def _check_cadre(hh: HouseholdRows, errors: list[RowError], cadres: dict[tuple[str, str], Cadre],
                 cadres_in_scope: set[int]) -> None:
    c = hh.cadre
    cadre = cadres.get((c.get("结对干部姓名", ""), c.get("结对干部电话", "")))
    if cadre is not None:
        if cadre.pk not in cadres_in_scope:
            errors.append(RowError(hh.first_row, "结对干部姓名", _("结对干部“%(n)s”不在您负责的区域内。") % {"n": cadre.name}))
        elif not cadre.active:
            errors.append(RowError(hh.first_row, "结对干部姓名", _("结对干部“%(n)s”已离岗。") % {"n": cadre.name}))
    elif not c.get("结对干部类型"):
        errors.append(RowError(hh.first_row, "结对干部类型", _("新的结对干部须填写结对干部类型。")))
    elif CHOICE_COLUMNS["结对干部类型"][0].get(c["结对干部类型"]) == CadreKind.AGENCY:
        errors.append(RowError(hh.first_row, "结对干部类型", _("第三方机构人员请先在帮扶干部名录中登记（需指定机构）。")))


# --- writing ---------------------------------------------------------------------------------


def _no_progress(done: int, total: int, phase: str) -> None:
    pass


def roster_import(*, actor: User, content: bytes, filename: str, today: date, request=None,
                  progress: Progress = _no_progress, table: list[list[str]] | None = None) -> ImportResult:
    """Check the file again and, if every row is good, write it all in one transaction.
    Any error — found now or raised by the database — leaves the database as it was.

    The write is set-based: a handful of bulk statements per file (new cadres, households, people
    changed and added, classifications, pairings ended and created), one bulk insert of the audit
    rows and one schedule refresh over the imported households. Inserts go by COPY (imports.bulk)."""
    result = roster_parse(actor=actor, content=content, filename=filename, today=today, progress=progress, table=table)
    if not result.ok:
        return result
    if not actions.can_edit_roster(actor):
        result.errors.append(RowError(0, "", _("您没有维护花名册的权限。")))
        return result
    try:
        with transaction.atomic():
            stats = _bulk_write(actor, result, today, request, progress)
            audit_record(actor=actor, action=AuditAction.IMPORT, object_type="beneficiaries.household",
                         object_repr=f"{ROSTER_TITLE} {filename}"[:200], request=request,
                         details={"file": filename, "rows": result.total_rows, "households": len(result.households),
                                  **stats})
    except ValidationError as exc:
        result.errors.append(RowError(0, "", _("导入失败，未写入任何数据：%(m)s") % {"m": "；".join(exc.messages)}))
    except IntegrityError:
        result.errors.append(RowError(0, "", _("导入失败，未写入任何数据：身份证号已登记，或某户出现了两名户主。")))
    except DataError:
        result.errors.append(RowError(0, "", _("导入失败，未写入任何数据：有内容超出了允许的长度。")))
    return result


def _bulk_write(actor: User, result: ImportResult, today: date, request, progress: Progress) -> dict[str, int]:
    from accounts.actions import changed_fields, client_ip

    ip = client_ip(request)
    # Audit rows as tuples (action, object type, object id, object repr, details), written by one
    # COPY at the end (imports.bulk.copy_rows): tens of thousands, no model instance each.
    audits: list[tuple[str, str, str, str, dict]] = []

    def audit(action: str, obj, details: dict) -> None:
        audits.append((action, obj._meta.label_lower, str(obj.pk), str(obj)[:200], details))

    households = result.households
    steps = 7
    progress(0, steps, _("写入家庭"))
    # 1. Households: new ones in one INSERT; existing ones that moved village in one UPDATE.
    existing = [hh for hh in households if hh.existing is not None]
    for hh in existing:
        if hh.existing.status != HouseholdStatus.ACTIVE and (hh.tier and _decision_changes(hh) or hh.cadre):
            raise ValidationError(_("户编号“%(c)s”已退出花名册，不能再认定类别或结对。") % {"c": hh.code})
    new = [Household(code=hh.code, village=hh.village) for hh in households if hh.existing is None]
    copy_insert(new)
    new_by_code = {h.code: h for h in new}
    moved = []
    for hh in existing:
        if hh.existing.village_id != hh.village.pk:
            audit(AuditAction.CHANGE, hh.existing, {"village": [hh.existing.village_id, hh.village.pk]})
            hh.existing.village = hh.village
            moved.append(hh.existing)
    Household.objects.bulk_update(moved, ["village"])
    for h in new:
        audit(AuditAction.CREATE, h, {"village": h.village_id})
    household_of = {hh.code: hh.existing or new_by_code[hh.code] for hh in households}

    # 2. People: changed ones in one UPDATE, new ones in one INSERT. Whoever stops being a head
    #    is written before the new heads (the database holds one head per household).
    progress(1, steps, _("写入成员"))
    numbers = [p.values["id_number"] for hh in households for p in hh.people]
    by_number = {p.id_number: p for p in Person.objects.filter(id_number__in=numbers)}
    changed_non_heads, changed_heads, created = [], [], []
    people_updated = 0
    for hh in households:
        household = household_of[hh.code]
        for prow in hh.people:
            values = actions.person_values(prow.values, today=today)
            person = by_number.get(values["id_number"])
            if person is None:
                person = Person(household=household, **values)
                created.append(person)
                continue
            people_updated += 1
            diff = actions._audit_person_diff(changed_fields(person, values))
            if person.household_id != household.pk:
                diff["household"] = [person.household_id, household.pk]
                person.household = household
            if not diff:
                continue
            for name, value in values.items():
                setattr(person, name, value)
            (changed_heads if person.relation == "head" else changed_non_heads).append(person)
            audit(AuditAction.CHANGE, person, {"household": hh.code, "changes": diff})
    fields = [f for f in actions.PERSON_FIELDS if f != "id_number"] + ["household", "birth_date", "sex"]
    Person.objects.bulk_update(changed_non_heads, fields, batch_size=2000)
    copy_insert([p for p in created if p.relation != "head"])
    Person.objects.bulk_update(changed_heads, fields, batch_size=2000)
    copy_insert([p for p in created if p.relation == "head"])
    for p in created:
        audit(AuditAction.CREATE, p, {"household": p.household.code})

    # 3. Classifications decided in the file (checked against the rules by roster_parse).
    progress(2, steps, _("写入类别认定"))
    decisions, reclassified = [], []
    for hh in households:
        if not hh.tier:
            continue
        household = household_of[hh.code]
        criteria = sorted(set(hh.criteria))
        if hh.existing is not None and not _decision_changes(hh):
            continue
        suggestion = hh.suggestion
        decisions.append(Classification(
            household=household, suggested_tier=suggestion.tier, suggested_criteria=list(suggestion.criteria),
            from_tier=household.tier, tier=hh.tier, criteria=criteria, reason=hh.reason.strip(), effective_on=today,
            decided_by=actor,
        ))
        if household.tier != hh.tier or household.tier_since is None:
            household.tier_since = today
        household.tier, household.criteria = hh.tier, criteria
        reclassified.append(household)
    copy_insert(decisions)
    Household.objects.bulk_update(reclassified, ["tier", "criteria", "tier_since"], batch_size=2000)
    for c in decisions:
        audit(AuditAction.CHANGE, c.household, {"classification": c.pk, "from": c.from_tier, "to": c.tier,
                                                 "criteria": c.criteria, "override": c.is_override})

    # 4. Cadres new to the directory, then pairings: the current one ended where the cadre
    #    changes, the new one created.
    progress(3, steps, _("写入结对"))
    wanted = {(hh.cadre["结对干部姓名"], hh.cadre["结对干部电话"]) for hh in households if hh.cadre}
    cadres = _cadres_by_name_phone(wanted)
    new_cadres = {}
    for hh in households:
        if not hh.cadre:
            continue
        key = (hh.cadre["结对干部姓名"], hh.cadre["结对干部电话"])
        if key not in cadres and key not in new_cadres:
            new_cadres[key] = Cadre(name=key[0], phone=key[1], kind=CHOICE_COLUMNS["结对干部类型"][0][hh.cadre["结对干部类型"]],
                                    home_village=household_of[hh.code].village)
    for cadre in new_cadres.values():  # the village is one of the checked villages: no query per cadre
        cadre.full_clean(exclude=["home_village", "agency", "user"], validate_unique=False, validate_constraints=False)
    copy_insert(list(new_cadres.values()))
    for cadre in new_cadres.values():
        audit(AuditAction.CREATE, cadre, {})
    cadres.update(new_cadres)
    paired = [household_of[hh.code] for hh in households if hh.cadre]
    current = {p.household_id: p for p in Pairing.objects.filter(household__in=[h.pk for h in paired],
                                                                  ended_on__isnull=True)}
    ended, pairings = [], []
    reason = _("导入花名册时调整结对干部")
    for hh in households:
        if not hh.cadre:
            continue
        household = household_of[hh.code]
        cadre = cadres[(hh.cadre["结对干部姓名"], hh.cadre["结对干部电话"])]
        now = current.get(household.pk)
        if now is not None and now.cadre_id == cadre.pk:
            continue
        if now is not None:
            now.ended_on, now.end_reason = max(today, now.started_on), reason
            ended.append(now)
        pairings.append(Pairing(household=household, cadre=cadre, relation=CHOICE_COLUMNS["结对关系"][0][hh.cadre["结对关系"]],
                                started_on=today, created_by=actor))
    Pairing.objects.bulk_update(ended, ["ended_on", "end_reason"], batch_size=2000)
    copy_insert(pairings)
    for p in ended:
        audit(AuditAction.CHANGE, p, {"ended_on": str(p.ended_on), "reason": p.end_reason})
    for p in pairings:
        audit(AuditAction.CREATE, p, {"household": p.household.code, "cadre": p.cadre_id, "relation": p.relation})

    # 5. One audit insert; 6. one schedule refresh over the imported households.
    progress(4, steps, _("写入审计记录"))
    now = timezone.now()
    copy_rows(AuditEvent, ["actor_id", "action", "object_type", "object_id", "object_repr", "ip", "details", "at"],
              [(actor.pk, *row, now) for row in ((a, t, i, r, ip, d) for a, t, i, r, d in audits)])
    progress(5, steps, _("重新计算应访日期"))
    events.roster_changed(households=Household.objects.filter(
        RawSQL("id = ANY(%s::bigint[])", ([h.pk for h in household_of.values()],), output_field=BooleanField())),
        today=today)
    progress(steps, steps, _("完成"))
    return {"created": len(new), "people_created": len(created), "people_updated": people_updated,
            "classifications": len(decisions), "pairings": len(pairings)}


def _cadres_by_name_phone(keys: set[tuple[str, str]]) -> dict[tuple[str, str], Cadre]:
    """The directory's cadres for (name, phone) pairs, in one query."""
    if not keys:
        return {}
    names = {k[0] for k in keys}
    phones = {k[1] for k in keys}
    return {(c.name, c.phone): c for c in Cadre.objects.filter(name__in=names, phone__in=phones)
            if (c.name, c.phone) in keys}


# --- writing files -----------------------------------------------------------------------------

def _value_labels() -> dict[str, dict[str, str]]:
    def rev(choices):
        return {value: str(label) for value, label in choices.choices}

    return {
        "relation": rev(Relation), "benefit_status": rev(BenefitStatus), "support_mode": rev(SupportMode),
        "self_care": rev(SelfCare), "disability_type": rev(DisabilityType), "work_capacity": rev(WorkCapacity),
        "left_behind": rev(LeftBehind), "civil_capacity": rev(CivilCapacity), "kind": rev(CadreKind),
        "pairing_relation": rev(PairingRelation),
    }


def _yn(v: bool | None) -> str:
    return "" if v is None else ("是" if v else "否")


def roster_rows(households: QuerySet[Household], *, full_ids: bool) -> list[list[str]]:
    return list(iter_roster_rows(households, full_ids=full_ids))


# Households per chunk of a streamed export: 1,000 keeps a prefecture-wide export's peak memory
# ~25 MB over idle (2,000 reached +49/+50 MB at 100,000 households, the limit set by issue 13).
EXPORT_CHUNK = 1000


def iter_roster_rows(households: QuerySet[Household], *, full_ids: bool,
                     chunk_size: int = EXPORT_CHUNK) -> Iterator[list[str]]:
    """One row per person, in the template's columns, streamed: households are read in chunks of
    `chunk_size` with their members and active pairing prefetched (three queries per chunk)."""
    labels = _value_labels()
    households = households.annotate(
        last_reason=Subquery(Classification.objects.filter(household=OuterRef("pk"))
                             .order_by("-effective_on", "-id").values("reason")[:1]),
    ).prefetch_related(
        Prefetch("members", queryset=Person.objects.order_by("id")),
        Prefetch("pairings", queryset=Pairing.objects.filter(ended_on__isnull=True).select_related("cadre"),
                 to_attr="active_pairings"),
    )
    if not households.query.order_by:
        households = households.order_by("pk")
    for h in households.iterator(chunk_size=chunk_size):
        pairing = h.active_pairings[0] if h.active_pairings else None
        members = sorted(h.members.all(), key=lambda p: (p.relation != "head", p.id))
        for p in members:
            yield [
                h.code, h.village_id, p.name, p.id_number if full_ids else p.id_masked,
                labels["relation"].get(p.relation, ""), p.phone if full_ids else phone_for(None, p.phone, export=True), labels["benefit_status"].get(p.benefit_status, ""),
                labels["support_mode"].get(p.support_mode, "") if p.support_mode else "",
                labels["self_care"].get(p.self_care, ""),
                labels["disability_type"].get(p.disability_type, "") if p.disability_type else "",
                str(p.disability_grade or ""), _yn(p.serious_illness), labels["work_capacity"].get(p.work_capacity, ""),
                _yn(p.is_main_earner), labels["left_behind"].get(p.left_behind, "") if p.left_behind else "",
                labels["civil_capacity"].get(p.civil_capacity, ""), p.guardian_name, _yn(p.guardian_can_act),
                h.tier, "、".join(h.criteria), h.last_reason or "",
                pairing.cadre.name if pairing else "", (pairing.cadre.phone if full_ids else phone_for(None, pairing.cadre.phone, export=True)) if pairing else "",
                labels["kind"].get(pairing.cadre.kind, "") if pairing else "",
                labels["pairing_relation"].get(pairing.relation, "") if pairing else "",
            ]


def pairing_rows(pairings: QuerySet[Pairing], *, full_ids: bool = False) -> list[list[str]]:
    return list(iter_pairing_rows(pairings, full_ids=full_ids))


def iter_pairing_rows(pairings: QuerySet[Pairing], *, full_ids: bool = False) -> Iterator[list[str]]:
    labels = _value_labels()
    pairings = pairings.select_related("cadre", "household__village__parent__parent").prefetch_related(
        Prefetch("household__members", queryset=Person.objects.filter(relation="head"), to_attr="heads")
    ).order_by("household__village_id", "household__code", "-started_on")
    for n, p in enumerate(pairings.iterator(chunk_size=EXPORT_CHUNK), start=1):
        h = p.household
        head = h.heads[0] if h.heads else None
        village = h.village
        township = village.parent
        county = township.parent if township else None
        yield [
            n, county.name if county else "", township.name if township else "", village.short_name, h.code,
            head.name if head else "", (head.id_number if full_ids else head.id_masked) if head else "",
            h.tier, "、".join(h.criteria), p.cadre.name, labels["kind"].get(p.cadre.kind, ""), p.cadre.work_unit,
            p.cadre.phone if full_ids else phone_for(None, p.cadre.phone, export=True), labels["pairing_relation"].get(p.relation, ""), p.started_on.isoformat(),
            p.ended_on.isoformat() if p.ended_on else "", p.end_reason,
        ]


ROSTER_WIDTHS = {"身份证号": 22, "村级区划代码": 16, "认定理由": 22}
TEXT_COLUMNS = ("身份证号", "村级区划代码", "户编号", "联系电话", "结对干部电话")


def roster_sheet(title: str, headers: list[str], rows: Iterable[Iterable[Any]]) -> sheets.Sheet:
    return sheets.Sheet(title=title, headers=headers, rows=rows, widths=ROSTER_WIDTHS, text_columns=TEXT_COLUMNS)


def area_sheet(codes: Iterable[str]) -> sheets.Sheet:
    """区划对照: the county, township and village names of every village code in the workbook."""
    from accounts.xlsx_style import area_names

    rows = [[code, *names] for code, names in sorted(area_names(codes).items())]
    return sheets.Sheet(title="区划对照", headers=["村级区划代码", "县(市)", "乡镇(街道)", "村(居)"], rows=rows,
                        widths={"村级区划代码": 16, "县(市)": 14, "乡镇(街道)": 16, "村(居)": 24},
                        text_columns=("村级区划代码",))


def write_xlsx(title: str, headers: list[str], rows: Iterable[Iterable[Any]], *,
               notes: list[list[str]] | None = None, area_codes: Iterable[str] | None = None) -> bytes:
    book = [roster_sheet(title, headers, rows)]
    if area_codes:
        book.append(area_sheet(area_codes))
    if notes:
        book.append(sheets.Sheet(title="填写说明", headers=notes[0], rows=notes[1:],
                                 widths={"列名": 16, "是否必填": 10, "说明": 90}))
    return sheets.xlsx_bytes(book)


def write_csv(headers: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    # With a BOM so Excel on Windows opens the Chinese text correctly; every cell guarded.
    return sheets.csv_bytes(headers, rows)


def template_notes() -> list[list[str]]:
    """The 填写说明 sheet: every column, whether required, what to write."""
    def opts(h: str) -> str:
        return "可填：" + "、".join(_choice_hint(h))

    return [
        ["列名", "是否必填", "说明"],
        ["户编号", "必填", "本县(市)自定的家庭编号；同一户的每个成员填同一个户编号。再次导入同一户编号会更新该户。"],
        ["村级区划代码", "必填", "12位统计用区划代码，如 522634101201；必须是您负责区域内的村(居)。"],
        ["姓名", "必填", "成员姓名。"],
        ["身份证号", "必填", "18位居民身份证号，系统校验出生日期和校验位；出生日期、年龄、性别由此得出。同一身份证号再次导入时更新该成员，不会重复。导出台账中隐藏的号码（如 522634********1234）可原样导回以更新已有成员。"],
        ["与户主关系", "必填", opts("与户主关系") + "；每户有且只有一名户主。"],
        ["联系电话", "选填", "手机或座机。"],
        ["保障类别", "选填", opts("保障类别") + "；空白视为“无”。"],
        ["供养方式", "选填", opts("供养方式") + "；特困人员、孤儿填写。"],
        ["自理能力", "选填", opts("自理能力") + "；空白视为完全自理。"],
        ["残疾类别", "选填", opts("残疾类别") + "。"],
        ["残疾等级", "选填", "1至4（也可写“一级”“2级”）；填写残疾类别时必填。"],
        ["长期患大病", "选填", "是／否，空白为否。"],
        ["劳动能力", "选填", opts("劳动能力") + "；空白时未成年人为“无(未成年或在校)”，其他为有劳动能力。"],
        ["主要劳动力", "选填", "是／否，空白为否。"],
        ["留守情况", "选填", opts("留守情况") + "。"],
        ["民事行为能力", "选填", opts("民事行为能力") + "；空白为完全。"],
        ["监护人姓名", "选填", "无民事行为能力或限制民事行为能力的成员、未成年人填写。"],
        ["监护人能否履责", "选填", "是／否。"],
        ["类别", "选填", "A、B或C（按户填写，同户各行一致）。留空则由系统根据成员情况给出建议，再由县(市)民政部门认定。只有县(市)民政部门导入时可填写新的类别。"],
        ["认定标准", "选填", "A1–A3、B1–B4、C1–C2，多项用顿号分隔，如“A1、A2”。只填类别且与系统建议一致时可留空。"],
        ["认定理由", "视情况", "A3、B4、C2为研判认定，必须填写理由；与系统建议不一致时也必须填写理由。"],
        ["结对干部姓名", "选填", "按户填写。系统按“姓名+电话”查找帮扶干部名录，找不到时新建。"],
        ["结对干部电话", "填干部时必填", "结对干部的手机号码。"],
        ["结对干部类型", "新干部必填", opts("结对干部类型") + "（第三方机构人员请先在名录中登记）。"],
        ["结对关系", "填干部时必填", opts("结对关系") + "。"],
    ]
