"""Content-Security-Policy with nonces: every page carries the header, every <script> has a src
or the response's nonce, and no element carries an inline event handler."""

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from tests.beneficiaries.factories import county_officer, township_official
from tests.conftest import TOWNSHIP
from tests.custody.factories import open_account
from tests.factories import HouseholdFactory, PersonFactory, user_with_role
from tests.urlwalk import url_patterns

pytestmark = pytest.mark.django_db

SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def check_page(response) -> None:
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy)
    html = response.content.decode()
    for attrs in SCRIPT.findall(html):
        if "src=" in attrs or 'type="application/json"' in attrs:
            continue  # a file, or a JSON data island (json_script), which is never executed
        assert nonce and f'nonce="{nonce.group(1)}"' in attrs, f"inline <script{attrs}> without the nonce"
    assert not HANDLER.search(html), HANDLER.search(html).group(0)


def test_every_page_without_parameters_carries_the_policy_and_no_unnonced_script(client, village_code):
    HouseholdFactory()
    checked = 0
    for user in (county_officer(), township_official(), user_with_role(Role.VILLAGE_COMMITTEE, village_code)):
        client.force_login(user)
        for name, _route, converters in url_patterns():
            if converters:
                continue
            response = client.get(reverse(name))
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                check_page(response)
                checked += 1
    assert checked > 20


def test_pages_with_inline_scripts_and_print_buttons(client, village_code):
    person = PersonFactory()
    account = open_account(village_code)
    client.force_login(township_official())
    roster = client.get(reverse("beneficiaries:roster_list"))
    assert re.search(r'<script nonce="[^"]+">', roster.content.decode())
    check_page(roster)
    for url in (reverse("beneficiaries:household_detail", args=[person.household_id]),
                reverse("visits:record", args=[person.household_id]),
                reverse("custody:statement", args=[account.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        check_page(response)
    statement = client.get(reverse("custody:statement", args=[account.pk])).content.decode()
    assert "data-care-print" in statement and "onclick" not in statement


def test_the_login_page_and_error_pages_carry_the_policy(client):
    check_page(client.get(reverse("accounts:login")))
    client.force_login(township_official())
    missing = client.get("/roster/999999999/")
    assert missing.status_code == 404 and "Content-Security-Policy" in missing
    assert TOWNSHIP
