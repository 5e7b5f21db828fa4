"""A second press of 受理 / 办结 / 不予受理 lands on the referral's page with "此操作已完成" (not
a 403 or a form error); each step is in the history once."""

import pytest
from django.urls import reverse

from services.models import ReferralEvent, ReferralStatus
from tests.services.factories import liaison, make_referral, paired_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral():
    household, cadre = paired_household()
    return make_referral(actor=cadre, household=household)


def test_accept_and_resolve_twice_answer_the_page_of_what_was_done(client, referral):
    client.force_login(liaison())
    url = reverse("services:referral", args=[referral.pk])
    for data in ({"form": "transition", "to_status": ReferralStatus.ACCEPTED, "note": ""},
                 {"form": "transition", "to_status": ReferralStatus.RESOLVED, "note": "已纳入医疗救助"}):
        assert client.post(url, data).status_code == 302
        again = client.post(url, data, follow=True)
        assert again.status_code == 200 and again.redirect_chain[-1][0] == url
        assert "此操作已完成" in again.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RESOLVED
    assert ReferralEvent.objects.filter(referral=referral, to_status=ReferralStatus.RESOLVED).count() == 1
    # 受理 pressed again on a page left open after 办结: done long ago, not an error
    late = client.post(url, {"form": "transition", "to_status": ReferralStatus.ACCEPTED}, follow=True)
    assert late.status_code == 200 and "此操作已完成" in late.content.decode()


def test_resolving_a_declined_referral_says_what_holds_and_changes_nothing(client, referral):
    client.force_login(liaison())
    url = reverse("services:referral", args=[referral.pk])
    client.post(url, {"form": "transition", "to_status": ReferralStatus.DECLINED, "note": "不属于本部门职责"})
    response = client.post(url, {"form": "transition", "to_status": ReferralStatus.RESOLVED, "note": "x"}, follow=True)
    assert response.status_code == 200 and "不予受理" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED
