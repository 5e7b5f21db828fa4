import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import PersonFactory, UserFactory


@pytest.mark.django_db
def test_every_admin_list_opens_and_never_shows_a_full_id_number(client):
    person = PersonFactory()
    superuser = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(superuser)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 200, url
        assert person.id_number not in response.content.decode(), url
