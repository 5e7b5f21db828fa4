"""Schemathesis against the live app's own schema (WSGI, in process): every operation, generated
requests with a valid department token — no 500, every status code documented, every response
matching its schema. Data exists for the token (referrals, list rows), so answers are not all 404."""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.wsgi import application
from tests.factories import HouseholdFactory, PersonFactory
from tests.services.factories import make_referral, paired_household

from .factories import make_token

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


@pytest.fixture
def in_test_transaction():
    """The WSGI handler closes the database connection after each request; Django's own test client
    stops that so a request sees the test's transaction. Do the same for schemathesis's calls."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_secret(db, settings, in_test_transaction):
    settings.API_RATE_PER_MINUTE = 100_000
    household, cadre = paired_household("st_cadre")
    make_referral(actor=cadre, household=household, field_code="medical-aid")
    make_referral(actor=cadre, household=household, field_code="employment")
    today = dt.date.today()
    able = HouseholdFactory(tier="B")
    PersonFactory(household=able, relation="head", birth_date=today.replace(year=today.year - 40))
    _token, secret = make_token(fields=("medical-aid",), area="522634000000")
    _token2, secret2 = make_token(department="human-resources", fields=("employment",), area="522634000000")
    return secret, secret2


@schema.parametrize()
@hypothesis_settings(max_examples=12, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                            HealthCheck.filter_too_much])
def test_the_api_keeps_to_its_schema(case, api_secret):
    medical, employment = api_secret
    secret = employment if "lists" in case.path else medical
    # A pushed list is checked beyond its JSON shape (ID number checksums, each department's value
    # spellings): a schema-valid list with a bad row is a documented 400, not a fault.
    excluded = [positive_data_acceptance] if case.path.startswith("/api/v1/status-lists/") and case.method == "POST" else []
    case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, excluded_checks=excluded)


# `st run --checks all`: every check schemathesis has, negative data included (a number where
# text is expected must be refused), positive data accepted, every 400 documented.
ALL_CHECKS = schemathesis.checks.CHECKS.get_all()
every_mode = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
every_mode.config.generation.update(modes=list(schemathesis.GenerationMode))


@every_mode.parametrize()
@hypothesis_settings(max_examples=15, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                            HealthCheck.filter_too_much])
def test_the_api_passes_every_schemathesis_check(case, api_secret):
    medical, employment = api_secret
    secret = employment if "lists" in case.path else medical
    case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=ALL_CHECKS)
