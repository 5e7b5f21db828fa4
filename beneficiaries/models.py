"""The roster: households and persons, their tier (A/B/C) and its history, cadres, pairings,
and one-to-one plans."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.crypto import BlindIndexField, EncryptedCharField
from accounts.models import Agency, Area, Role, User
from accounts.scoping import ScopeRule, user_roles

from .idnumber import mask, validate_id_number


class Tier(models.TextChoices):
    A = "A", _("A类 特困供养群体")
    B = "B", _("B类 低保保障群体")
    C = "C", _("C类 边缘困难群体")


class Criterion(models.TextChoices):
    """The criteria of SPEC §2; A3, B4 and C2 are officer judgements that need a written reason."""

    A1 = "A1", _("A1 失能、半失能分散供养特困人员")
    A2 = "A2", _("A2 散居孤儿和事实无人抚养儿童中的重病、重残儿童")
    A3 = "A3", _("A3 特困供养、孤儿保障政策覆盖后因特殊原因难以落实照料监护")
    B1 = "B1", _("B1 家庭主要劳动力长期患大病或重度残疾丧失劳动能力")
    B2 = "B2", _("B2 家庭成员中2人及以上长期患大病或重度残疾丧失劳动能力")
    B3 = "B3", _("B3 事实无人抚养儿童中的困境儿童")
    B4 = "B4", _("B4 低保政策覆盖后监护照料仍存在严重困难")
    C1 = "C1", _("C1 低收入人口中赡养、抚养或监护照料职责难以落实的留守儿童、留守老人")
    C2 = "C2", _("C2 县(市)认定的其他边缘困难家庭或个人")


JUDGEMENT_CRITERIA = frozenset({"A3", "B4", "C2"})


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    EXITED = "exited", _("已退出")


class BenefitStatus(models.TextChoices):
    TEKUN = "tekun", _("特困")
    DIBAO = "dibao", _("低保")
    LOW_INCOME = "low_income", _("低收入")
    ORPHAN = "orphan", _("孤儿")
    UNATTENDED_CHILD = "unattended_child", _("事实无人抚养")
    NONE = "none", _("无")


class SupportMode(models.TextChoices):
    DISPERSED = "dispersed", _("分散供养")
    INSTITUTIONAL = "institutional", _("集中供养")
    NONE = "", _("无")


class SelfCare(models.TextChoices):
    FULL = "full", _("完全自理")
    PARTIAL = "partial", _("半失能")
    NONE = "none", _("失能")


class DisabilityType(models.TextChoices):
    NONE = "", _("无")
    VISUAL = "visual", _("视力残疾")
    HEARING = "hearing", _("听力残疾")
    SPEECH = "speech", _("言语残疾")
    PHYSICAL = "physical", _("肢体残疾")
    INTELLECTUAL = "intellectual", _("智力残疾")
    MENTAL = "mental", _("精神残疾")
    MULTIPLE = "multiple", _("多重残疾")


class WorkCapacity(models.TextChoices):
    ABLE = "able", _("有劳动能力")
    WEAK = "weak", _("弱劳动能力")
    NONE = "none", _("丧失劳动能力")
    NA = "na", _("无(未成年或在校)")


class LeftBehind(models.TextChoices):
    NONE = "", _("无")
    CHILD = "left_behind_child", _("留守儿童")
    ELDER = "left_behind_elder", _("留守老人")


class CivilCapacity(models.TextChoices):
    FULL = "full", _("完全")
    LIMITED = "limited", _("限制")
    NONE = "none", _("无")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    GRANDPARENT = "grandparent", _("祖父母")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER = "other", _("其他")


def _cadre_household_q(user: User, household: str = "") -> Q | None:
    """Households a cadre reaches by assignment: their active pairings, and households assigned
    to the third-party agency they work for. Subqueries, so no duplicate rows.

    `household` is the lookup path from the scoped model to Household ("" on Household itself)."""
    if not any(r.role == Role.CADRE for r in user_roles(user)):
        return None
    paired = Pairing.objects.filter(cadre__user=user, ended_on__isnull=True).values("household_id")
    agencies = Cadre.objects.filter(user=user, agency__isnull=False).values("agency_id")
    return Q(**{f"{household}id__in": paired}) | Q(**{f"{household}agency_id__in": agencies})


def household_child_scope() -> ScopeRule:
    """The scope of rows that belong to one household (members, visits, findings, referrals …):
    the household's village for area roles, the household's pairing or agency for cadres."""
    return ScopeRule(area="household__village__code", assignment=lambda user: _cadre_household_q(user, "household__"))


class Household(models.Model):
    """A household (户) on the roster, in one village. Never deleted: exit is a status."""

    code = models.CharField(_("户编号"), max_length=40, unique=True)
    village = models.ForeignKey(Area, verbose_name=_("所在村(居)"), on_delete=models.PROTECT, related_name="households")
    address = models.CharField(_("住址"), max_length=200, blank=True)
    # Current tier and criteria: a copy of the latest confirmed Classification, kept in step by
    # beneficiaries.actions.classification_confirm so lists can filter and sort without a join.
    tier = models.CharField(_("类别"), max_length=1, choices=Tier.choices, blank=True)
    criteria = ArrayField(models.CharField(max_length=2), verbose_name=_("认定标准"), default=list, blank=True)
    tier_since = models.DateField(_("类别生效日期"), null=True, blank=True)
    agency = models.ForeignKey(
        Agency, verbose_name=_("委托第三方机构"), null=True, blank=True, on_delete=models.PROTECT, related_name="households"
    )
    status = models.CharField(_("状态"), max_length=10, choices=HouseholdStatus.choices, default=HouseholdStatus.ACTIVE)
    exited_on = models.DateField(_("退出日期"), null=True, blank=True)
    exit_reason = models.CharField(_("退出原因"), max_length=200, blank=True)
    # Denormalised schedule (visits app): the date the next counted visit is due, indexed so the
    # daily job and "my households" sort without recomputing. Recomputed by visits.actions.
    next_due_on = models.DateField(_("应访日期"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_rule = ScopeRule(area="village__code", assignment=lambda user: _cadre_household_q(user))

    class Meta:
        verbose_name = _("关爱对象家庭")
        verbose_name_plural = _("关爱对象家庭")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["status", "tier"], name="household_status_tier_idx"),
            models.Index(fields=["status", "next_due_on"], name="household_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="active", exited_on__isnull=True) | Q(status="exited", exited_on__isnull=False),
                name="household_exit_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.status == HouseholdStatus.ACTIVE


class Person(models.Model):
    """A member of a household, with the facts the tier criteria are judged on."""

    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="members")
    name = models.CharField(_("姓名"), max_length=50)
    # Stored AES-GCM encrypted (accounts/crypto.py); in Python the plain number. Uniqueness and
    # exact search (filter(id_number=…)) go through the keyed blind index below.
    id_number = EncryptedCharField(
        _("身份证号"), max_length=18, validators=[validate_id_number], db_column="id_number_encrypted",
        index_field="id_number_index", normalize="beneficiaries.idnumber.normalize",
    )
    id_number_index = BlindIndexField(_("身份证号索引"), source="id_number", unique=True)
    # Derived from the ID number by the action that saves the person; stored so age can be
    # queried in SQL (school-age lists, child vs adult).
    birth_date = models.DateField(_("出生日期"))
    sex = models.CharField(_("性别"), max_length=1, choices=[("M", _("男")), ("F", _("女"))])
    relation = models.CharField(_("与户主关系"), max_length=12, choices=Relation.choices)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    benefit_status = models.CharField(_("保障类别"), max_length=20, choices=BenefitStatus.choices, default=BenefitStatus.NONE)
    support_mode = models.CharField(_("供养方式"), max_length=14, choices=SupportMode.choices, blank=True)
    self_care = models.CharField(_("自理能力"), max_length=8, choices=SelfCare.choices, default=SelfCare.FULL)
    disability_type = models.CharField(_("残疾类别"), max_length=14, choices=DisabilityType.choices, blank=True)
    disability_grade = models.PositiveSmallIntegerField(_("残疾等级"), null=True, blank=True)
    serious_illness = models.BooleanField(_("长期患大病"), default=False)
    work_capacity = models.CharField(_("劳动能力"), max_length=6, choices=WorkCapacity.choices, default=WorkCapacity.ABLE)
    is_main_earner = models.BooleanField(_("主要劳动力"), default=False)
    employed = models.BooleanField(_("就业"), null=True, blank=True)
    left_behind = models.CharField(_("留守情况"), max_length=20, choices=LeftBehind.choices, blank=True)
    child_in_distress = models.BooleanField(_("困境儿童"), default=False)
    civil_capacity = models.CharField(_("民事行为能力"), max_length=8, choices=CivilCapacity.choices, default=CivilCapacity.FULL)
    guardian_name = models.CharField(_("监护人姓名"), max_length=50, blank=True)
    guardian_can_act = models.BooleanField(_("监护人能否履责"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        ordering = ["household_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(disability_grade__isnull=True) | Q(disability_grade__gte=1, disability_grade__lte=4),
                name="person_disability_grade_1_to_4",
            ),
            models.UniqueConstraint(fields=["household"], condition=Q(relation="head"), name="person_one_head_per_household"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def id_masked(self) -> str:
        return mask(self.id_number)


class Classification(models.Model):
    """One decision on a household's tier: what the rules suggested, what the county officer
    confirmed (or overrode) and why. The current tier is the latest confirmed one."""

    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="classifications")
    suggested_tier = models.CharField(_("系统建议类别"), max_length=1, choices=Tier.choices, blank=True)
    suggested_criteria = ArrayField(models.CharField(max_length=2), verbose_name=_("系统建议标准"), default=list, blank=True)
    from_tier = models.CharField(_("原类别"), max_length=1, choices=Tier.choices, blank=True)
    tier = models.CharField(_("认定类别"), max_length=1, choices=Tier.choices)
    criteria = ArrayField(models.CharField(max_length=2), verbose_name=_("认定标准"), default=list)
    reason = models.TextField(_("认定理由"), blank=True)
    effective_on = models.DateField(_("生效日期"))
    decided_by = models.ForeignKey(User, verbose_name=_("认定人"), null=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("认定时间"), auto_now_add=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("类别认定")
        verbose_name_plural = _("类别认定")
        ordering = ["household_id", "-effective_on", "-id"]
        indexes = [
            models.Index(fields=["household", "-effective_on", "-id"], name="classification_latest_idx"),
            # The daily job's change detection: households classified since yesterday.
            models.Index(fields=["decided_at"], name="classification_decided_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.from_tier or '—'}→{self.tier}"

    @property
    def is_override(self) -> bool:
        return bool(self.suggested_tier) and (
            self.suggested_tier != self.tier or sorted(self.suggested_criteria) != sorted(self.criteria)
        )


class CadreKind(models.TextChoices):
    PARTY = "party", _("党员干部")
    GRID = "grid", _("网格员")
    VOLUNTEER = "volunteer", _("志愿者")
    STATIONED = "stationed", _("驻村干部")
    VILLAGE = "village", _("村(组)干")
    AGENCY = "agency", _("第三方机构")


class Cadre(models.Model):
    """A paired cadre (结对帮扶责任人). Most have a login (a user with the cadre role)."""

    user = models.OneToOneField(
        User, verbose_name=_("登录账号"), null=True, blank=True, on_delete=models.PROTECT, related_name="cadre"
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=20)
    kind = models.CharField(_("干部类型"), max_length=10, choices=CadreKind.choices)
    work_unit = models.CharField(_("工作单位"), max_length=100, blank=True)
    home_village = models.ForeignKey(Area, verbose_name=_("所在村(居)"), on_delete=models.PROTECT, related_name="cadres")
    agency = models.ForeignKey(
        Agency, verbose_name=_("所属第三方机构"), null=True, blank=True, on_delete=models.PROTECT, related_name="staff"
    )
    active = models.BooleanField(_("在岗"), default=True)
    left_on = models.DateField(_("离岗日期"), null=True, blank=True)

    scope_rule = ScopeRule(area="home_village__code", assignment=lambda user: Q(user=user) if user.is_authenticated else None)

    class Meta:
        verbose_name = _("帮扶干部")
        verbose_name_plural = _("帮扶干部")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["name", "phone"], name="cadre_unique_name_phone"),
            models.CheckConstraint(condition=~Q(kind="agency") | Q(agency__isnull=False), name="cadre_agency_staff_has_agency"),
        ]

    def __str__(self) -> str:
        return self.name


class PairingRelation(models.TextChoices):
    NEARBY = "nearby", _("就近")
    KIN = "kin", _("就亲")
    NEIGHBOUR = "neighbour", _("就邻")


class Pairing(models.Model):
    """Who is responsible for a household, since when. A household has at most one active pairing."""

    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="pairings")
    cadre = models.ForeignKey(Cadre, verbose_name=_("结对干部"), on_delete=models.PROTECT, related_name="pairings")
    relation = models.CharField(_("结对关系"), max_length=10, choices=PairingRelation.choices)
    started_on = models.DateField(_("结对日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(User, verbose_name=_("操作人"), null=True, on_delete=models.PROTECT, related_name="+")

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("结对帮扶")
        verbose_name_plural = _("结对帮扶")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(ended_on__isnull=True), name="pairing_one_active_per_household"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="pairing_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["cadre"], condition=Q(ended_on__isnull=True), name="pairing_active_cadre_idx"),
            # The daily job's change detection: households paired since yesterday.
            models.Index(fields=["started_on"], name="pairing_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} ↔ {self.household}"

    @property
    def is_active(self) -> bool:
        return self.ended_on is None


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("制定中")
    ACTIVE = "active", _("实施中")
    DONE = "done", _("已完成")


class CarePlan(models.Model):
    """The one-to-one plan (一对一解难脱困方案) of a household: its problems, the measures taken,
    who is responsible, by when, and the review notes of the quarterly check."""

    household = models.OneToOneField(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="plan")
    problems = models.TextField(_("存在困难和问题"))
    measures = models.TextField(_("帮扶措施"))
    responsible = models.CharField(_("责任人"), max_length=100)
    target_on = models.DateField(_("计划完成日期"), null=True, blank=True)
    status = models.CharField(_("方案状态"), max_length=8, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    review_notes = models.TextField(_("评估意见"), blank=True)
    reviewed_on = models.DateField(_("评估日期"), null=True, blank=True)
    updated_by = models.ForeignKey(User, verbose_name=_("更新人"), null=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    scope_rule = household_child_scope()

    class Meta:
        verbose_name = _("一对一解难脱困方案")
        verbose_name_plural = _("一对一解难脱困方案")

    def __str__(self) -> str:
        return f"{self.household} {self.get_status_display()}"


class QuarterlyReview(models.Model):
    """The quarterly dynamic adjustment (动态调整, §5(4)) of one county's roster: started by a
    county officer, signed off once with a summary. The lists it works through are computed
    (beneficiaries.queries.review_lists), not stored."""

    county = models.ForeignKey(Area, verbose_name=_("县(市)"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    started_by = models.ForeignKey(User, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    completed_by = models.ForeignKey(
        User, verbose_name=_("完成人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    summary = models.TextField(_("调整小结"), blank=True)

    scope_rule = ScopeRule(area="county__code")

    class Meta:
        verbose_name = _("季度动态调整")
        verbose_name_plural = _("季度动态调整")
        ordering = ["-year", "-quarter", "county_id"]
        constraints = [
            models.UniqueConstraint(fields=["county", "year", "quarter"], name="quarterly_review_once_per_quarter"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="quarterly_review_quarter_1_to_4"),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True, completed_by__isnull=True)
                | Q(completed_at__isnull=False, completed_by__isnull=False),
                name="quarterly_review_completion_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.county.name} {self.year}年第{self.quarter}季度"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None
