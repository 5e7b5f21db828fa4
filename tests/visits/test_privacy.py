"""Review fixes: uploaded visit photos and finding pages go through the scope and the audit log."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import Resolver404, resolve, reverse

from accounts.models import AuditEvent, Role
from tests.conftest import OTHER_TOWNSHIP
from tests.factories import cadre_user, user_with_role
from visits.models import Finding, VisitPhoto

from .factories import VisitFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def photo(paired):
    household, _ = paired
    visit = VisitFactory(household=household, visited_on=dt.date(2026, 6, 1))
    return VisitPhoto.objects.create(
        visit=visit, image=SimpleUploadedFile("door.jpg", b"\xff\xd8\xff\xe0jpeg", content_type="image/jpeg"))


def test_visit_photo_is_served_to_owner_and_colleague_and_is_404_for_outsiders(client, paired, photo, township_user):
    _, cadre = paired
    url = reverse("visits:photo", args=[photo.pk])
    for user in (cadre, township_user):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"\xff\xd8\xff\xe0jpeg"
        assert response["Cache-Control"] == "no-store"
    for user in (user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP), cadre_user("other_cadre")[0]):
        client.force_login(user)
        assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="view", object_type="visits.visitphoto",
                                     object_id=str(photo.pk)).count() == 2


def test_household_timeline_links_photos_through_the_scoped_view_not_media(client, paired, photo, township_user):
    household, _ = paired
    client.force_login(township_user)
    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("visits:household", args=[household.pk])).content.decode()
    assert reverse("visits:photo", args=[photo.pk]) in html
    assert "/media/" not in html


def test_uploaded_files_are_not_served_from_media_even_in_debug():
    import config.urls

    with override_settings(DEBUG=True):
        try:
            module = importlib.reload(config.urls)
            with pytest.raises(Resolver404):
                resolve("/media/visits/2026/06/1-door.jpg", urlconf=module)
        finally:
            importlib.reload(config.urls)


def test_viewing_a_finding_page_is_audited(client, paired, township_user):
    household, _ = paired
    visit = VisitFactory(household=household, visited_on=dt.date(2026, 6, 1))
    finding = Finding.objects.create(household=household, visit=visit, kind="hazard", description="电线裸露",
                                     owner=township_user, created_by=township_user, due_on=dt.date(2026, 6, 30))
    client.force_login(township_user)
    assert client.get(reverse("visits:finding", args=[finding.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="view", object_type="visits.finding", object_id=str(finding.pk)).exists()
    client.force_login(user_with_role(Role.TOWNSHIP, OTHER_TOWNSHIP))
    assert client.get(reverse("visits:finding", args=[finding.pk])).status_code == 404


def test_the_visit_ledger_for_an_area_outside_scope_is_not_found(client, township_user):
    client.force_login(township_user)
    response = client.get(reverse("visits:ledger"), {"area": OTHER_TOWNSHIP, "month": "2026-06"})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_photo_missing_from_storage_is_404_not_500(client, photo, township_user):
    photo.image.storage.delete(photo.image.name)
    client.force_login(township_user)
    with time_machine.travel(NOW, tick=False):
        assert client.get(reverse("visits:photo", args=[photo.pk])).status_code == 404


def test_a_malformed_import_job_id_is_not_found(client, township_user):
    client.force_login(township_user)
    assert client.get("/imports/not-a-uuid/").status_code == 404
    assert client.post(reverse("imports:confirm", args=["6d0e2d1c-0000-4000-8000-000000000000"])).status_code == 404
