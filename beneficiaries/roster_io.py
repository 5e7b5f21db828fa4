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

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import openpyxl
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Font, PatternFill

from accounts.actions import audit_record
from accounts.models import Area, AreaLevel, AuditAction, User
from accounts.phones import mask_phone
from accounts.scoping import scope_queryset

from . import actions, idnumber, rules
from .models import (
    BenefitStatus,
    Cadre,
    CadreKind,
    CivilCapacity,
    Classification,
    DisabilityType,
    Household,
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
class RowError:
    row: int
    column: str
    message: str


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


def read_table(content: bytes, filename: str) -> list[list[str]]:
    """Rows of cells as strings (header row first) from an .xlsx or .csv upload."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged or mislabelled file
            raise ValidationError(_("无法读取该Excel文件，请确认是.xlsx格式且未损坏。")) from exc
        ws = wb.worksheets[0]
        return [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError(_("无法识别CSV文件的编码，请另存为UTF-8编码。"))
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    raise ValidationError(_("只支持.xlsx或.csv文件。"))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):  # Excel keeps dates as datetimes at midnight
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


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


def roster_parse(*, actor: User, content: bytes, filename: str, today: date) -> ImportResult:
    """Read and check every row; write nothing. The dry-run preview and the first half of
    the import."""
    try:
        table = read_table(content, filename)
    except ValidationError as exc:
        return ImportResult([], [RowError(0, "", exc.messages[0])], 0)
    # Skip blank lines and a title line above the headers, if any.
    header_at = next((i for i, r in enumerate(table[:5]) if "身份证号" in r and "户编号" in r), None)
    if header_at is None:
        return ImportResult([], [RowError(1, "", _("找不到表头：第一行应为模板中的列名（户编号、村级区划代码、姓名、身份证号……）。"))], 0)
    header = table[header_at]
    missing = [h for h in HEADERS if h not in header]
    if missing:
        return ImportResult([], [RowError(header_at + 1, "、".join(missing), _("缺少必需的列：%(c)s。") % {"c": "、".join(missing)})], 0)
    index = {h: header.index(h) for h in HEADERS}

    errors: list[RowError] = []
    households: dict[str, HouseholdRows] = {}
    seen_ids: dict[str, int] = {}
    villages = {a.code: a for a in Area.objects.filter(level=AreaLevel.VILLAGE)}
    total = 0

    for offset, raw in enumerate(table[header_at + 1:], start=header_at + 2):
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
            probe = Person(**{k: v for k, v in values.items() if k in {f.name for f in Person._meta.fields}})
            try:
                probe.full_clean(exclude=["household"], validate_unique=False, validate_constraints=False)
            except ValidationError as exc:
                for fname, msgs in exc.message_dict.items():
                    if fname in FIELD_HEADER and not any(e.column == FIELD_HEADER[fname] for e in row_errors):
                        err(FIELD_HEADER[fname], msgs[0])

        hh_code = cells["户编号"]
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
            _check_cadre(actor, hh, errors)


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


def _check_cadre(actor: User, hh: HouseholdRows, errors: list[RowError]) -> None:
    c = hh.cadre
    cadre = find_cadre(c.get("结对干部姓名", ""), c.get("结对干部电话", ""))
    if cadre is None and "*" in c.get("结对干部电话", ""):
        errors.append(RowError(hh.first_row, "结对干部电话", _("结对干部电话已隐藏，且找不到对应的干部；请填写完整号码。")))
        return
    if cadre is not None:
        if not scope_queryset(actor, Cadre.objects.filter(pk=cadre.pk)).exists():
            errors.append(RowError(hh.first_row, "结对干部姓名", _("结对干部“%(n)s”不在您负责的区域内。") % {"n": cadre.name}))
        elif not cadre.active:
            errors.append(RowError(hh.first_row, "结对干部姓名", _("结对干部“%(n)s”已离岗。") % {"n": cadre.name}))
    elif not c.get("结对干部类型"):
        errors.append(RowError(hh.first_row, "结对干部类型", _("新的结对干部须填写结对干部类型。")))
    elif CHOICE_COLUMNS["结对干部类型"][0].get(c["结对干部类型"]) == CadreKind.AGENCY:
        errors.append(RowError(hh.first_row, "结对干部类型", _("第三方机构人员请先在帮扶干部名录中登记（需指定机构）。")))


# --- writing ---------------------------------------------------------------------------------


def roster_import(*, actor: User, content: bytes, filename: str, today: date, request=None) -> ImportResult:
    """Check the file again and, if every row is good, write it all in one transaction.
    Any error — found now or raised by an action — leaves the database as it was."""
    result = roster_parse(actor=actor, content=content, filename=filename, today=today)
    if not result.ok:
        return result
    try:
        with transaction.atomic():
            created = updated = 0
            for hh in result.households:
                household = hh.existing
                if household is None:
                    household = actions.household_create(actor=actor, code=hh.code, village=hh.village)
                    created += 1
                elif household.village_id != hh.village.pk:
                    actions.household_update(actor=actor, household=household, code=hh.code, village=hh.village,
                                             address=household.address)
                by_number = {p.id_number: p for p in Person.objects.filter(
                    id_number__in=[r.values["id_number"] for r in hh.people])}
                # Heads first is not enough when a re-import changes the head: save non-heads first.
                for prow in sorted(hh.people, key=lambda r: r.values.get("relation") == "head"):
                    person = by_number.get(prow.values["id_number"])
                    if person is not None:
                        updated += 1
                        if person.household_id != household.pk:
                            person.household = household
                    actions.person_save(actor=actor, household=household, data=prow.values, today=today,
                                        person=person)
                household.refresh_from_db()
                if hh.tier and _decision_changes(HouseholdRows(code=hh.code, first_row=0, tier=hh.tier,
                                                               criteria=hh.criteria, existing=household)):
                    actions.classification_confirm(actor=actor, household=household, tier=hh.tier,
                                                   criteria=hh.criteria, reason=hh.reason, today=today)
                if hh.cadre:
                    _apply_pairing(actor, household, hh, today)
            audit_record(actor=actor, action=AuditAction.IMPORT, object_type="beneficiaries.household",
                         object_repr=f"{ROSTER_TITLE} {filename}"[:200], request=request,
                         details={"file": filename, "rows": result.total_rows, "households": len(result.households),
                                  "created": created, "people_updated": updated})
    except ValidationError as exc:
        result.errors.append(RowError(0, "", _("导入失败，未写入任何数据：%(m)s") % {"m": "；".join(exc.messages)}))
    return result


def _apply_pairing(actor: User, household: Household, hh: HouseholdRows, today: date) -> None:
    c = hh.cadre
    cadre = find_cadre(c["结对干部姓名"], c["结对干部电话"])
    if cadre is None:
        cadre = actions.cadre_save(actor=actor, data={
            "name": c["结对干部姓名"], "phone": c["结对干部电话"],
            "kind": CHOICE_COLUMNS["结对干部类型"][0][c["结对干部类型"]], "home_village": household.village,
        })
    relation = CHOICE_COLUMNS["结对关系"][0][c["结对关系"]]
    current = Pairing.objects.filter(household=household, ended_on__isnull=True).first()
    if current is not None and current.cadre_id == cadre.pk:
        return
    if current is not None:
        actions.pairing_end(actor=actor, pairing=current, ended_on=max(today, current.started_on),
                            reason=_("导入花名册时调整结对干部"))
    actions.pairing_create(actor=actor, household=household, cadre=cadre, relation=relation, started_on=today)


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
    """One row per person, in the template's columns. Three queries, however many rows."""
    labels = _value_labels()
    households = households.prefetch_related(
        Prefetch("members", queryset=Person.objects.order_by("id")),
        Prefetch("pairings", queryset=Pairing.objects.filter(ended_on__isnull=True).select_related("cadre"),
                 to_attr="active_pairings"),
    )
    last_reason = {}
    for c in Classification.objects.filter(household__in=households.values("pk")).order_by("household_id", "-effective_on", "-id").distinct("household_id"):
        last_reason[c.household_id] = c.reason
    rows = []
    for h in households:
        pairing = h.active_pairings[0] if h.active_pairings else None
        members = sorted(h.members.all(), key=lambda p: (p.relation != "head", p.id))
        for p in members:
            rows.append([
                h.code, h.village_id, p.name, p.id_number if full_ids else p.id_masked,
                labels["relation"].get(p.relation, ""), p.phone if full_ids else mask_phone(p.phone), labels["benefit_status"].get(p.benefit_status, ""),
                labels["support_mode"].get(p.support_mode, "") if p.support_mode else "",
                labels["self_care"].get(p.self_care, ""),
                labels["disability_type"].get(p.disability_type, "") if p.disability_type else "",
                str(p.disability_grade or ""), _yn(p.serious_illness), labels["work_capacity"].get(p.work_capacity, ""),
                _yn(p.is_main_earner), labels["left_behind"].get(p.left_behind, "") if p.left_behind else "",
                labels["civil_capacity"].get(p.civil_capacity, ""), p.guardian_name, _yn(p.guardian_can_act),
                h.tier, "、".join(h.criteria), last_reason.get(h.pk, ""),
                pairing.cadre.name if pairing else "", (pairing.cadre.phone if full_ids else mask_phone(pairing.cadre.phone)) if pairing else "",
                labels["kind"].get(pairing.cadre.kind, "") if pairing else "",
                labels["pairing_relation"].get(pairing.relation, "") if pairing else "",
            ])
    return rows


def pairing_rows(pairings: QuerySet[Pairing], *, full_ids: bool = False) -> list[list[str]]:
    labels = _value_labels()
    pairings = pairings.select_related("cadre", "household__village__parent__parent").prefetch_related(
        Prefetch("household__members", queryset=Person.objects.filter(relation="head"), to_attr="heads")
    ).order_by("household__village_id", "household__code", "-started_on")
    rows = []
    for n, p in enumerate(pairings, start=1):
        h = p.household
        head = h.heads[0] if h.heads else None
        village = h.village
        township = village.parent
        county = township.parent if township else None
        rows.append([
            n, county.name if county else "", township.name if township else "", village.short_name, h.code,
            head.name if head else "", (head.id_number if full_ids else head.id_masked) if head else "",
            h.tier, "、".join(h.criteria), p.cadre.name, labels["kind"].get(p.cadre.kind, ""), p.cadre.work_unit,
            p.cadre.phone if full_ids else mask_phone(p.cadre.phone), labels["pairing_relation"].get(p.relation, ""), p.started_on.isoformat(),
            p.ended_on.isoformat() if p.ended_on else "", p.end_reason,
        ])
    return rows


def write_xlsx(title: str, headers: list[str], rows: list[list[Any]], *, notes: list[list[str]] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(headers)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F3D3D5")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        ws.append(row)
    for i, h in enumerate(headers, start=1):
        width = 22 if h in ("身份证号", "村级区划代码", "认定理由") else max(8, len(h) * 2 + 2)
        ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = width
        if h in ("身份证号", "村级区划代码", "户编号", "联系电话", "结对干部电话"):
            # Text, so Excel does not turn 18 digits into 5.22634E+17.
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "@"
    ws.freeze_panes = "A2"
    if notes:
        ns = wb.create_sheet("填写说明")
        for r in notes:
            ns.append(r)
        ns.column_dimensions["A"].width = 16
        ns.column_dimensions["B"].width = 10
        ns.column_dimensions["C"].width = 90
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def write_csv(headers: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(headers)
    w.writerows(rows)
    # With a BOM so Excel on Windows opens the Chinese text correctly.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


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
