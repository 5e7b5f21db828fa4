"""Data sharing with departments (§5(5), §4(11)): API tokens of departments' systems, cross-checks
of a department's list against the roster (大数据比对), and proposals of entry, exit, re-entry,
tier change and mismatch that the county decides in the quarterly review (§5(4))."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.crypto import BlindIndexField, EncryptedCharField
from accounts.models import Area, Department, User
from accounts.scoping import ScopeRule
from beneficiaries.idnumber import validate_id_number
from beneficiaries.models import Household, Person, QuarterlyReview
from services.models import Field

# --- API tokens ----------------------------------------------------------------------------------


class ApiToken(models.Model):
    """A department system's credential for /api/v1/. Only the SHA-256 of the secret is stored
    (the secret is shown once, when created). Bound to one department, some of its fields of
    help and one area; it expires, and the prefecture bureau can revoke it at any time.

    Each token acts through its own technical user (no password, no role rows): the audit log
    names that user, and the token's department is set on it in memory at authentication."""

    name = models.CharField(_("用途"), max_length=100)
    department = models.ForeignKey(Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+")
    fields = models.ManyToManyField(Field, verbose_name=_("帮扶领域"), related_name="+")
    area = models.ForeignKey(Area, verbose_name=_("数据范围"), on_delete=models.PROTECT, related_name="+")
    user = models.OneToOneField(User, verbose_name=_("接口账号"), on_delete=models.PROTECT, related_name="api_token")
    prefix = models.CharField(_("令牌前缀"), max_length=12, unique=True)
    key_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("有效期至"))
    created_by = models.ForeignKey(User, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, verbose_name=_("吊销人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    # Only the prefecture bureau manages tokens; nobody else sees them through scoping.
    scope_rule = ScopeRule(area="area__code")

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="apitoken_revocation_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.name}"


# --- cross-checks (大数据比对) ---------------------------------------------------------------------


class Source(models.TextChoices):
    DISABILITY = "disability", _("残联 残疾人证")
    MEDICAL = "medical", _("医保 高额医疗费用")
    EDUCATION = "education", _("教育 在校学生")
    BENEFIT_ROLL = "benefit_roll", _("民政 低保特困名册")
    DEATH = "death", _("死亡人员")


class CrossCheck(models.Model):
    """One department list compared with the roster of an area: what was read, what was found.
    The proposals it gave are kept, and the matched rows of a medical, disability or death list
    (Listing, for the early-warning signals)."""

    source = models.CharField(_("数据来源"), max_length=14, choices=Source.choices)
    area = models.ForeignKey(Area, verbose_name=_("比对范围"), on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("文件名"), max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    matched = models.PositiveIntegerField(_("匹配到的对象"), default=0)
    outside = models.PositiveIntegerField(_("范围外行数"), default=0)
    proposals = models.PositiveIntegerField(_("生成提议"), default=0)
    token = models.ForeignKey(
        ApiToken, verbose_name=_("接口令牌"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by = models.ForeignKey(User, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="area__code")

    class Meta:
        verbose_name = _("数据比对")
        verbose_name_plural = _("数据比对")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.uploaded_at:%Y-%m-%d}"


# The department that issues each list, named in the early-warning signals' words when the list
# came by the page (a list pushed over the API names its token's department).
SOURCE_DEPARTMENT = {
    "disability": "州残联", "medical": "州医保局", "education": "州教育局", "benefit_roll": "州民政局",
    "death": "州卫生健康局",
}


class Listing(models.Model):
    """One roster member found on a department list (a matched row of a cross-check), with the
    facts of the row the early-warning signals read (exchange.warning_signals): the personal
    share of medical costs, the disability grade on the list and on the roster before it, the
    date of death. Kept for the medical, disability and death lists only."""

    cross_check = models.ForeignKey(CrossCheck, verbose_name=_("数据比对"), on_delete=models.PROTECT, related_name="listings")
    source = models.CharField(_("数据来源"), max_length=14, choices=Source.choices)
    department = models.CharField(_("提供部门"), max_length=100)
    listed_on = models.DateField(_("名单日期"))
    household = models.ForeignKey(Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, verbose_name=_("成员"), on_delete=models.PROTECT, related_name="+")
    facts = models.JSONField(_("名单事实"), default=dict, blank=True)

    scope_rule = ScopeRule(area="household__village__code")

    class Meta:
        verbose_name = _("部门名单记录")
        verbose_name_plural = _("部门名单记录")
        ordering = ["-listed_on", "-id"]
        indexes = [models.Index(fields=["listed_on", "source"], name="listing_day_source_idx")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} · {self.person_id}"


# --- proposals: entry, exit, re-entry, tier change, mismatch ----------------------------------------


class ProposalKind(models.TextChoices):
    ENTRY = "entry", _("纳入")
    EXIT = "exit", _("退出")
    REENTRY = "reentry", _("恢复")
    TIER_CHANGE = "tier_change", _("类别调整")
    MISMATCH = "mismatch", _("信息不一致")


class ProposalReason(models.TextChoices):
    INCOME_IMPROVED = "income_improved", _("收入改善")
    DEATH = "death", _("死亡")
    MOVED_OUT = "moved_out", _("迁出")
    NO_LONGER_ELIGIBLE = "no_longer_eligible", _("不再符合条件")
    MEETS_CRITERIA = "meets_criteria", _("符合认定条件")
    CROSS_CHECK = "cross_check", _("部门数据比对")
    OTHER = "other", _("其他")


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("待决定")
    ACCEPTED = "accepted", _("同意")
    REJECTED = "rejected", _("不同意")


class Proposal(models.Model):
    """A proposed change to the roster. Nothing changes until a county official decides it in
    the quarterly review; the decision (with its reason) is what changes the roster.

    An entry carries the head's name and ID number until it is decided (then the number is
    cleared: the new member holds it); other kinds name an existing household. The number is
    encrypted at rest like a person's (accounts/crypto.py), compared through its blind index,
    and shown masked (`id_masked`) except through the audited reveal."""

    kind = models.CharField(_("类型"), max_length=12, choices=ProposalKind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING)
    county = models.ForeignKey(Area, verbose_name=_("县(市)"), on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(
        Area, verbose_name=_("村(居)"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("家庭"), null=True, blank=True, on_delete=models.PROTECT, related_name="proposals"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("成员"), null=True, blank=True, on_delete=models.PROTECT, related_name="proposals"
    )
    reason = models.CharField(_("理由"), max_length=20, choices=ProposalReason.choices)
    reason_text = models.CharField(_("说明"), max_length=300, blank=True)
    # Entry: the head to register. Cleared when decided.
    name = models.CharField(_("姓名"), max_length=50, blank=True)
    id_number = EncryptedCharField(
        _("身份证号"), max_length=18, blank=True, validators=[validate_id_number], db_column="id_number_encrypted",
        index_field="id_number_index", normalize="beneficiaries.idnumber.normalize",
    )
    id_number_index = BlindIndexField(_("身份证号索引"), source="id_number", null=True, blank=True)
    id_masked = models.CharField(_("身份证号(脱敏)"), max_length=18, blank=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    household_code = models.CharField(_("户编号"), max_length=40, blank=True)
    # What a cross-check found: {"field": [roster value, list value]} for facts, and the
    # tier the rules suggest with them ("suggested_tier", "suggested_criteria").
    facts = models.JSONField(_("比对事实"), default=dict, blank=True)
    # The day the fact behind the proposal took effect (a death, a move away, turning 18, the day
    # a department's list says so): the decision applies from that day, not the day it is taken.
    # Empty: the fact has no date of its own (the decision's day then).
    effective_on = models.DateField(_("事实发生日期"), null=True, blank=True)
    cross_check = models.ForeignKey(
        CrossCheck, verbose_name=_("来源比对"), null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    proposed_by = models.ForeignKey(User, verbose_name=_("提议人"), on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("提议时间"), auto_now_add=True)
    review = models.ForeignKey(
        QuarterlyReview, verbose_name=_("季度动态调整"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        User, verbose_name=_("决定人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decision_reason = models.CharField(_("决定理由"), max_length=300, blank=True)

    # Every proposal names its village (an entry's, or the household's): village committees see
    # their own, townships and counties those under them.
    scope_rule = ScopeRule(area="village__code")

    class Meta:
        verbose_name = _("纳入退出提议")
        verbose_name_plural = _("纳入退出提议")
        ordering = ["proposed_at", "id"]
        indexes = [models.Index(fields=["county", "status"], name="proposal_county_status_idx")]
        constraints = [
            models.CheckConstraint(
                # An entry names its household only once accepted (the household it created).
                condition=Q(kind="entry", household__isnull=True) | Q(kind="entry", status="accepted")
                | (~Q(kind="entry") & Q(household__isnull=False)),
                name="proposal_household_unless_pending_entry",
            ),
            models.CheckConstraint(
                condition=~Q(reason="other") | ~Q(reason_text=""), name="proposal_other_reason_has_text"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True, decided_by__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False, decided_by__isnull=False)
                   & ~Q(decision_reason="")),
                name="proposal_decision_has_who_when_why",
            ),
            # One open proposal of a kind per household (a second would be decided twice).
            models.UniqueConstraint(
                fields=["household", "kind"], condition=Q(status="pending"), name="proposal_one_pending_per_household",
            ),
            models.UniqueConstraint(
                fields=["id_number_index"], condition=Q(status="pending", kind="entry", id_number_index__isnull=False),
                name="proposal_one_pending_entry_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.household or self.name}"

    @property
    def is_pending(self) -> bool:
        return self.status == ProposalStatus.PENDING
