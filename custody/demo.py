"""Demo custody accounts in the demo village (西江镇's first village), for `make run`.

Idempotent: households are found by code, accounts by person, and every posting carries a
fixed idempotency key (uuid5), so a second run replays instead of posting twice. If the roster
has no eligible persons yet, the three demo persons are created through the roster's actions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from accounts import demo as accounts_demo
from accounts.models import User
from beneficiaries import actions as roster_actions
from beneficiaries import idnumber
from beneficiaries.models import Household, Person

from . import actions, rules
from .models import AccountStatus, Caregiver, Custodian, CustodyAccount, FundType, Purpose, VillageMeeting

KEYS = uuid.UUID("6f1d1c2e-4b7a-4f43-9a55-2f0c8f6f0c11")
MEETING_RESOLUTION = "经村民会议推选保障资金代管人（演示数据）"


@dataclass(frozen=True)
class DemoPerson:
    code: str
    name: str
    birth: date
    seq: int
    tier: str
    criteria: tuple[str, ...]
    facts: dict
    custodian: tuple[str, date, int, bool, bool]  # name, birth, seq, party member, elder
    caregiver: tuple[str, date, int, str]  # name, birth, seq, relation
    fund: str
    monthly_fen: int


PEOPLE = [
    DemoPerson("DEMO-CUSTODY-1", "杨阿婆", date(1941, 4, 12), 902, "A", ("A1",),
               {"benefit_status": "tekun", "support_mode": "dispersed", "self_care": "none",
                "civil_capacity": "none", "work_capacity": "none"},
               ("李寨老", date(1956, 8, 3), 911, False, True), ("侯照料", date(1972, 2, 9), 922, "邻居"),
               FundType.TEKUN, 68000),
    DemoPerson("DEMO-CUSTODY-2", "吴小花", date(2014, 9, 1), 904, "A", ("A2",),
               {"benefit_status": "orphan", "self_care": "full", "civil_capacity": "limited",
                "work_capacity": "na", "disability_type": "intellectual", "disability_grade": 2},
               ("潘书记", date(1968, 5, 20), 913, True, False), ("吴奶奶", date(1950, 1, 15), 924, "祖母"),
               FundType.ORPHAN, 130000),
    DemoPerson("DEMO-CUSTODY-3", "张大山", date(1979, 11, 30), 905, "B", ("B1",),
               {"benefit_status": "dibao", "self_care": "partial", "civil_capacity": "none",
                "work_capacity": "none", "disability_type": "mental", "disability_grade": 1,
                "guardian_name": "张父", "guardian_can_act": False},
               ("龙寨老", date(1950, 3, 3), 915, True, True), ("张嫂", date(1981, 7, 7), 926, "嫂子"),
               FundType.DIBAO, 52000),
]


def _id(birth: date, seq: int) -> str:
    return idnumber.make(f"522634{birth:%Y%m%d}{seq:03d}")


def _key(*parts) -> uuid.UUID:
    return uuid.uuid5(KEYS, "/".join(str(p) for p in parts))


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _person(spec: DemoPerson, village, township: User | None, county: User | None, today: date) -> Person | None:
    """The demo person, created through the roster's actions when missing."""
    person = Person.objects.filter(id_number=_id(spec.birth, spec.seq)).select_related("household").first()
    if person is not None:
        return person
    if township is None or county is None:
        return None
    household = Household.objects.filter(code=spec.code).first() or roster_actions.household_create(
        actor=township, code=spec.code, village=village, address="演示组")
    data = {"name": spec.name, "id_number": _id(spec.birth, spec.seq), "relation": "head", **spec.facts}
    person = roster_actions.person_save(actor=township, household=household, data=data, today=today)
    if household.tier != spec.tier:
        roster_actions.classification_confirm(actor=county, household=household, tier=spec.tier,
                                              criteria=list(spec.criteria), reason="演示数据：保障资金代管对象",
                                              today=today)
    return Person.objects.select_related("household").get(pk=person.pk)


def _meeting(village, committee: User | None, held_on: date, today: date) -> VillageMeeting:
    existing = VillageMeeting.objects.filter(village=village, resolution=MEETING_RESOLUTION).first()
    if existing:
        return existing
    minutes = ContentFile(b"%PDF-1.4\n% demo minutes\n", name="demo-minutes.pdf")
    return actions.meeting_record(village=village, held_on=held_on, attendance=56,
                                  attendees="村民代表56人，村委会、驻村工作队列席", resolution=MEETING_RESOLUTION,
                                  minutes=minutes, actor=committee, today=today)


