"""Fund custody (保障资金代管, SPEC §5(3), §4(10)): accounts of persons who cannot manage their
benefit money, the village meetings that elect their custodians, caregivers, the append-only
income/expense ledger in integer fen, village checks, duty evaluations and spot checks."""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.crypto import BlindIndexField, EncryptedCharField
from accounts.models import Area, Role, User
from accounts.scoping import PREFIX_LENGTH, ScopeRule, prefix_q, user_roles
from beneficiaries.idnumber import mask, validate_id_number
from beneficiaries.models import Person

PHOTO_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "heic", "pdf"]
MINUTES_EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "doc", "docx", "webp"]


def supervisor_prefixes(user: User) -> list[str]:
    """Area prefixes under the user's financial-supervisor roles."""
    return [
        r.area.code[: PREFIX_LENGTH[r.area.level]]
        for r in user_roles(user)
        if r.role == Role.FINANCIAL_SUPERVISOR and r.area
    ]


def _sampled_accounts_q(user: User, account: str = "") -> Q | None:
    """A financial supervisor reaches an account only by sampling it in a spot check of an area
    under their role; everything else stays invisible (404)."""
    prefixes = supervisor_prefixes(user)
    if not prefixes:
        return None
    sampled = SpotCheckSample.objects.filter(prefix_q("spot_check__area__code", prefixes)).values("account_id")
    return Q(**{f"{account}id__in": sampled})


def _supervisor_area_q(user: User) -> Q | None:
    return prefix_q("area__code", supervisor_prefixes(user))


# --- choices ---------------------------------------------------------------------------------


class AccountStatus(models.TextChoices):
    OPEN = "open", _("在管")
    CLOSED = "closed", _("已销户")


class FundType(models.TextChoices):
    TEKUN = "tekun", _("特困人员供养补助")
    ORPHAN = "orphan", _("孤儿和事实无人抚养儿童基本生活保障金")
    DIBAO = "dibao", _("最低生活保障金")
    DISABILITY_CARE = "disability_care", _("重度残疾人护理补贴")
    OTHER = "other", _("其他")


class Purpose(models.TextChoices):
    FOOD = "food", _("伙食")
    CLOTHING = "clothing", _("衣物")
    MEDICAL = "medical", _("医疗")
    DAILY_GOODS = "daily_goods", _("日用品")
    UTILITIES = "utilities", _("水电燃气")
    OTHER = "other", _("其他")


class EntryKind(models.TextChoices):
    DEPOSIT = "deposit", _("存入")
    WITHDRAWAL = "withdrawal", _("支取")
    REVERSAL = "reversal", _("冲正")


class CheckResult(models.TextChoices):
    NORMAL = "normal", _("正常")
    ABNORMAL = "abnormal", _("异常")


class DutyRole(models.TextChoices):
    CUSTODIAN = "custodian", _("保障资金代管人")
    CAREGIVER = "caregiver", _("照料护理人")


class EvaluatorLevel(models.TextChoices):
    VILLAGE = "village", _("村(居)民委员会")
    TOWNSHIP = "township", _("乡镇(街道)")


class EvaluationResult(models.TextChoices):
    PASS = "pass", _("称职")
    FAIL = "fail", _("不称职")


class SampleResult(models.TextChoices):
    PENDING = "pending", _("待查")
    NORMAL = "normal", _("正常")
    ABNORMAL = "abnormal", _("异常")


ACCOUNT_AREA = "person__household__village__code"


# --- policy ----------------------------------------------------------------------------------


