"""A full ID number in any query string is refused (400, Chinese page) and never logged."""

import datetime as dt
import logging
import types

import pytest
from django.urls import reverse

from accounts.middleware import contains_id_number
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

NUMBER = "522601194003051112"


@pytest.mark.parametrize("raw", [
    NUMBER, "522601 19400305 1112", "5226011940030511 1 2", "522601-19400305-1112", "５２２６０１１９４００３０５１１１２",
    "52260119400305111x", f"查{NUMBER}户",
])
def test_a_full_number_is_recognised_however_it_is_written(raw):
    assert contains_id_number(raw)


@pytest.mark.parametrize("raw", ["522634101000", "HH000012", "2026-01-01", "13800001111", "522601********1112",
                                 "1522601194003051112"])
def test_other_values_are_not_mistaken_for_a_number(raw):
    assert not contains_id_number(raw)


def test_a_query_with_a_full_number_is_refused_before_anything_runs_and_nothing_logs_it(client, caplog):
    from tests.beneficiaries.factories import county_officer

    client.force_login(county_officer())
    caplog.set_level(logging.DEBUG)
    url = f"{reverse('beneficiaries:roster_list')}?q=522601%2019400305%201112"
    response = client.get(url)
    assert response.status_code == 400
    body = response.content.decode()
    assert "网址中不能包含完整身份证号" in body and "522601" not in body
    assert response["Referrer-Policy"] == "no-referrer"
    logged = " ".join(f"{r.name} {r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "19400305" not in logged and "Bad Request" not in logged
    # Any parameter of any page, a key as well as a value, signed in or not.
    client.logout()
    assert client.get(reverse("accounts:login"), {"next": f"/x/?id={NUMBER}"}).status_code == 400
    assert client.get(f"/?{NUMBER}=1").status_code == 400


def test_searching_by_full_number_by_post_still_finds_the_household(client):
    from tests.beneficiaries.factories import county_officer

    person = PersonFactory()
    client.force_login(county_officer())
    found = client.post(reverse("beneficiaries:roster_list"), {"q": person.id_number}).content.decode()
    assert found.count('data-testid="roster-row"') == 1


def test_the_gunicorn_access_log_format_writes_the_path_without_the_query():
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    from config import gunicorn_logging

    cfg = Config()
    cfg.set("access_log_format", gunicorn_logging.access_log_format)
    logger = Logger(cfg)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/roster/?q={NUMBER}", "PATH_INFO": "/roster/",
               "QUERY_STRING": f"q={NUMBER}", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.1",
               "HTTP_REFERER": f"https://care.example.org/roster/?q={NUMBER}"}
    resp = types.SimpleNamespace(status="400 Bad Request", sent=10, headers=[])
    line = cfg.access_log_format % logger.atoms(resp, types.SimpleNamespace(headers=[]), environ,
                                                dt.timedelta(milliseconds=3))
    assert '"GET /roster/ HTTP/1.1" 400' in line and "19400305" not in line
