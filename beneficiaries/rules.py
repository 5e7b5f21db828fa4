"""Tier rules of SPEC §2: from a household's facts, suggest the tier and the criteria codes.

Pure: no database, no clock — the caller passes `today` (ages are judged on that day).
The highest tier wins (A before B before C); all criteria of that tier are listed.
A3, B4 and C2 are officer judgements: the rules never suggest them, and a decision that
uses one needs a written reason (`judgement_needs_reason`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _

ADULT_AGE = 18  # a child is under 18 on the day of judgement
ELDER_AGE = 60  # a left-behind elder is 60 or older

TIER_ORDER = ("A", "B", "C")
CRITERIA_BY_TIER = {
    "A": ("A1", "A2", "A3"),
    "B": ("B1", "B2", "B3", "B4"),
    "C": ("C1", "C2"),
}
JUDGEMENT_CRITERIA = frozenset({"A3", "B4", "C2"})


@dataclass(frozen=True)
class MemberFacts:
    """The facts of one person that the criteria are judged on (values as in models.py)."""

    birth_date: date
    benefit_status: str = "none"  # tekun / dibao / low_income / orphan / unattended_child / none
    support_mode: str = ""  # dispersed / institutional / ""
    self_care: str = "full"  # full / partial / none
    disability_grade: int | None = None  # 1–4
    serious_illness: bool = False
    work_capacity: str = "able"  # able / weak / none / na
    is_main_earner: bool = False
    left_behind: str = ""  # left_behind_child / left_behind_elder / ""
    child_in_distress: bool = False

    @classmethod
    def of(cls, person: Any) -> MemberFacts:
        """From anything with the Person field names (a model instance, an import row)."""
        return cls(**{name: getattr(person, name) for name in cls.__dataclass_fields__})

    def age_on(self, today: date) -> int:
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))

    def is_child(self, today: date) -> bool:
        return self.age_on(today) < ADULT_AGE

    @property
    def severely_disabled(self) -> bool:
        """重度残疾(一至二级)."""
        return self.disability_grade is not None and 1 <= self.disability_grade <= 2

    @property
    def ill_or_severely_disabled_cannot_work(self) -> bool:
        """长期患大病或重度残疾(一至二级)丧失劳动能力."""
        return (self.serious_illness or self.severely_disabled) and self.work_capacity == "none"


@dataclass(frozen=True)
class Suggestion:
    tier: str  # "" when no criterion applies
    criteria: tuple[str, ...]
    # Every criterion the facts meet, of every tier (shown to the officer as the reasons).
    all_met: tuple[str, ...] = ()


def criteria_met(members: Sequence[MemberFacts], today: date) -> list[str]:
    """Codes of the fact-based criteria (A1, A2, B1, B2, B3, C1) the household meets."""
    met: set[str] = set()
    dibao_household = any(m.benefit_status == "dibao" for m in members)
    for m in members:
        child = m.is_child(today)
        # A1: 失能、半失能分散供养特困人员.
        if m.benefit_status == "tekun" and m.support_mode == "dispersed" and m.self_care in ("partial", "none"):
            met.add("A1")
        # A2: 散居孤儿 (not in an institution) and 事实无人抚养儿童 who are seriously ill or disabled.
        scattered_orphan = m.benefit_status == "orphan" and m.support_mode != "institutional"
        if child and (scattered_orphan or m.benefit_status == "unattended_child") and (
            m.serious_illness or m.severely_disabled
        ):
            met.add("A2")
        # B1: 低保 household whose main earner is seriously ill or severely disabled and cannot work.
        if dibao_household and m.is_main_earner and m.ill_or_severely_disabled_cannot_work:
            met.add("B1")
        # B3: 事实无人抚养儿童中的困境儿童.
        if child and m.benefit_status == "unattended_child" and m.child_in_distress:
            met.add("B3")
        # C1: 低收入人口中的留守儿童、留守老人.
        if m.benefit_status == "low_income" and (
            (m.left_behind == "left_behind_child" and child)
            or (m.left_behind == "left_behind_elder" and m.age_on(today) >= ELDER_AGE)
        ):
            met.add("C1")
    # B2: 低保 household with two or more members seriously ill or severely disabled, unable to work.
    if dibao_household and sum(m.ill_or_severely_disabled_cannot_work for m in members) >= 2:
        met.add("B2")
    return sorted(met)


def suggest(members: Iterable[MemberFacts], today: date) -> Suggestion:
    """The suggested tier (highest wins) and its criteria."""
    met = criteria_met(list(members), today)
    for tier in TIER_ORDER:
        codes = tuple(c for c in met if c[0] == tier)
        if codes:
            return Suggestion(tier=tier, criteria=codes, all_met=tuple(met))
    return Suggestion(tier="", criteria=(), all_met=())


# The facts each fact-based criterion is judged on (MemberFacts field names; "age" is the age on
# the day), shown by the "为什么" of a suggestion beside the members who meet it.
CRITERION_FACTS: dict[str, tuple[str, ...]] = {
    "A1": ("benefit_status", "support_mode", "self_care"),
    "A2": ("age", "benefit_status", "support_mode", "serious_illness", "disability_grade"),
    "B1": ("benefit_status", "is_main_earner", "serious_illness", "disability_grade", "work_capacity"),
    "B2": ("benefit_status", "serious_illness", "disability_grade", "work_capacity"),
    "B3": ("age", "benefit_status", "child_in_distress"),
    "C1": ("age", "benefit_status", "left_behind"),
}


def criteria_members(members: Sequence[MemberFacts], today: date) -> dict[str, list[int]]:
    """{criterion met: indexes of the members whose facts meet it} — the same tests as
    criteria_met, member by member (B1 and B2 also need a 低保 household, B2 two such members)."""
    met = set(criteria_met(members, today))
    dibao_household = any(m.benefit_status == "dibao" for m in members)
    tests = {
        "A1": lambda m: m.benefit_status == "tekun" and m.support_mode == "dispersed" and m.self_care in ("partial", "none"),
        "A2": lambda m: m.is_child(today) and ((m.benefit_status == "orphan" and m.support_mode != "institutional")
                                               or m.benefit_status == "unattended_child")
        and (m.serious_illness or m.severely_disabled),
        "B1": lambda m: dibao_household and m.is_main_earner and m.ill_or_severely_disabled_cannot_work,
        "B2": lambda m: dibao_household and m.ill_or_severely_disabled_cannot_work,
        "B3": lambda m: m.is_child(today) and m.benefit_status == "unattended_child" and m.child_in_distress,
        "C1": lambda m: m.benefit_status == "low_income" and (
            (m.left_behind == "left_behind_child" and m.is_child(today))
            or (m.left_behind == "left_behind_elder" and m.age_on(today) >= ELDER_AGE)),
    }
    return {code: [i for i, m in enumerate(members) if tests[code](m)] for code in sorted(met)}


def tier_of(criteria: Iterable[str]) -> str:
    """The tier a set of criteria implies: the highest among them."""
    letters = {c[0] for c in criteria}
    return next((t for t in TIER_ORDER if t in letters), "")


def decision_problems(
    *, tier: str, criteria: Sequence[str], reason: str, suggestion: Suggestion | None = None
) -> list[str]:
    """What is wrong with a proposed decision (tier + criteria + reason), as Chinese messages;
    empty when it may be confirmed. Shared by the confirm form, the import and the action.
    Overriding the suggestion needs a reason, as does any judgement criterion."""
    problems: list[str] = []
    if tier not in TIER_ORDER:
        return [_("请选择类别（A、B或C）。")]
    if not criteria:
        problems.append(_("请至少选择一项认定标准。"))
    unknown = [c for c in criteria if c not in CRITERIA_BY_TIER.get(c[:1], ())]
    if unknown:
        problems.append(_("认定标准“%(c)s”不存在。") % {"c": "、".join(unknown)})
    wrong = [c for c in criteria if c not in unknown and c[0] != tier]
    if wrong:
        problems.append(
            _("认定标准%(c)s不属于%(t)s类。") % {"c": "、".join(wrong), "t": tier}
        )
    if judgement_needs_reason(criteria) and not reason.strip():
        problems.append(
            _("认定标准%(c)s属于县(市)民政部门研判认定，必须填写认定理由。")
            % {"c": "、".join(sorted(JUDGEMENT_CRITERIA & set(criteria)))}
        )
    if suggestion is not None and is_override(suggestion, tier, criteria) and not reason.strip():
        problems.append(_("认定结果与系统建议不一致，必须填写调整理由。"))
    return problems


def judgement_needs_reason(criteria: Iterable[str]) -> bool:
    return bool(JUDGEMENT_CRITERIA & set(criteria))


def is_override(suggestion: Suggestion, tier: str, criteria: Sequence[str]) -> bool:
    return suggestion.tier != tier or sorted(suggestion.criteria) != sorted(criteria)


# --- quarters (dynamic adjustment, §5(4)) ------------------------------------------------------


def quarter_of(day: date) -> tuple[int, int]:
    """(year, quarter 1–4) of a day."""
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a quarter."""
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter {quarter} not in 1–4")
    first = date(year, 3 * quarter - 2, 1)
    after = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, after - timedelta(days=1)
