"""/api/v1/: the departments' API. Thin: fetch in the token's scope (404 outside), call one domain
function, answer. Every read of personal data is audited with the token's department."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from accounts.actions import audit_record
from accounts.models import AuditAction
from beneficiaries import idnumber
from beneficiaries.models import Household, Person, Relation
from services import actions as services_actions
from services import queries as services_queries
from services import rules as services_rules
from services.models import ReferralStatus

from .. import crosscheck
from ..layouts import LAYOUTS
from ..models import CrossCheck
from . import scope
from .errors import Conflict, bad_request
from .serializers import (
    CrossCheckSerializer,
    DeclineSerializer,
    DetailSerializer,
    ErrorSerializer,
    HouseholdSerializer,
    ListIndexSerializer,
    ListRowSerializer,
    NoteSerializer,
    OutcomeSerializer,
    ReferralDetailSerializer,
    ReferralQuerySerializer,
    ReferralSerializer,
    StatusListRequestSerializer,
    SyncQuerySerializer,
)

ERR = {
    401: OpenApiResponse(DetailSerializer, description=_("缺少令牌，或令牌无效、已过期、已吊销")),
    429: OpenApiResponse(DetailSerializer, description=_("超过本令牌每分钟请求上限")),
}
# Path parameters, described (the views have no queryset to describe them from).
REFERRAL_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("转介编号"))
HOUSEHOLD_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("家庭编号(转介或清单中的 household_id)"))
LIST_KEY = OpenApiParameter("key", str, OpenApiParameter.PATH, description=_("清单代码(见“本令牌可读的政策清单”)"))
CHECK_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description=_("比对编号(推送名单时返回的 id)"))
NOT_FOUND = {404: OpenApiResponse(DetailSerializer, description=_("不存在或不在本令牌的数据范围内"))}
BAD = {400: OpenApiResponse(ErrorSerializer, description=_("参数有误：逐项给出行、列(或参数)和中文说明"))}


def _audit_read(request, *, object_type: str, object_id: str = "", object_repr: str = "", **details) -> None:
    token = request.auth
    audit_record(actor=request.user, action=AuditAction.VIEW, object_type=object_type, object_id=object_id,
                 object_repr=object_repr, request=request,
                 details={"via": "api", "department": token.department.code, "token": token.prefix, **details})


def _query(request, serializer_class=SyncQuerySerializer) -> dict:
    q = serializer_class(data=request.query_params)
    q.is_valid(raise_exception=True)
    # A parameter given empty is a mistake in the caller's sync code, not "no filter".
    empty = [k for k in q.fields if k in request.query_params and not request.query_params[k].strip()]
    if empty:
        raise ValidationError({k: [_("不能为空；不筛选时请省略该参数。")] for k in empty})
    return q.validated_data


class ApiView(GenericAPIView):
    serializer_class = DetailSerializer  # each view documents its own shapes with extend_schema


@extend_schema(tags=["清单"], summary="本令牌可读的政策清单",
               description="令牌所属帮扶领域的第四部分(§4)清单，如教育救助、缺水期送水、冬春救助、就业登记、零就业家庭。",
               responses={200: ListIndexSerializer, **ERR})
class ListIndexView(ApiView):
    def get(self, request):
        rows = [{"key": t.key, "label": str(t.label), "field": t.field, "rows": t.rows}
                for t in scope.token_lists(request.auth)]
        return Response({"results": rows})


@extend_schema(tags=["清单"], summary="读取一个政策清单", parameters=[LIST_KEY, SyncQuerySerializer],
               description="分页读取清单，可按区划代码和 updated_since 增量同步。身份证号脱敏；每次读取记入审计日志。",
               responses={200: ListRowSerializer(many=True), **BAD, **ERR, **NOT_FOUND})
class ListRowsView(ApiView):
    serializer_class = ListRowSerializer

    def get(self, request, key: str):
        q = _query(request)
        today = timezone.localdate()
        spec, qs = scope.list_rows(request.auth, key, today=today)
        prefix = scope.area_filter(request.auth, q.get("area"))
        since = q.get("updated_since")
        if spec.rows == "person":
            qs = qs.filter(household__village__code__startswith=prefix)
            if since:
                qs = qs.filter(Q(updated_at__gte=since) | Q(household__updated_at__gte=since))
        else:
            qs = qs.filter(village__code__startswith=prefix)
            if since:
                qs = qs.filter(updated_at__gte=since)
        page = self.paginate_queryset(qs)
        rows = [_person_row(x, spec.key, today) if spec.rows == "person" else _household_row(x, spec.key)
                for x in page]
        _audit_read(request, object_type="services.lists", object_repr=str(spec.label), list=spec.key,
                    rows=len(rows), page=request.query_params.get("page", "1"))
        return self.get_paginated_response(ListRowSerializer(rows, many=True).data)


_NULL_ROW = {k: None for k in ListRowSerializer().fields}


def _person_row(p: Person, key: str, today) -> dict:
    h = p.household
    row = {**_NULL_ROW, "household_id": h.pk, "household_code": h.code, "village_code": h.village_id,
           "village_name": h.village.short_name, "tier": h.tier, "updated_at": p.updated_at, "person_id": p.pk,
           "name": p.name, "id_number_masked": idnumber.mask(p.id_number), "sex": p.sex,
           "age": services_rules.age_on(p.birth_date, today)}
    if key == "education":
        row["stage"] = services_rules.STAGE_LABELS.get(services_rules.school_stage(p.birth_date, today) or "", "")
        row["aid"] = services_rules.AID_TEXT.get(h.tier, "")
    if key == "employment":
        row["work_capacity"] = p.work_capacity
    return row


def _household_row(h: Household, key: str) -> dict:
    row = {**_NULL_ROW, "household_id": h.pk, "household_code": h.code, "village_code": h.village_id,
           "village_name": h.village.short_name, "tier": h.tier, "updated_at": h.updated_at,
           "name": getattr(h, "head_name", None)}
    if key == "water":
        row |= {"season_ends": h.season_ends, "last_delivery": h.last_delivery}
    elif key == "winter":
        row |= {"assessed": h.assessed, "need_grain": h.need_grain, "need_clothing": h.need_clothing,
                "need_heating": h.need_heating}
    elif key == "zero":
        row["able_count"] = h.able_count
    return row


def _referral(r, user) -> dict:
    return {
        "id": r.pk, "household_id": r.household_id, "household_code": r.household.code,
        "village_code": r.household.village_id, "village_name": r.household.village.short_name,
        "field": r.field.code, "field_name": r.field.name, "status": r.status,
        "status_label": str(ReferralStatus(r.status).label), "urgent": r.urgent, "overdue": bool(r.is_overdue),
        "problem": r.problem, "contact": services_queries.referral_contact_for(user, r), "subject_name": r.subject_name,
        "subject_id_masked": idnumber.mask(r.subject_id_number) if r.subject_id_number else None,
        "submitted_at": r.submitted_at, "due_at": r.due_at, "closed_at": r.closed_at, "outcome": r.outcome,
        "decline_reason": r.decline_reason, "updated_at": r.updated_at,
    }


@extend_schema(tags=["转介"], summary="本部门的转介", parameters=[ReferralQuerySerializer],
               description="转给本部门、属于令牌帮扶领域和数据范围的转介，逾期的在前。可按状态、区划代码和 updated_since 筛选。",
               responses={200: ReferralSerializer(many=True), **BAD, **ERR, **NOT_FOUND})
class ReferralListView(ApiView):
    serializer_class = ReferralSerializer

    def get(self, request):
        q = _query(request, ReferralQuerySerializer)
        qs = scope.token_referrals(request.user, request.auth, now=timezone.now())
        prefix = scope.area_filter(request.auth, q.get("area"))
        qs = qs.filter(household__village__code__startswith=prefix)
        st = q.get("status")
        if st == "open":
            qs = qs.filter(status__in=[ReferralStatus.SUBMITTED, ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS])
        elif st:
            qs = qs.filter(status=st)
        if q.get("updated_since"):
            qs = qs.filter(updated_at__gte=q["updated_since"])
        page = self.paginate_queryset(qs)
        rows = [_referral(r, request.user) for r in page]
        _audit_read(request, object_type="services.referral", object_repr=str(_("接口读取转介列表")),
                    ids=[r["id"] for r in rows])
        return self.get_paginated_response(ReferralSerializer(rows, many=True).data)


def _get_referral(request, pk: int):
    try:
        return scope.token_referrals(request.user, request.auth, now=timezone.now()).get(pk=pk)
    except Exception as exc:  # DoesNotExist, or a pk out of range
        raise Http404 from exc


def _detail(request, referral) -> dict:
    events = [{"action": e.action, "action_label": e.get_action_display(), "from_status": e.from_status,
               "to_status": e.to_status, "note": e.note, "at": e.at}
              for e in referral.events.order_by("at", "id")]
    return ReferralDetailSerializer({**_referral(referral, request.user), "events": events}).data


@extend_schema(tags=["转介"], summary="一条转介及其办理记录", parameters=[REFERRAL_ID],
               responses={200: ReferralDetailSerializer, **ERR, **NOT_FOUND})
class ReferralDetailView(ApiView):
    def get(self, request, pk: int):
        referral = _get_referral(request, pk)
        _audit_read(request, object_type="services.referral", object_id=str(referral.pk), object_repr=str(referral))
        return Response(_detail(request, referral))


class _TransitionView(ApiView):
    to_status = ""
    body = NoteSerializer
    text_key = "note"

    def post(self, request, pk: int):
        referral = _get_referral(request, pk)
        body = self.body(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services_actions.referral_transition(
                actor=request.user, referral=referral, to_status=self.to_status,
                note=body.validated_data.get(self.text_key, ""), now=timezone.now(), request=request,
            )
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict") and "note" in exc.error_dict:
                raise
            raise Conflict(exc) from exc
        return Response(_detail(request, _get_referral(request, pk)))


_TRANSITION_ERRORS = {**BAD, **ERR, **NOT_FOUND,
                      409: OpenApiResponse(DetailSerializer, description=_("当前状态不能进行此操作"))}


@extend_schema(tags=["转介"], summary="受理", request=NoteSerializer, parameters=[REFERRAL_ID],
               responses={200: ReferralDetailSerializer, **_TRANSITION_ERRORS})
class ReferralAcceptView(_TransitionView):
    to_status = ReferralStatus.ACCEPTED


@extend_schema(tags=["转介"], summary="开始办理", request=NoteSerializer, parameters=[REFERRAL_ID],
               responses={200: ReferralDetailSerializer, **_TRANSITION_ERRORS})
class ReferralStartView(_TransitionView):
    to_status = ReferralStatus.IN_PROGRESS


@extend_schema(tags=["转介"], summary="办结(须填写办理结果)", request=OutcomeSerializer, parameters=[REFERRAL_ID],
               responses={200: ReferralDetailSerializer, **_TRANSITION_ERRORS})
class ReferralResolveView(_TransitionView):
    to_status = ReferralStatus.RESOLVED
    body = OutcomeSerializer
    text_key = "outcome"


@extend_schema(tags=["转介"], summary="不予受理(须填写理由)", request=DeclineSerializer,
               parameters=[REFERRAL_ID],
               responses={200: ReferralDetailSerializer, **_TRANSITION_ERRORS})
class ReferralDeclineView(_TransitionView):
    to_status = ReferralStatus.DECLINED
    body = DeclineSerializer
    text_key = "reason"


@extend_schema(tags=["家庭"], summary="家庭的最少必要信息", parameters=[HOUSEHOLD_ID],
               description="只能读取本令牌的转介或清单中出现的家庭；成员只给出本领域需要的事实，其余为 null；身份证号脱敏。",
               responses={200: HouseholdSerializer, **ERR, **NOT_FOUND})
class HouseholdDetailView(ApiView):
    def get(self, request, pk: int):
        token = request.auth
        now = timezone.now()
        household = scope.scoped_households(token).select_related("village").filter(pk=pk).first()
        if household is None or not scope.household_reachable(request.user, token, household.pk, now=now):
            raise Http404
        today = timezone.localdate()
        needed = {f for code in token.field_codes for f in scope.FIELD_FACTS.get(code, ())}
        show_address = bool(token.field_codes & {"housing", "drinking-water", "emergency-relief"})
        members = []
        for p in household.members.order_by("id"):
            m = {"id": p.pk, "name": p.name, "id_number_masked": idnumber.mask(p.id_number), "sex": p.sex,
                 "age": services_rules.age_on(p.birth_date, today), "relation": Relation(p.relation).label}
            for f in ("benefit_status", "support_mode", "self_care", "disability_type", "disability_grade",
                      "serious_illness", "work_capacity", "employed", "left_behind", "civil_capacity"):
                m[f] = getattr(p, f) if f in needed else None
            members.append(m)
        data = {"id": household.pk, "code": household.code, "village_code": household.village_id,
                "village_name": household.village.short_name,
                "address": household.address if show_address else None, "tier": household.tier,
                "status": household.status, "updated_at": household.updated_at, "members": members}
        _audit_read(request, object_type="beneficiaries.household", object_id=str(household.pk),
                    object_repr=household.code, fields=sorted(needed))
        return Response(HouseholdSerializer(data).data)


def _check_row(check: CrossCheck) -> dict:
    return {"id": check.pk, "source": check.source, "area_code": check.area_id, "rows": check.rows,
            "matched": check.matched, "outside": check.outside, "proposals": check.proposals,
            "uploaded_at": check.uploaded_at}


def _headers_by_source() -> str:
    """Each list's headers (* required) and the departments that push it, from exchange.layouts:
    the schema says what a row of each `source` must carry."""
    from ..models import Source

    lines = []
    for source, layout in LAYOUTS.items():
        headers = "、".join(f"{h}*" if key in layout.required else h for h, key in layout.columns.items())
        lines.append(f"- `{source}`（{Source(source).label}，{'、'.join(layout.departments)}）：{headers}")
    return "\n".join(lines)


@extend_schema(tags=["数据比对"], summary="推送本部门名单(比对)", request=StatusListRequestSerializer,
               description="推送残疾人证、高额医疗费用、在校学生、低保特困名册或死亡人员名单，与令牌数据范围内的花名册比对，"
                           "生成待县级决定的提议；花名册不会因此直接改变。有一行错误则整份不写入，逐行说明"
                           "(行号：表头为第1行，第一条记录为第2行)。\n\n每类名单各行的列名(带 * 的必填；值一律为文本)：\n"
                           + _headers_by_source(),
               responses={201: CrossCheckSerializer, **BAD, **ERR,
                          403: OpenApiResponse(DetailSerializer, description=_("本部门不能推送该类名单"))})
class StatusListView(ApiView):
    def post(self, request):
        body = StatusListRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        token = request.auth
        source = body.validated_data["source"]
        if token.department.code not in LAYOUTS[source].departments:
            return Response({"detail": str(_("本部门不能推送该类名单。"))}, status=status.HTTP_403_FORBIDDEN)
        result = crosscheck.cross_check_run(
            actor=request.user, source=source, area=token.area, records=body.validated_data["rows"],
            filename="api", token=token, today=timezone.localdate(), request=request,
        )
        if not result.ok:
            return bad_request([{"row": e.row, "column": e.column or None, "message": str(e.message)}
                                for e in result.errors])
        return Response(CrossCheckSerializer(_check_row(result.check)).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["数据比对"], summary="一次推送的比对结果", parameters=[CHECK_ID],
               responses={200: CrossCheckSerializer, **ERR, **NOT_FOUND})
class StatusListDetailView(ApiView):
    def get(self, request, pk: int):
        check = CrossCheck.objects.filter(pk=pk, token__department=request.auth.department,
                                          area=request.auth.area).first()
        if check is None:
            raise Http404
        return Response(CrossCheckSerializer(_check_row(check)).data)
