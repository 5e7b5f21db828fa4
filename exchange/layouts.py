"""Each department's own column layout (kept as data: a new column name or value spelling is a
change here, not in the matching code). `columns` maps the department's header to our key;
`values` maps the department's spellings to the roster's values; `facts` are the Person fields a
row of the list asserts. Documented for departments in docs/cross-checks.md."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import Source


@dataclass(frozen=True)
class Layout:
    source: str
    departments: tuple[str, ...]  # accounts.Department codes that may push this list over the API
    columns: dict[str, str]  # department header → key
    required: tuple[str, ...]  # keys that every row must have
    values: dict[str, dict[str, object]] = field(default_factory=dict)  # key → {spelling: value}
    facts: tuple[str, ...] = ()  # keys that are Person facts
    fixed: dict[str, object] = field(default_factory=dict)  # facts every row asserts by being listed


DISABILITY_TYPES = {
    "视力残疾": "visual", "视力": "visual", "听力残疾": "hearing", "听力": "hearing",
    "言语残疾": "speech", "言语": "speech", "肢体残疾": "physical", "肢体": "physical",
    "智力残疾": "intellectual", "智力": "intellectual", "精神残疾": "mental", "精神": "mental",
    "多重残疾": "multiple", "多重": "multiple",
}
GRADES = {"一级": 1, "二级": 2, "三级": 3, "四级": 4, "1": 1, "2": 2, "3": 3, "4": 4, "一": 1, "二": 2, "三": 3, "四": 4}
BENEFITS = {
    "特困": "tekun", "特困供养": "tekun", "特困人员": "tekun", "低保": "dibao", "低保对象": "dibao",
    "低收入": "low_income", "低收入人口": "low_income", "孤儿": "orphan",
    "事实无人抚养儿童": "unattended_child", "事实无人抚养": "unattended_child",
}
SUPPORT_MODES = {"分散供养": "dispersed", "分散": "dispersed", "集中供养": "institutional", "集中": "institutional", "": ""}
SELF_CARE = {"完全自理": "full", "自理": "full", "半失能": "partial", "部分失能": "partial", "失能": "none", "完全失能": "none"}

LAYOUTS: dict[str, Layout] = {
    Source.DISABILITY: Layout(
        source=Source.DISABILITY,
        departments=("disabled-federation",),
        columns={"姓名": "name", "公民身份号码": "id_number", "残疾类别": "disability_type", "残疾等级": "disability_grade",
                 "残疾人证号": "certificate", "发证日期": "issued_on"},
        required=("id_number", "disability_type", "disability_grade"),
        values={"disability_type": DISABILITY_TYPES, "disability_grade": GRADES},
        facts=("disability_type", "disability_grade"),
    ),
    Source.MEDICAL: Layout(
        source=Source.MEDICAL,
        departments=("medical-security",),
        columns={"参保人姓名": "name", "证件号码": "id_number", "结算年度": "year", "医疗总费用(元)": "total_cost",
                 "个人负担(元)": "self_paid"},
        required=("id_number",),
        # Being on the high-cost list is the fact: a long-term serious illness.
        fixed={"serious_illness": True},
    ),
    Source.EDUCATION: Layout(
        source=Source.EDUCATION,
        departments=("education",),
        columns={"学生姓名": "name", "身份证件号": "id_number", "学校名称": "school", "学段": "stage", "年级": "grade"},
        required=("id_number",),
        # An enrolled student is not counted as labour (无(未成年或在校)).
        fixed={"work_capacity": "na"},
    ),
    Source.BENEFIT_ROLL: Layout(
        source=Source.BENEFIT_ROLL,
        departments=("civil-affairs",),
        columns={"姓名": "name", "身份证号码": "id_number", "保障类别": "benefit_status", "供养方式": "support_mode",
                 "自理能力": "self_care", "村(居)区划代码": "village_code", "住址": "address"},
        required=("id_number", "benefit_status"),
        values={"benefit_status": BENEFITS, "support_mode": SUPPORT_MODES, "self_care": SELF_CARE},
        facts=("benefit_status", "support_mode", "self_care"),
    ),
    Source.DEATH: Layout(
        source=Source.DEATH,
        departments=("health", "civil-affairs"),
        columns={"姓名": "name", "身份证号": "id_number", "死亡日期": "died_on"},
        required=("id_number", "died_on"),
    ),
}
