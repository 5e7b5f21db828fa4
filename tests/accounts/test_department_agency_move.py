"""Department and Agency live in accounts, beside Role (accounts 0006): the same tables, the same
rows, every foreign key pointing at the accounts models, content types and permissions carried."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import Agency, Department, Role, RoleAssignment
from beneficiaries.models import Cadre, Household
from exchange.models import ApiToken
from services.models import Field, Referral
from tests.conftest import COUNTY
from tests.factories import CadreFactory, HouseholdFactory, user_with_role

BEFORE = [
    ("accounts", "0005_merge_notifications_password_history"),
    ("beneficiaries", "0004_encrypt_id_numbers"),
    ("exchange", "0001_api_tokens_cross_checks_proposals"),
    ("services", "0006_seed_holiday_tables_from_chinesecalendar"),
]


@pytest.mark.django_db
def test_the_models_keep_their_tables():
    assert Department._meta.db_table == "services_department"
    assert Agency._meta.db_table == "beneficiaries_agency"
    tables = connection.introspection.table_names()
    assert {"services_department", "beneficiaries_agency"} <= set(tables)
    assert "accounts_department" not in tables and "accounts_agency" not in tables


def test_every_foreign_key_points_at_the_accounts_models():
    assert RoleAssignment._meta.get_field("department").related_model is Department
    assert ApiToken._meta.get_field("department").related_model is Department
    assert Referral._meta.get_field("department").related_model is Department
    for name in ("route_to", "lead_departments", "responsible_departments"):
        assert Field._meta.get_field(name).related_model is Department
    assert Household._meta.get_field("agency").related_model is Agency
    assert Cadre._meta.get_field("agency").related_model is Agency
    with pytest.raises(LookupError):
        apps.get_model("services", "Department")
    with pytest.raises(LookupError):
        apps.get_model("beneficiaries", "Agency")


@pytest.mark.django_db
def test_the_migration_state_matches_the_models():
    state = MigrationExecutor(connection).loader.project_state()
    role = state.apps.get_model("accounts", "RoleAssignment")
    assert role._meta.get_field("department").related_model._meta.label == "accounts.Department"
    assert state.apps.get_model("accounts", "Department")._meta.db_table == "services_department"
    assert state.apps.get_model("beneficiaries", "Household")._meta.get_field("agency").related_model._meta.label \
        == "accounts.Agency"
    assert ("services", "department") not in state.models and ("beneficiaries", "agency") not in state.models


@pytest.mark.django_db
def test_a_liaison_and_an_agencys_cadre_reach_what_they_did(client):
    department = Department.objects.get(code="medical-security")
    liaison = user_with_role(Role.DEPARTMENT, department=department)
    assert list(department.liaisons.values_list("user", flat=True)) == [liaison.pk]
    agency = Agency.objects.create(name="雷山县社工服务中心", county_id=COUNTY)
    CadreFactory(kind="agency", agency=agency)
    HouseholdFactory(agency=agency)
    assert (agency.staff.count(), agency.households.count()) == (1, 1)
    assert ContentType.objects.get_for_model(Department).app_label == "accounts"
