"""Shapes of the API's answers and requests (they are also the OpenAPI schema's components)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from services.models import ReferralStatus

from ..models import Source

AREA_CODE = r"^[0-9]{12}$"


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("说明"))


class ErrorItemSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text=_(
        "推送名单的行号(表头为第1行，第一条记录为第2行，与 Excel 一致)；参数或字段的错误为 null"))
    column = serializers.CharField(allow_null=True, help_text=_("列名(名单的中文表头)或参数、字段名；整体错误为 null"))
    message = serializers.CharField(help_text=_("中文说明"))


class ErrorSerializer(serializers.Serializer):
    """400 的唯一格式：逐项列出行、列(或参数)和中文说明。"""

    detail = serializers.CharField(help_text=_("概要说明"))
    errors = ErrorItemSerializer(many=True, help_text=_("逐项错误"))


class TextField(serializers.CharField):
    """Text and only text: a number, a boolean, a list or an object is refused, not turned into
    "0" or "True" (DRF's CharField would accept them)."""

    default_error_messages = {"invalid": _("应为文本(字符串)，不能是数字、布尔值、列表或对象。")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class SyncQuerySerializer(serializers.Serializer):
    area = serializers.RegexField(AREA_CODE, required=False, help_text=_("区划代码(12位)，须在令牌的数据范围内"))
    updated_since = serializers.DateTimeField(required=False, help_text=_("只返回此时间之后有变化的记录(ISO 8601)，用于增量同步"))
    page = serializers.IntegerField(required=False, min_value=1, help_text=_("页码"))
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500, help_text=_("每页条数(最多500)"))


class ReferralQuerySerializer(SyncQuerySerializer):
    status = serializers.ChoiceField(
        choices=[("open", _("未办结")), *ReferralStatus.choices], required=False, help_text=_("状态；open 为全部未办结")
    )


class ListInfoSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("清单代码"))
    label = serializers.CharField(help_text=_("清单名称"))
    field = serializers.CharField(help_text=_("所属帮扶领域代码"))
    rows = serializers.ChoiceField(choices=[("person", _("成员")), ("household", _("家庭"))], help_text=_("每行是成员还是家庭"))


class ListIndexSerializer(serializers.Serializer):
    results = ListInfoSerializer(many=True, help_text=_("本令牌可读的清单"))


class ListRowSerializer(serializers.Serializer):
    # One row of a §4 list: a member (person_id set) or a household (person_id null); columns that
    # do not belong to the list are null. The docstring is the schema's (Chinese) description.
    """政策清单的一行：成员(person_id 有值)或家庭(person_id 为 null)。不属于该清单的列为 null。"""

    household_id = serializers.IntegerField(help_text=_("家庭编号(系统内部)"))
    household_code = serializers.CharField(help_text=_("户编号"))
    village_code = serializers.CharField(help_text=_("所在村(居)区划代码(12位)"))
    village_name = serializers.CharField(help_text=_("所在村(居)名称"))
    tier = serializers.CharField(allow_blank=True, help_text=_("类别 A/B/C，空为待认定"))
    updated_at = serializers.DateTimeField(help_text=_("最近更新时间"))
    person_id = serializers.IntegerField(allow_null=True, help_text=_("成员编号；按户列出的清单为 null"))
    name = serializers.CharField(allow_null=True, help_text=_("成员姓名，或户主姓名"))
    id_number_masked = serializers.CharField(allow_null=True, help_text=_("身份证号(脱敏)"))
    sex = serializers.CharField(allow_null=True, help_text=_("性别"))
    age = serializers.IntegerField(allow_null=True, help_text=_("年龄(周岁)"))
    stage = serializers.CharField(allow_null=True, help_text=_("教育：学段"))
    aid = serializers.CharField(allow_null=True, help_text=_("教育：资助政策"))
    work_capacity = serializers.CharField(allow_null=True, help_text=_("就业：劳动能力"))
    season_ends = serializers.DateField(allow_null=True, help_text=_("送水：缺水期结束日期"))
    last_delivery = serializers.DateField(allow_null=True, help_text=_("送水：最近送水日期"))
    assessed = serializers.BooleanField(allow_null=True, help_text=_("冬春：本年度是否已登记需求"))
    need_grain = serializers.BooleanField(allow_null=True, help_text=_("冬春：口粮"))
    need_clothing = serializers.BooleanField(allow_null=True, help_text=_("冬春：衣被"))
    need_heating = serializers.BooleanField(allow_null=True, help_text=_("冬春：取暖"))
    able_count = serializers.IntegerField(allow_null=True, help_text=_("零就业：有劳动能力成员数"))


class ReferralSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("转介编号"))
    household_id = serializers.IntegerField(help_text=_("家庭编号(系统内部)"))
    household_code = serializers.CharField(help_text=_("户编号"))
    village_code = serializers.CharField(help_text=_("所在村(居)区划代码(12位)"))
    village_name = serializers.CharField(help_text=_("所在村(居)名称"))
    field = serializers.CharField(help_text=_("帮扶领域代码"))
    field_name = serializers.CharField(help_text=_("帮扶领域名称"))
    status = serializers.ChoiceField(choices=ReferralStatus.choices, help_text=_("状态"))
    status_label = serializers.CharField(help_text=_("状态名称"))
    urgent = serializers.BooleanField(help_text=_("急难(24小时内办理)"))
    overdue = serializers.BooleanField(help_text=_("是否已超过办理期限"))
    problem = serializers.CharField(help_text=_("困难和诉求"))
    contact = serializers.CharField(allow_blank=True, help_text=_("联系电话"))
    subject_name = serializers.CharField(allow_null=True, help_text=_("涉及成员(未指定时为户主)"))
    subject_id_masked = serializers.CharField(allow_null=True, help_text=_("身份证号(脱敏)"))
    submitted_at = serializers.DateTimeField(help_text=_("提交时间"))
    due_at = serializers.DateTimeField(help_text=_("办理期限"))
    closed_at = serializers.DateTimeField(allow_null=True, help_text=_("办结时间；未办结为 null"))
    outcome = serializers.CharField(allow_blank=True, help_text=_("办理结果"))
    decline_reason = serializers.CharField(allow_blank=True, help_text=_("不予受理理由"))
    updated_at = serializers.DateTimeField(help_text=_("最近一次办理记录时间"))


class ReferralEventSerializer(serializers.Serializer):
    action = serializers.CharField(help_text=_("操作代码"))
    action_label = serializers.CharField(help_text=_("操作名称"))
    from_status = serializers.CharField(allow_blank=True, help_text=_("原状态"))
    to_status = serializers.CharField(help_text=_("新状态"))
    note = serializers.CharField(allow_blank=True, help_text=_("说明"))
    at = serializers.DateTimeField(help_text=_("时间"))


class ReferralDetailSerializer(ReferralSerializer):
    events = ReferralEventSerializer(many=True, help_text=_("办理记录，按时间先后"))


class NoteSerializer(serializers.Serializer):
    note = TextField(required=False, allow_blank=True, max_length=2000, help_text=_("说明(可选)"))


class OutcomeSerializer(serializers.Serializer):
    outcome = TextField(max_length=2000, help_text=_("办理结果"))


class DeclineSerializer(serializers.Serializer):
    reason = TextField(max_length=2000, help_text=_("不予受理理由"))


class MemberSerializer(serializers.Serializer):
    # The facts the token's fields need; the others are null. The docstring is the schema's.
    """家庭成员：只给出本令牌帮扶领域需要的事实，其余为 null。"""

    id = serializers.IntegerField(help_text=_("成员编号"))
    name = serializers.CharField(help_text=_("姓名"))
    id_number_masked = serializers.CharField(help_text=_("身份证号(脱敏)"))
    sex = serializers.CharField(help_text=_("性别"))
    age = serializers.IntegerField(help_text=_("年龄(周岁)"))
    relation = serializers.CharField(help_text=_("与户主关系"))
    benefit_status = serializers.CharField(allow_null=True, help_text=_("保障类别"))
    support_mode = serializers.CharField(allow_null=True, allow_blank=True, help_text=_("供养方式"))
    self_care = serializers.CharField(allow_null=True, help_text=_("生活自理能力"))
    disability_type = serializers.CharField(allow_null=True, allow_blank=True, help_text=_("残疾类别"))
    disability_grade = serializers.IntegerField(allow_null=True, help_text=_("残疾等级(1至4级)"))
    serious_illness = serializers.BooleanField(allow_null=True, help_text=_("是否患大病"))
    work_capacity = serializers.CharField(allow_null=True, help_text=_("劳动能力"))
    employed = serializers.BooleanField(allow_null=True, help_text=_("是否就业"))
    left_behind = serializers.CharField(allow_null=True, allow_blank=True, help_text=_("留守情况"))
    civil_capacity = serializers.CharField(allow_null=True, help_text=_("民事行为能力"))


class HouseholdSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("家庭编号(系统内部)"))
    code = serializers.CharField(help_text=_("户编号"))
    village_code = serializers.CharField(help_text=_("所在村(居)区划代码(12位)"))
    village_name = serializers.CharField(help_text=_("所在村(居)名称"))
    address = serializers.CharField(allow_null=True, allow_blank=True, help_text=_("住址(仅住房、饮水、应急领域)"))
    tier = serializers.CharField(allow_blank=True, help_text=_("类别 A/B/C，空为待认定"))
    status = serializers.CharField(help_text=_("状态：在册或已退出"))
    updated_at = serializers.DateTimeField(help_text=_("最近更新时间"))
    members = MemberSerializer(many=True, help_text=_("家庭成员"))


class StatusListRequestSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=Source.choices, help_text=_("名单类型，见“数据比对”文档"))
    rows = serializers.ListField(
        child=serializers.DictField(child=TextField(allow_blank=True)), min_length=1, max_length=5000,
        help_text=_("名单各行：以本名单的列名(中文表头)为键，值一律为文本(空单元格请传空字符串，不要传 null)；"
                    "每次最多5000行，更多请分批推送。各类名单的列名见接口说明"),
    )


class CrossCheckSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("比对编号"))
    source = serializers.ChoiceField(choices=Source.choices, help_text=_("名单类型"))
    area_code = serializers.CharField(help_text=_("比对范围的区划代码"))
    rows = serializers.IntegerField(help_text=_("读取行数"))
    matched = serializers.IntegerField(help_text=_("匹配到花名册成员的行数"))
    outside = serializers.IntegerField(help_text=_("不在数据范围内的行数"))
    proposals = serializers.IntegerField(help_text=_("生成的提议数(待县级决定)"))
    uploaded_at = serializers.DateTimeField(help_text=_("推送时间"))
