"""Review fixes: a change a user sets off by hand leaves an audit row with that user's name."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Role
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def test_escalating_late_referrals_by_hand_is_audited_with_the_bureau_user(client):
    bureau = user_with_role(Role.PREFECTURE, "522600000000", username="bureau_audit")
    client.force_login(bureau)
    assert client.post(reverse("services:escalate")).status_code == 302
    event = AuditEvent.objects.get(actor=bureau, action="change", object_type="services.referral")
    assert event.details == {"escalated": 0}
