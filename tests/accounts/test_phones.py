"""One phone-number policy: full for the paired cadre, village and township; masked for everyone
else and in exports; county/prefecture may reveal one number, audited."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Role
from accounts.phones import mask_phone, phone_for
from beneficiaries import roster_io
from beneficiaries.models import Household, Person
from tests.beneficiaries.factories import county_officer, township_official
from tests.conftest import TOWNSHIP
from tests.factories import (
    CadreFactory,
    HouseholdFactory,
    PairingFactory,
    PersonFactory,
    cadre_user,
    user_with_role,
)
from tests.services.factories import liaison

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
CADRE_PHONE = "13887654321"


@pytest.fixture
def household(village_code):
    household = HouseholdFactory()
    PersonFactory(household=household, phone=PHONE)
    return household


def test_masking():
    assert mask_phone("13912345678") == "139****5678"
    assert mask_phone("0855-8231234") == "********1234"
    assert mask_phone("") == ""


def test_the_roles_that_call_see_full_numbers_the_others_masked(client, household, village_code):
    user, cadre = cadre_user("paired")
    cadre.phone = CADRE_PHONE
    cadre.save()
    PairingFactory(household=household, cadre=cadre)
    url = reverse("beneficiaries:household_detail", args=[household.pk])
    for who in (township_official(), user_with_role(Role.VILLAGE_COMMITTEE, household.village_id), user):
        client.force_login(who)
        body = client.get(url).content.decode()
        assert PHONE in body and CADRE_PHONE in body, who
        assert phone_for(who, PHONE) == PHONE
    client.force_login(county_officer())
    body = client.get(url).content.decode()
    assert PHONE not in body and CADRE_PHONE not in body
    assert "139****5678" in body and "138****4321" in body and "查看完整号码" in body
    assert phone_for(liaison(), PHONE) == "139****5678"


def test_a_county_officer_reveals_one_number_audited_and_out_of_scope_is_404(client, household):
    person = household.members.get()
    url = reverse("accounts:phone_reveal", args=["person", person.pk])
    officer = county_officer()
    client.force_login(officer)
    response = client.post(url)
    assert response.status_code == 200 and PHONE in response.content.decode()
    event = AuditEvent.objects.get(action="reveal", object_id=str(person.pk))
    assert event.actor == officer and event.details["field"] == "phone"
    client.force_login(user_with_role(Role.COUNTY, "522601000000"))
    assert client.post(url).status_code == 404
    client.force_login(liaison())
    assert client.post(url).status_code == 404  # a liaison does not see the person at all
    assert client.post(reverse("accounts:phone_reveal", args=["household", household.pk])).status_code == 404


def test_exports_write_numbers_masked_and_a_masked_number_reimports_as_the_stored_one(client, village_code):
    household = HouseholdFactory(code="H1", village_id=village_code)
    PersonFactory(household=household, phone=PHONE)
    PairingFactory(household=household, cadre=CadreFactory(name="王芳", phone=CADRE_PHONE))
    client.force_login(township_official())
    csv = b"".join(client.get(reverse("beneficiaries:roster_export"), {"format": "csv"}).streaming_content).decode("utf-8-sig")
    assert "139****5678" in csv and PHONE not in csv and CADRE_PHONE not in csv
    from beneficiaries.models import Pairing

    pairing_cells = [c for row in roster_io.pairing_rows(Pairing.objects.all()) for c in row]
    assert "138****4321" in pairing_cells and CADRE_PHONE not in pairing_cells
    rows = roster_io.roster_rows(Household.objects.all(), full_ids=False)
    officer = county_officer()
    result = roster_io.roster_import(actor=officer, content=roster_io.write_csv(roster_io.HEADERS, rows),
                                     filename="back.csv", today=household.tier_since)
    assert result.ok, result.errors
    assert Person.objects.get().phone == PHONE
    assert TOWNSHIP


def test_the_referral_export_masks_numbers_for_the_cadre_and_the_county_the_page_only_for_the_county(client):
    """Issue 21: services/referrals.xlsx wrote beneficiaries' numbers in full (county and cadre)."""
    import io

    from openpyxl import load_workbook

    from tests.services.factories import make_referral, paired_household

    home, cadre = paired_household("referral_cadre")
    referral = make_referral(actor=cadre, household=home)
    assert referral.contact == "13912345678"
    for who in (cadre, county_officer()):
        client.force_login(who)
        sheet = client.get(reverse("services:export"))
        cells = [c for row in load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True) for c in row]
        assert "13912345678" not in cells and "139****5678" in cells, who
    page = client.get(reverse("services:referral", args=[referral.pk])).content.decode()
    assert "13912345678" not in page and "139****5678" in page
    client.force_login(cadre)
    assert "13912345678" in client.get(reverse("services:referral", args=[referral.pk])).content.decode()


def test_phone_for_masks_every_export_whoever_asks():
    assert phone_for(township_official(), PHONE, export=True) == "139****5678"
    assert phone_for(None, PHONE) == "139****5678"


def test_the_departments_api_gives_a_referrals_contact_by_the_same_function(client):
    """The API's `contact` goes through accounts.phones.phone_for like the referral page: the
    handling department's liaison (the token's user) calls it, so in full; the function masks it
    for anyone else — a county officer reading the same referral."""
    from services.queries import referral_contact_for
    from tests.exchange.factories import auth, make_token
    from tests.services.factories import make_referral, paired_household

    home, cadre = paired_household("api_phone_cadre")
    referral = make_referral(actor=cadre, household=home, field_code="medical-aid")
    _token, secret = make_token(area="522634000000")
    rows = client.get(reverse("api:referrals"), **auth(secret)).json()["results"]
    assert [(r["id"], r["contact"]) for r in rows] == [(referral.pk, PHONE)]
    assert client.get(reverse("api:referral", args=[referral.pk]), **auth(secret)).json()["contact"] == PHONE
    assert referral_contact_for(county_officer(), referral) == "139****5678"
    other = liaison("education", username="api_phone_other")
    assert referral_contact_for(other, referral) == "139****5678"


def test_the_cadre_pickers_labels_show_phones_as_the_policy_says(village_code):
    """The picker's choices (the text its search box matches): in full for a township, masked for
    a county officer — on the pairing change, the new pairing and the bulk transfer forms."""
    from beneficiaries.forms import PairingForm, ReassignForm
    from beneficiaries.pickers import PairingChangeForm

    cadre = CadreFactory(name="李芳", home_village_id=village_code, phone=CADRE_PHONE)
    other = CadreFactory(name="王强", home_village_id=village_code, phone="13700001111")
    for user, shown, hidden in ((township_official(), CADRE_PHONE, None),
                                (county_officer(), "138****4321", CADRE_PHONE)):
        for form in (PairingChangeForm(user=user, exclude=other), PairingForm(user=user),
                     ReassignForm(user=user, exclude=other)):
            field = form.fields["to_cadre" if "to_cadre" in form.fields else "cadre"]
            labels = [str(label) for _value, label in field.choices if "李芳" in str(label)]
            assert labels and all(shown in label for label in labels), (user, type(form).__name__, labels)
            assert hidden is None or not any(hidden in label for label in labels)
    assert cadre.pk