def _account(spec: DemoPerson, person: Person, meeting: VillageMeeting, committee: User | None, opened_on: date,
             today: date) -> CustodyAccount:
    account = CustodyAccount.objects.filter(person=person, status=AccountStatus.OPEN).first()
    if account is None:
        account = actions.account_open(person=person, opened_on=opened_on, reason="无民事行为能力，无监护人或监护人不能履职",
                                       actor=committee, today=today)
    if not Custodian.objects.filter(account=account, ended_on__isnull=True).exists():
        name, birth, seq, party, elder = spec.custodian
        minor = rules.is_minor(person.birth_date, meeting.held_on)
        candidate = rules.CustodianCandidate(
            name=name, id_number=_id(birth, seq), is_party_member=party, is_village_elder=elder,
            is_committee_head=False,
            legal_procedure="经县人民法院特别程序指定村民委员会为监护人" if minor else "",
            child_wishes="本人表示愿意由潘书记代管生活费" if minor else "",
        )
        actions.custodian_elect(account=account, meeting=meeting, candidate=candidate, phone="13985500001",
                                started_on=max(meeting.held_on, opened_on), actor=committee, today=today)
    if not Caregiver.objects.filter(account=account, ended_on__isnull=True).exists():
        name, birth, seq, relation = spec.caregiver
        actions.caregiver_appoint(account=account, name=name, id_number=_id(birth, seq), phone="13985500002",
                                  relation=relation, started_on=opened_on, actor=committee, today=today)
    return account


def _ledger(spec: DemoPerson, account: CustodyAccount, committee: User | None, opened_on: date, today: date,
            index: int) -> None:
    """Three monthly deposits and a few withdrawals; the second person has one without a receipt."""
    for month in range(3):
        on = min(today, opened_on + timedelta(days=5 + 30 * month))
        actions.ledger_deposit(account=account, amount_fen=spec.monthly_fen, fund_type=spec.fund, entry_date=on,
                               note=f"{on:%Y年%m月}发放", idempotency_key=_key(spec.code, "deposit", month),
                               actor=committee, today=today)
        if spec.fund == FundType.TEKUN:
            actions.ledger_deposit(account=account, amount_fen=10000, fund_type=FundType.DISABILITY_CARE,
                                   entry_date=on, note="重度残疾人护理补贴",
                                   idempotency_key=_key(spec.code, "care", month), actor=committee, today=today)
        for n, (purpose, share) in enumerate([(Purpose.FOOD, 2), (Purpose.DAILY_GOODS, 5)]):
            receipt = "" if (index == 1 and month == 2 and n == 1) else f"XJ{on:%m%d}{index}{n}"
            actions.ledger_withdraw(account=account, amount_fen=spec.monthly_fen // share, purpose=purpose,
                                    entry_date=min(today, on + timedelta(days=3 + n)), receipt_number=receipt,
                                    note="照料护理人支取日常开支",
                                    idempotency_key=_key(spec.code, "withdraw", month, n), actor=committee, today=today)


@transaction.atomic
def seed_custody(*, households: int = 0, seed: int = 0, stdout=None) -> None:
    today = timezone.localdate()
    village = accounts_demo.demo_village()
    if village is None:
        return
    committee = _user("cunwei")
    township, county = _user("xijiang"), _user("leishan")
    opened_on = today - timedelta(days=95)
    meeting = None
    made = 0
    for index, spec in enumerate(PEOPLE):
        try:
            with transaction.atomic():
                person = _person(spec, village, township, county, today)
                if person is None or rules.eligibility_errors(actions.person_facts(person)):
                    continue
                meeting = meeting or _meeting(village, committee, opened_on, today)
                account = _account(spec, person, meeting, committee, opened_on, today)
                _ledger(spec, account, committee, opened_on, today, index)
                if index == 0 and not account.checks.exists() and committee is not None:
                    actions.check_sign(account=account, period_start=opened_on, period_end=today, result="normal",
                                       issues="", actor=committee, today=today)
                made += 1
        except ValidationError as exc:
            # Demo data must never stop `make run`: say what was skipped and go on.
            if stdout is not None:
                stdout.write(f"资金代管：跳过 {spec.name}：{'；'.join(exc.messages)}")
    if stdout is not None:
        stdout.write(f"资金代管：{village.short_name} {made} 个演示代管账户")
