"""Factories of the custody tests: an eligible person, an open account with custodian and
caregiver, and postings through the real actions (never by writing ledger rows directly)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Area, Role, User
from beneficiaries.models import CivilCapacity, SelfCare
from custody import actions, rules
from custody.models import CustodyAccount, FundType, Purpose, VillageMeeting
from tests.factories import HouseholdFactory, PersonFactory, id_number_for, jpeg_bytes, user_with_role

OPENED = dt.date(2026, 1, 5)
TODAY = dt.date(2026, 3, 16)

_seq = iter(range(100, 10**6))


def eligible_person(village: str | None = None, *, tier: str = "A", self_care: str = SelfCare.FULL, **kwargs):
    household_kwargs = {"tier": tier}
    if village:
        household_kwargs["village"] = Area.objects.get(code=village)
    household = HouseholdFactory(**household_kwargs)
    defaults = {"civil_capacity": CivilCapacity.NONE, "guardian_name": "", "guardian_can_act": None,
                "self_care": self_care}
    defaults.update(kwargs)
    return PersonFactory(household=household, **defaults)


def villager_id(birth: dt.date = dt.date(1960, 5, 1)) -> str:
    """A valid ID number of somebody not on the roster (custodian, caregiver)."""
    return id_number_for(next(_seq), birth + dt.timedelta(days=next(_seq) % 3000))


def minutes_file(name: str = "minutes.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 minutes", content_type="application/pdf")


def committee_user(village: str, **kwargs) -> User:
    return user_with_role(Role.VILLAGE_COMMITTEE, village, **kwargs)


def meeting(village: str, actor: User, held_on: dt.date = OPENED) -> VillageMeeting:
    return actions.meeting_record(
        village=Area.objects.get(code=village), held_on=held_on, attendance=42, attendees="全体村民代表",
        resolution="推选代管人", minutes=minutes_file(), actor=actor, today=TODAY,
    )


def candidate(name: str = "杨老", *, id_number: str | None = None, party: bool = False, elder: bool = True,
              head: bool = False, procedure: str = "", wishes: str = "") -> rules.CustodianCandidate:
    return rules.CustodianCandidate(
        name=name, id_number=id_number or villager_id(), is_party_member=party, is_village_elder=elder,
        is_committee_head=head, legal_procedure=procedure, child_wishes=wishes,
    )


def open_account(village: str, actor: User | None = None, *, person=None, custodian: bool = True,
                 caregiver: bool = True, opened_on: dt.date = OPENED, **person_kwargs) -> CustodyAccount:
    """An open account in `village`, with an elected custodian and an appointed caregiver."""
    actor = actor or committee_user(village)
    person = person or eligible_person(village, **person_kwargs)
    account = actions.account_open(person=person, opened_on=opened_on, reason="无监护人", actor=actor, today=TODAY)
    if custodian:
        actions.custodian_elect(account=account, meeting=meeting(village, actor, opened_on), candidate=candidate(),
                                phone="13900000001", started_on=opened_on, actor=actor, today=TODAY)
    if caregiver:
        actions.caregiver_appoint(account=account, name="吴照料", id_number=villager_id(dt.date(1975, 3, 3)),
                                  phone="13900000002", relation="邻居", started_on=opened_on, actor=actor, today=TODAY)
    account.refresh_from_db()
    return account


def deposit(account, fen: int, *, on: dt.date = OPENED, actor=None, key=None, fund_type=FundType.TEKUN):
    return actions.ledger_deposit(account=account, amount_fen=fen, fund_type=fund_type, entry_date=on,
                                  idempotency_key=key or uuid.uuid4(), actor=actor, today=TODAY)


def withdraw(account, fen: int, *, on: dt.date = OPENED, actor=None, key=None, receipt: str = "R-1",
             photo: bool = True):
    return actions.ledger_withdraw(
        account=account, amount_fen=fen, purpose=Purpose.FOOD, entry_date=on, receipt_number=receipt,
        receipt_photo=SimpleUploadedFile("r.jpg", jpeg_bytes(), content_type="image/jpeg") if photo else None,
        idempotency_key=key or uuid.uuid4(), actor=actor, today=TODAY,
    )
