"""A waiting entry's ID number is personal data like a person's: encrypted at rest with a blind
index (exchange 0003), masked in every list, revealed in full only on the quarterly review page to
the roles that may reveal a person's number, after the second factor, each reveal audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from accounts import crypto
from accounts.models import AuditAction, AuditEvent, Role
from beneficiaries import idnumber
from beneficiaries.actions import quarterly_review_start
from exchange.actions import proposal_create, proposal_decide
from exchange.models import Proposal
from tests.conftest import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.factories import area, id_number_for, user_with_role
from tests.otp import pass_second_factor

TODAY = dt.date(2026, 3, 16)
NUMBER = id_number_for(61, dt.date(1944, 8, 8), sex="F")


@pytest.fixture
def township(db):
    return user_with_role(Role.TOWNSHIP, TOWNSHIP, username="xj_priv")


@pytest.fixture
def county(db):
    return user_with_role(Role.COUNTY, COUNTY, username="ls_priv")


@pytest.fixture
def entry(township):
    village = area(TOWNSHIP).descendants().order_by("code").first()
    return proposal_create(actor=township, kind="entry", village=village, name="龙奶奶", id_number=NUMBER,
                           household_code="XJ-PRIV-1", reason="meets_criteria", today=TODAY)


def _raw(proposal: Proposal) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM exchange_proposal WHERE id = %s", [proposal.pk])
        names = [c.name for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def test_the_database_holds_the_number_only_encrypted(entry):
    row = _raw(entry)
    assert row["id_number_encrypted"].startswith("v1:dev1:")
    assert not any(NUMBER in str(value) for value in row.values())  # in no column, the masked one included
    assert row["id_number_index"] == crypto.blind_index(NUMBER)
    assert Proposal.objects.get(pk=entry.pk).id_number == NUMBER
    assert Proposal.objects.get(id_number=NUMBER) == entry  # compared through the blind index


def test_one_waiting_entry_per_person_is_held_by_the_blind_index(entry, township):
    village = area(TOWNSHIP).descendants().order_by("code").first()
    with pytest.raises(ValidationError, match="已有同类提议"):
        proposal_create(actor=township, kind="entry", village=village, name="龙奶奶", id_number=NUMBER,
                        household_code="XJ-PRIV-2", reason="meets_criteria", today=TODAY)


def test_the_decision_clears_the_number_and_its_index(entry, county):
    proposal_decide(actor=county, proposal=entry, accept=False, reason="户籍不在本村", today=TODAY)
    row = _raw(entry)
    assert (row["id_number_encrypted"], row["id_number_index"]) == ("", None)


def test_lists_show_the_number_masked(client, entry, township, county):
    masked = idnumber.mask(NUMBER)
    client.force_login(township)
    page = client.get(reverse("exchange:proposals")).content.decode()
    assert masked in page and NUMBER not in page and "查看完整号码" not in page
    review = quarterly_review_start(actor=county, county=area(COUNTY), today=TODAY)
    client.force_login(county)
    page = client.get(reverse("beneficiaries:review_detail", args=[review.pk])).content.decode()
    assert masked in page and NUMBER not in page
    assert reverse("exchange:proposal_id_reveal", args=[entry.pk]) in page


def test_a_reveal_needs_the_second_factor_and_is_audited_like_a_persons(client, entry, township, county):
    url = reverse("exchange:proposal_id_reveal", args=[entry.pk])
    client.force_login(township)  # a township passes the second factor only as a step-up
    r = client.post(url, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Redirect"].startswith(reverse("accounts:otp_setup"))
    assert NUMBER not in r.content.decode() and not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()
    pass_second_factor(client, township)
    r = client.post(url, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and NUMBER in r.content.decode()
    # The county (second factor passed at sign-in) from the quarterly review page.
    review = quarterly_review_start(actor=county, county=area(COUNTY), today=TODAY)
    client.force_login(county)
    assert NUMBER in client.post(url, {"review": review.pk}, HTTP_HX_REQUEST="true").content.decode()
    events = AuditEvent.objects.filter(action=AuditAction.REVEAL).order_by("id")
    assert [(e.actor, e.object_type, e.object_id) for e in events] == [
        (township, "exchange.proposal", str(entry.pk)), (county, "exchange.proposal", str(entry.pk))]


def test_only_revealing_roles_in_scope_reach_the_number(client, entry):
    outsider = user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP, username="other_priv")
    client.force_login(outsider)
    assert client.post(reverse("exchange:proposal_id_reveal", args=[entry.pk])).status_code == 404
    committee = user_with_role(Role.VILLAGE_COMMITTEE, entry.village_id, username="vc_priv")
    client.force_login(committee)
    assert client.post(reverse("exchange:proposal_id_reveal", args=[entry.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.REVEAL).exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_waiting_entries_and_keeps_them():
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    before = [("exchange", "0002_department_moved_to_accounts")]
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        OldProposal = old.get_model("exchange", "Proposal")
        User = old.get_model("accounts", "User")
        village = old.get_model("accounts", "Area").objects.filter(parent_id=TOWNSHIP).order_by("code").first()
        user = User.objects.create(username="old_proposer")
        OldProposal.objects.create(kind="entry", county_id=COUNTY, village=village, reason="meets_criteria",
                                   name="旧提议", id_number=NUMBER, id_masked=idnumber.mask(NUMBER),
                                   proposed_by=user)
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    proposal = Proposal.objects.get(name="旧提议")
    row = _raw(proposal)
    assert row["id_number_encrypted"].startswith("v1:") and NUMBER not in row["id_number_encrypted"]
    assert row["id_number_index"] == crypto.blind_index(NUMBER)
    assert proposal.id_number == NUMBER and proposal.id_masked == idnumber.mask(NUMBER)
