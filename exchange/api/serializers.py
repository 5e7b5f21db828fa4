"""Shapes of the API's answers and requests (they are also the OpenAPI schema's components)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from services.models import ReferralStatus

from ..models import Source

AREA_CODE = r"^[0-9]{12}$"


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("说明"))


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
    results = ListInfoSerializer(many=True)


class ListRowSerializer(serializers.Serializer):
    """One row of a §4 list: a member (person_id set) or a household (person_id null). Columns that
    do not belong to the list are null."""

    household_id = serializers.IntegerField()
    household_code = serializers.CharField()
    village_code = serializers.CharField()
    village_name = serializers.CharField()
    tier = serializers.CharField(allow_blank=True, help_text=_("类别 A/B/C，空为待认定"))
    updated_at = serializers.DateTimeField()
    person_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField(allow_null=True, help_text=_("成员姓名，或户主姓名"))
    id_number_masked = serializers.CharField(allow_null=True, help_text=_("身份证号(脱敏)"))
    sex = serializers.CharField(allow_null=True)
    age = serializers.IntegerField(allow_null=True)
    stage = serializers.CharField(allow_null=True, help_text=_("教育：学段"))
    aid = serializers.CharField(allow_null=True, help_text=_("教育：资助政策"))
    work_capacity = serializers.CharField(allow_null=True, help_text=_("就业：劳动能力"))
    season_ends = serializers.DateField(allow_null=True, help_text=_("送水：缺水期结束日期"))
    last_delivery = serializers.DateField(allow_null=True, help_text=_("送水：最近送水日期"))
    assessed = serializers.BooleanField(allow_null=True, help_text=_("冬春：本年度是否已登记需求"))
    need_grain = serializers.BooleanField(allow_null=True)
    need_clothing = serializers.BooleanField(allow_null=True)
    need_heating = serializers.BooleanField(allow_null=True)
    able_count = serializers.IntegerField(allow_null=True, help_text=_("零就业：有劳动能力成员数"))


class ReferralSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    household_id = serializers.IntegerField()
    household_code = serializers.CharField()
    village_code = serializers.CharField()
    village_name = serializers.CharField()
    field = serializers.CharField(help_text=_("帮扶领域代码"))
    field_name = serializers.CharField()
    status = serializers.ChoiceField(choices=ReferralStatus.choices)
    status_label = serializers.CharField()
    urgent = serializers.BooleanField(help_text=_("急难(24小时内办理)"))
    overdue = serializers.BooleanField()
    problem = serializers.CharField(help_text=_("困难和诉求"))
    contact = serializers.CharField(allow_blank=True, help_text=_("联系电话"))
    subject_name = serializers.CharField(allow_null=True, help_text=_("涉及成员(未指定时为户主)"))
    subject_id_masked = serializers.CharField(allow_null=True, help_text=_("身份证号(脱敏)"))
    submitted_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField(allow_blank=True)
    decline_reason = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField(help_text=_("最近一次办理记录时间"))


class ReferralEventSerializer(serializers.Serializer):
    action = serializers.CharField()
    action_label = serializers.CharField()
    from_status = serializers.CharField(allow_blank=True)
    to_status = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    at = serializers.DateTimeField()


class ReferralDetailSerializer(ReferralSerializer):
    events = ReferralEventSerializer(many=True)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, help_text=_("说明(可选)"))


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=2000, help_text=_("办理结果"))


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text=_("不予受理理由"))


class MemberSerializer(serializers.Serializer):
    """A member, with the facts the token's fields need; facts not needed are null."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number_masked = serializers.CharField()
    sex = serializers.CharField()
    age = serializers.IntegerField()
    relation = serializers.CharField()
    benefit_status = serializers.CharField(allow_null=True)
    support_mode = serializers.CharField(allow_null=True, allow_blank=True)
    self_care = serializers.CharField(allow_null=True)
    disability_type = serializers.CharField(allow_null=True, allow_blank=True)
    disability_grade = serializers.IntegerField(allow_null=True)
    serious_illness = serializers.BooleanField(allow_null=True)
    work_capacity = serializers.CharField(allow_null=True)
    employed = serializers.BooleanField(allow_null=True)
    left_behind = serializers.CharField(allow_null=True, allow_blank=True)
    civil_capacity = serializers.CharField(allow_null=True)


class HouseholdSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    village_code = serializers.CharField()
    village_name = serializers.CharField()
    address = serializers.CharField(allow_null=True, allow_blank=True, help_text=_("住址(仅住房、饮水、应急领域)"))
    tier = serializers.CharField(allow_blank=True)
    status = serializers.CharField()
    updated_at = serializers.DateTimeField()
    members = MemberSerializer(many=True)


class StatusListRequestSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=Source.choices, help_text=_("名单类型，见“数据比对”文档"))
    rows = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True)), min_length=1, max_length=5000,
        help_text=_("名单各行：以本名单的列名(中文表头)为键；每次最多5000行，更多请分批推送"),
    )


class CrossCheckSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    source = serializers.ChoiceField(choices=Source.choices)
    area_code = serializers.CharField()
    rows = serializers.IntegerField(help_text=_("读取行数"))
    matched = serializers.IntegerField(help_text=_("匹配到花名册成员的行数"))
    outside = serializers.IntegerField(help_text=_("不在数据范围内的行数"))
    proposals = serializers.IntegerField(help_text=_("生成的提议数(待县级决定)"))
    uploaded_at = serializers.DateTimeField()
