"""Issue 21: denied requests are logged (user, route, the record's id — never the path, the query
or personal data) and the county/prefecture audit page shows users with repeated denials."""

import pytest
from django.urls import reverse

from accounts.denials import DeniedRequestLogMiddleware  # noqa: F401 - the middleware under test
from accounts.models import AuditEvent, Role
from tests.conftest import COUNTY, OTHER_COUNTY, OTHER_TOWNSHIP
from tests.factories import HouseholdFactory, PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_a_refused_record_is_logged_by_route_and_id_without_personal_data(client, village_code):
    home = HouseholdFactory(village_id=village_code)
    PersonFactory(household=home, name="吴阿公")
    prober = user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP, username="prober")
    client.force_login(prober)
    url = reverse("beneficiaries:household_detail", args=[home.pk])
    assert client.get(url + "?q=522634195001011234").status_code in (400, 404)
    assert client.get(url).status_code == 404
    event = AuditEvent.objects.get(action="denied", actor=prober)
    assert event.object_id == str(home.pk) and event.object_repr == "beneficiaries:household_detail"
    assert event.object_type == ""  # names no record type: reading it says nothing about the record
    assert event.details == {"route": "beneficiaries:household_detail", "method": "GET", "status": 404,
                             "args": {"pk": str(home.pk)}, "area": OTHER_TOWNSHIP[:9]}
    text = str(event.details) + event.object_repr
    assert "吴阿公" not in text and home.code not in text and "/" not in text

    assert client.get("/no-such-page/").status_code == 404  # a typo names no record: not logged
    assert AuditEvent.objects.filter(action="denied").count() == 1


def test_a_forbidden_post_is_logged_too(client):
    client.force_login(user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP, username="poster"))
    response = client.post(reverse("assistance:fund", args=[COUNTY]), {"step": "allocate"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="denied", details__status=403, details__method="POST").exists()


def test_the_county_sees_a_user_trying_ids_one_after_another(client, village_code):
    homes = [HouseholdFactory(village_id=village_code) for _ in range(3)]
    prober = user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP, username="prober", real_name="丹江镇 某干事")
    client.force_login(prober)
    for n in range(12):
        client.get(reverse("beneficiaries:household_detail", args=[homes[n % 3].pk + 100_000 * (n // 3)]))
    careless = user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP, username="careless")
    client.force_login(careless)
    client.get(reverse("beneficiaries:household_detail", args=[homes[0].pk]))  # one stale link

    client.force_login(user_with_role(Role.COUNTY, COUNTY))
    page = client.get(reverse("accounts:audit_log")).content.decode()
    assert 'data-testid="repeated-denials"' in page and "prober" in page and "被拒绝 12 次" in page
    assert "careless" not in page.split('data-testid="repeated-denials"')[1].split("</div>")[0]
    listed = client.get(reverse("accounts:audit_log"), {"user": "prober", "action": "denied"})
    assert listed.context["page"].paginator.count == 12

    client.force_login(user_with_role(Role.COUNTY, OTHER_COUNTY))  # another county reads nothing of it
    assert 'data-testid="repeated-denials"' not in client.get(reverse("accounts:audit_log")).content.decode()
