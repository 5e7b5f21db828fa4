"""Journey: a county officer (second factor passed at login) sees a member's phone masked on the
household page and reveals it (audited); a full ID number typed into a URL is refused with a
Chinese page. Screenshots at phone and desktop width go to test-results/."""

import pytest

from accounts.models import AuditEvent
from tests.beneficiaries.factories import county_officer
from tests.e2e.conftest import PHONE, RESULTS
from tests.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1366, "height": 900}], ids=["phone", "desktop"])
def test_county_officer_reveals_a_masked_phone_and_a_url_with_an_id_is_refused(page, live_server, login, viewport):
    page.set_viewport_size(viewport)
    county_officer(username="leishan_p")
    household = HouseholdFactory()
    person = PersonFactory(household=household, phone="13912345678")
    login(page, "leishan_p")
    page.goto(f"{live_server.url}/roster/households/{household.pk}/")
    phone = page.get_by_test_id("phone").first
    assert "139****5678" in phone.inner_text() and "13912345678" not in page.content()
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"privacy_household_{viewport['width']}.png"), full_page=True)
    phone.get_by_role("button", name="查看完整号码").click()
    assert page.get_by_test_id("phone-revealed").inner_text().startswith("13912345678")
    assert AuditEvent.objects.filter(action="reveal", object_id=str(person.pk), details__field="phone").count() == 1

    spaced = f"{person.id_number[:6]}%20{person.id_number[6:14]}%20{person.id_number[14:]}"
    response = page.goto(f"{live_server.url}/roster/?q={spaced}")
    assert response.status == 400
    assert "网址中不能包含完整身份证号" in page.content() and person.id_number not in page.content()
    page.screenshot(path=str(RESULTS / f"privacy_id_in_url_{viewport['width']}.png"), full_page=True)