class CustodyPolicy(models.Model):
    """Per-county setting (因地制宜, SPEC §7): the balance above which an account is flagged.
    A county without a row uses rules.DEFAULT_BALANCE_CEILING_FEN."""

    county = models.OneToOneField(Area, verbose_name=_("县(市)"), primary_key=True, on_delete=models.PROTECT,
                                  related_name="+")
    balance_ceiling_fen = models.BigIntegerField(_("余额上限(分)"), validators=[MinValueValidator(1)])
    changed_by = models.ForeignKey(User, verbose_name=_("修改人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("修改时间"), auto_now=True)

    scope_rule = ScopeRule(area="county__code")

    class Meta:
        verbose_name = _("代管资金设置")
        verbose_name_plural = _("代管资金设置")
        constraints = [models.CheckConstraint(condition=Q(balance_ceiling_fen__gt=0), name="custody_policy_ceiling_positive")]

    def __str__(self) -> str:
        return f"{self.county} {self.balance_ceiling_fen}"


# --- accounts --------------------------------------------------------------------------------


class CustodyAccount(models.Model):
    """The custody account of one person. `balance_fen` is the sum of the account's ledger
    entries, kept in step under a row lock by custody.actions and never below zero (CHECK)."""

    person = models.ForeignKey(Person, verbose_name=_("代管对象"), on_delete=models.PROTECT, related_name="custody_accounts")
    status = models.CharField(_("状态"), max_length=8, choices=AccountStatus.choices, default=AccountStatus.OPEN)
    opened_on = models.DateField(_("开户日期"))
    opening_reason = models.TextField(_("开户原因"))
    opened_by = models.ForeignKey(User, verbose_name=_("开户人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    balance_fen = models.BigIntegerField(_("余额(分)"), default=0)
    closed_on = models.DateField(_("销户日期"), null=True, blank=True)
    closing_reason = models.TextField(_("销户原因"), blank=True)
    final_balance_fen = models.BigIntegerField(_("销户时余额(分)"), null=True, blank=True)
    closed_by = models.ForeignKey(User, verbose_name=_("销户人"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = ScopeRule(area=ACCOUNT_AREA, assignment=lambda user: _sampled_accounts_q(user))

    class Meta:
        verbose_name = _("代管账户")
        verbose_name_plural = _("代管账户")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(balance_fen__gte=0), name="custody_account_balance_not_negative"),
            models.UniqueConstraint(fields=["person"], condition=Q(status="open"), name="custody_one_open_account_per_person"),
            models.CheckConstraint(
                condition=Q(status="open", closed_on__isnull=True, final_balance_fen__isnull=True)
                | Q(status="closed", closed_on__isnull=False, final_balance_fen__isnull=False) & ~Q(closing_reason=""),
                name="custody_account_closed_has_date_reason_balance",
            ),
        ]

    def __str__(self) -> str:
        return _("%(name)s 的代管账户") % {"name": self.person.name} if self.person_id else "—"

    @property
    def is_open(self) -> bool:
        return self.status == AccountStatus.OPEN


class VillageMeeting(models.Model):
    """A village meeting (村民会议) convened by the village committee; custodians are elected at one."""

    village = models.ForeignKey(Area, verbose_name=_("村(居)"), on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(_("会议日期"))
    attendance = models.PositiveIntegerField(_("到会人数"), validators=[MinValueValidator(1)])
    attendees = models.TextField(_("参会人员"), blank=True)
    resolution = models.TextField(_("会议决议"))
    minutes = models.FileField(_("会议记录(文件)"), upload_to="custody/minutes/%Y/%m/",
                               validators=[FileExtensionValidator(MINUTES_EXTENSIONS)])
    recorded_by = models.ForeignKey(User, verbose_name=_("记录人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="village__code")

    class Meta:
        verbose_name = _("村民会议")
        verbose_name_plural = _("村民会议")
        ordering = ["-held_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(attendance__gte=1), name="custody_meeting_attendance_positive")]

    def __str__(self) -> str:
        return f"{self.village.short_name} {self.held_on:%Y-%m-%d} 村民会议" if self.village_id else "村民会议"


class Custodian(models.Model):
    """One term of a custodian (保障资金代管人) of one account, elected at a village meeting.
    Replacing a custodian ends the term (`ended_on`, exclusive) and starts a new one: the history stays."""

    account = models.ForeignKey(CustodyAccount, verbose_name=_("代管账户"), on_delete=models.PROTECT, related_name="custodians")
    meeting = models.ForeignKey(VillageMeeting, verbose_name=_("推选会议"), on_delete=models.PROTECT, related_name="custodians")
    name = models.CharField(_("姓名"), max_length=50)
    # Encrypted at rest (accounts/crypto.py); exact search through the blind index.
    id_number = EncryptedCharField(_("身份证号"), max_length=18, validators=[validate_id_number], db_column="id_number_encrypted",
                                   index_field="id_number_index", normalize="beneficiaries.idnumber.normalize")
    id_number_index = BlindIndexField(_("身份证号索引"), source="id_number", db_index=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    is_party_member = models.BooleanField(_("党员"), default=False)
    is_village_elder = models.BooleanField(_("寨老"), default=False)
    is_committee_head = models.BooleanField(_("村(居)两委负责人"), default=False)
    legal_procedure = models.TextField(_("已履行的法律程序(未成年人)"), blank=True)
    child_wishes = models.TextField(_("儿童本人意愿(未成年人)"), blank=True)
    started_on = models.DateField(_("任职日期"))
    ended_on = models.DateField(_("卸任日期"), null=True, blank=True)
    end_reason = models.CharField(_("卸任原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(User, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    scope_rule = ScopeRule(area="account__" + ACCOUNT_AREA, assignment=lambda user: _sampled_accounts_q(user, "account__"))

    class Meta:
        verbose_name = _("保障资金代管人")
        verbose_name_plural = _("保障资金代管人")
        ordering = ["account_id", "-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account"], condition=Q(ended_on__isnull=True), name="custody_one_active_custodian"),
            models.CheckConstraint(condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                                   name="custody_custodian_ends_after_start"),
            models.CheckConstraint(condition=Q(is_party_member=True) | Q(is_village_elder=True),
                                   name="custody_custodian_party_member_or_elder"),
            models.CheckConstraint(condition=Q(is_committee_head=False), name="custody_custodian_not_committee_head"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def id_masked(self) -> str:
        return mask(self.id_number)


class Caregiver(models.Model):
    """One appointment of a caregiver (照料护理人) of one account, who draws daily expenses from the custodian."""

    account = models.ForeignKey(CustodyAccount, verbose_name=_("代管账户"), on_delete=models.PROTECT, related_name="caregivers")
    name = models.CharField(_("姓名"), max_length=50)
    # Encrypted at rest (accounts/crypto.py); exact search through the blind index.
    id_number = EncryptedCharField(_("身份证号"), max_length=18, validators=[validate_id_number], db_column="id_number_encrypted",
                                   index_field="id_number_index", normalize="beneficiaries.idnumber.normalize")
    id_number_index = BlindIndexField(_("身份证号索引"), source="id_number", db_index=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    relation = models.CharField(_("与对象关系"), max_length=50, blank=True)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(User, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    scope_rule = ScopeRule(area="account__" + ACCOUNT_AREA, assignment=lambda user: _sampled_accounts_q(user, "account__"))

    class Meta:
        verbose_name = _("照料护理人")
        verbose_name_plural = _("照料护理人")
        ordering = ["account_id", "-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account"], condition=Q(ended_on__isnull=True), name="custody_one_active_caregiver"),
            models.CheckConstraint(condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                                   name="custody_caregiver_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def id_masked(self) -> str:
        return mask(self.id_number)


# --- the ledger ------------------------------------------------------------------------------


class LedgerEntry(models.Model):
    """One line of the income/expense ledger (收支财务台账). Append-only: the database refuses
    UPDATE and DELETE (trigger in migration 0002). `amount_fen` is signed: deposits are positive,
    withdrawals negative, a reversal is the negation of the entry it names. `balance_after_fen` is
    the account balance right after this posting (postings of one account are serialised by a row
    lock, so posting order is id order)."""

    account = models.ForeignKey(CustodyAccount, verbose_name=_("代管账户"), on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("类型"), max_length=10, choices=EntryKind.choices)
    amount_fen = models.BigIntegerField(_("金额(分)"))
    balance_after_fen = models.BigIntegerField(_("余额(分)"))
    entry_date = models.DateField(_("发生日期"))
    fund_type = models.CharField(_("资金类型"), max_length=16, choices=FundType.choices, blank=True)
    purpose = models.CharField(_("用途"), max_length=12, choices=Purpose.choices, blank=True)
    caregiver = models.ForeignKey(Caregiver, verbose_name=_("支取人(照料护理人)"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="withdrawals")
    receipt_number = models.CharField(_("票据号"), max_length=60, blank=True)
    receipt_photo = models.FileField(_("票据照片"), upload_to="custody/receipts/%Y/%m/", blank=True,
                                     validators=[FileExtensionValidator(PHOTO_EXTENSIONS)])
    reverses = models.OneToOneField("self", verbose_name=_("冲正的记录"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversed_by")
    note = models.CharField(_("摘要"), max_length=200, blank=True)
    idempotency_key = models.UUIDField(_("提交标识"), unique=True, default=uuid.uuid4, editable=False)
    posted_by = models.ForeignKey(User, verbose_name=_("记账人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(_("记账时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="account__" + ACCOUNT_AREA, assignment=lambda user: _sampled_accounts_q(user, "account__"))

    class Meta:
        verbose_name = _("收支记录")
        verbose_name_plural = _("收支财务台账")
        ordering = ["account_id", "id"]
        indexes = [
            models.Index(fields=["account", "kind", "entry_date"], name="custody_entry_kind_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(balance_after_fen__gte=0), name="custody_entry_balance_not_negative"),
            models.CheckConstraint(
                condition=Q(kind="deposit", amount_fen__gt=0, reverses__isnull=True) & ~Q(fund_type="")
                | Q(kind="withdrawal", amount_fen__lt=0, reverses__isnull=True) & ~Q(purpose="")
                | Q(kind="reversal", reverses__isnull=False) & ~Q(amount_fen=0),
                name="custody_entry_kind_shape",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.amount_fen}"

    @property
    def income_fen(self) -> int:
        return self.amount_fen if self.amount_fen > 0 else 0

    @property
    def expense_fen(self) -> int:
        return -self.amount_fen if self.amount_fen < 0 else 0


# --- oversight of the account ----------------------------------------------------------------


class LedgerCheck(models.Model):
    """A periodic check (定期检查) of an account's ledger by the village committee, signed off by
    the checker. Append-only like the ledger: a signed check is not edited."""

    account = models.ForeignKey(CustodyAccount, verbose_name=_("代管账户"), on_delete=models.PROTECT, related_name="checks")
    period_start = models.DateField(_("检查期间起"))
    period_end = models.DateField(_("检查期间止"))
    checked_on = models.DateField(_("检查日期"))
    checker = models.ForeignKey(User, verbose_name=_("检查人"), on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("检查结果"), max_length=10, choices=CheckResult.choices)
    issues = models.TextField(_("发现问题"), blank=True)
    balance_fen = models.BigIntegerField(_("检查时余额(分)"))
    signed_at = models.DateTimeField(_("签字时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="account__" + ACCOUNT_AREA, assignment=lambda user: _sampled_accounts_q(user, "account__"))

    class Meta:
        verbose_name = _("定期检查")
        verbose_name_plural = _("定期检查")
        ordering = ["account_id", "-checked_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="custody_check_period_order"),
            models.CheckConstraint(condition=Q(result="normal") | ~Q(issues=""), name="custody_check_abnormal_has_issues"),
        ]

    def __str__(self) -> str:
        return f"{self.checked_on} {self.get_result_display()}"


class DutyEvaluation(models.Model):
    """A duty evaluation (履职评估) of a custodian or a caregiver. Village committees evaluate both
    at any time; townships evaluate, every month, the caregivers of disabled tier-A persons
    (one evaluation per caregiver and month). A failed evaluation opens a Replacement."""

    account = models.ForeignKey(CustodyAccount, verbose_name=_("代管账户"), on_delete=models.PROTECT, related_name="evaluations")
    role = models.CharField(_("评估对象"), max_length=10, choices=DutyRole.choices)
    custodian = models.ForeignKey(Custodian, verbose_name=_("代管人"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="evaluations")
    caregiver = models.ForeignKey(Caregiver, verbose_name=_("照料护理人"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="evaluations")
    level = models.CharField(_("评估单位"), max_length=10, choices=EvaluatorLevel.choices)
    period = models.DateField(_("评估月份"), help_text=_("该月第一天"))
    evaluated_on = models.DateField(_("评估日期"))
    result = models.CharField(_("评估结果"), max_length=6, choices=EvaluationResult.choices)
    notes = models.TextField(_("评估意见"), blank=True)
    evaluated_by = models.ForeignKey(User, verbose_name=_("评估人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="account__" + ACCOUNT_AREA)

    class Meta:
        verbose_name = _("履职评估")
        verbose_name_plural = _("履职评估")
        ordering = ["account_id", "-evaluated_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role="custodian", custodian__isnull=False, caregiver__isnull=True)
                | Q(role="caregiver", caregiver__isnull=False, custodian__isnull=True),
                name="custody_evaluation_names_its_subject",
            ),
            models.CheckConstraint(condition=Q(period__day=1), name="custody_evaluation_period_is_month_start"),
            models.CheckConstraint(condition=Q(result="pass") | ~Q(notes=""), name="custody_evaluation_fail_has_notes"),
            models.UniqueConstraint(fields=["caregiver", "period"], condition=Q(level="township"),
                                    name="custody_one_township_evaluation_per_caregiver_month"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.period:%Y-%m} {self.get_result_display()}"


class Replacement(models.Model):
    """A replacement started by a failed evaluation; closed when the successor is appointed."""

    account = models.ForeignKey(CustodyAccount, verbose_name=_("代管账户"), on_delete=models.PROTECT, related_name="replacements")
    role = models.CharField(_("更换对象"), max_length=10, choices=DutyRole.choices)
    evaluation = models.OneToOneField(DutyEvaluation, verbose_name=_("评估"), on_delete=models.PROTECT, related_name="replacement")
    opened_on = models.DateField(_("启动日期"))
    closed_on = models.DateField(_("完成日期"), null=True, blank=True)

    scope_rule = ScopeRule(area="account__" + ACCOUNT_AREA)

    class Meta:
        verbose_name = _("人员更换")
        verbose_name_plural = _("人员更换")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "role"], condition=Q(closed_on__isnull=True),
                                    name="custody_one_open_replacement_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.opened_on}"


class SpotCheck(models.Model):
    """A spot check (抽查) by the financial supervisor: a reproducible random sample of `percent`
    % of the open accounts in `area`. The population (sorted ids) and the seed are recorded, so
    rules.draw_sample(population_ids, percent, seed) gives the same sample again."""

    area = models.ForeignKey(Area, verbose_name=_("抽查区域"), on_delete=models.PROTECT, related_name="+")
    percent = models.PositiveSmallIntegerField(_("抽查比例(%)"), validators=[MinValueValidator(1), MaxValueValidator(100)])
    seed = models.BigIntegerField(_("随机种子"))
    population_ids = ArrayField(models.BigIntegerField(), verbose_name=_("抽样总体"), default=list)
    drawn_on = models.DateField(_("抽取日期"))
    supervisor = models.ForeignKey(User, verbose_name=_("抽查人"), on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    scope_rule = ScopeRule(area="area__code", assignment=_supervisor_area_q)

    class Meta:
        verbose_name = _("抽查")
        verbose_name_plural = _("抽查")
        ordering = ["-drawn_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(percent__gte=1, percent__lte=100), name="custody_spot_check_percent_range"),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.drawn_on} {self.percent}%"


class SpotCheckSample(models.Model):
    """One sampled account of a spot check, with the supervisor's finding."""

    spot_check = models.ForeignKey(SpotCheck, verbose_name=_("抽查"), on_delete=models.PROTECT, related_name="samples")
    account = models.ForeignKey(CustodyAccount, verbose_name=_("代管账户"), on_delete=models.PROTECT, related_name="samples")
    result = models.CharField(_("抽查结果"), max_length=10, choices=SampleResult.choices, default=SampleResult.PENDING)
    finding = models.TextField(_("抽查发现"), blank=True)
    checked_on = models.DateField(_("核查日期"), null=True, blank=True)
    checked_by = models.ForeignKey(User, verbose_name=_("核查人"), null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    scope_rule = ScopeRule(area="account__" + ACCOUNT_AREA,
                           assignment=lambda user: prefix_q("spot_check__area__code", supervisor_prefixes(user)))

    class Meta:
        verbose_name = _("抽查样本")
        verbose_name_plural = _("抽查样本")
        ordering = ["spot_check_id", "account_id"]
        constraints = [
            models.UniqueConstraint(fields=["spot_check", "account"], name="custody_sample_unique_account"),
            models.CheckConstraint(condition=Q(result="pending") | Q(checked_on__isnull=False),
                                   name="custody_sample_finding_dated"),
            models.CheckConstraint(condition=~Q(result="abnormal") | ~Q(finding=""), name="custody_sample_abnormal_has_finding"),
        ]

    def __str__(self) -> str:
        return f"{self.spot_check_id}/{self.account_id}"
