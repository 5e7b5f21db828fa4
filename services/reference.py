"""Reference data of §4: the departments (lead and responsible units) and the eleven fields of
help, with the unit a referral of each field is routed to and its deadline in working days.

Loaded by a data migration (with the historical models) and again by the test suite after a
transactional test flushes the tables. Idempotent: codes are stable slugs; a second run never
overwrites what the prefecture bureau has since edited (routing, deadlines)."""

from __future__ import annotations

# (code, name)
DEPARTMENTS: list[tuple[str, str]] = [
    ("civil-affairs", "州民政局"),
    ("medical-security", "州医保局"),
    ("education", "州教育局"),
    ("housing-construction", "州住房城乡建设局"),
    ("water-resources", "州水务局"),
    ("emergency-management", "州应急局"),
    ("human-resources", "州人力资源社会保障局"),
    ("justice", "州司法局"),
    ("disabled-federation", "州残联"),
    ("financial-regulation", "黔东南金融监管分局"),
    ("health", "州卫生健康局"),
    ("trade-union", "州总工会"),
    ("youth-league", "团州委"),
    ("women-federation", "州妇联"),
    ("red-cross", "州红十字会"),
    ("political-legal", "州委政法委"),
]

# (number, code, name, lead units, responsible units, working days to handle, notes)
# The first lead unit receives referrals of the field unless the sender chooses another.
FIELDS: list[tuple[int, str, str, list[str], list[str], int, str]] = [
    (1, "basic-living", "兜底保障", ["civil-affairs"], [], 10,
     "低保、特困供养、孤儿、事实无人抚养儿童认定；按月发放救助资金；临时救助；急难救助快速审批，个案会商、一事一议"),
    (2, "medical-aid", "医疗救助", ["medical-security"], ["civil-affairs", "health"], 10,
     "符合条件的特困人员、低保对象等低收入人口列为医疗救助对象"),
    (3, "education-aid", "教育救助", ["education"], ["civil-affairs"], 15,
     "A类：学前至高等教育各阶段学生资助；B类、C类：义务教育阶段免除学杂费、教材费"),
    (4, "housing", "住房保障", ["housing-construction"], ["civil-affairs"], 20,
     "城镇保障性住房实物配租或租赁补贴；农村危房改造"),
    (5, "drinking-water", "饮水保障", ["water-resources"], ["civil-affairs"], 5,
     "行动不便户动态监测；季节性缺水期间送水上门"),
    (6, "emergency-relief", "应急救助", ["emergency-management"], ["civil-affairs", "housing-construction"], 5,
     "受灾家庭应急救助；冬春期间口粮、衣被、取暖等基本生活救助"),
    (7, "employment", "就业扶持", ["human-resources"], [], 10,
     "有劳动能力和就业意愿的失业成员纳入登记失业人员范围；零就业家庭就业援助"),
    (8, "social-participation", "社会参与", ["civil-affairs"],
     ["health", "trade-union", "youth-league", "women-federation", "disabled-federation", "red-cross"], 15,
     "慈善捐赠、志愿服务；社区、社会组织、社会工作者、社区志愿者、社会慈善资源“五社联动”"),
    (9, "other-assistance", "其他救助帮扶", ["justice", "disabled-federation"], ["political-legal", "civil-affairs"], 15,
     "法律援助、司法救助、残疾人康复救助"),
    (10, "financial-supervision", "金融监管", ["financial-regulation"], [], 20,
     "无自主民事行为能力对象资金管理使用情况抽查"),
    (11, "information", "信息化", ["civil-affairs"], [], 10,
     "特殊时期电话、视频了解生活状况；大数据精准认定"),
]


def reference_load(department_model=None, field_model=None) -> None:
    """Create the departments and fields that are missing. Existing rows are left as they are."""
    if department_model is None or field_model is None:
        from accounts.models import Department
        from services.models import Field

        department_model, field_model = Department, Field
    for code, name in DEPARTMENTS:
        department_model.objects.get_or_create(code=code, defaults={"name": name})
    departments = {d.code: d for d in department_model.objects.all()}
    for number, code, name, leads, responsible, days, notes in FIELDS:
        field, created = field_model.objects.get_or_create(
            code=code,
            defaults={"number": number, "name": name, "route_to": departments[leads[0]], "deadline_days": days,
                      "notes": notes},
        )
        if created:
            field.lead_departments.set([departments[c] for c in leads])
            field.responsible_departments.set([departments[c] for c in responsible])
